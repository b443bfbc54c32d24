package lodestar.routing.auto.internal;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Trains a router: features for every example, K-fold cross-validation for honest metrics and
 * the recommended threshold, then one fit on all the data.
 */
final class Trainer {

    /**
     * Training options.
     *
     * @param features the feature configuration
     * @param label what to predict
     * @param l2 the L2 penalty on the mean log-loss
     * @param maxIterations L-BFGS iterations at most
     * @param folds cross-validation folds for the metrics and the threshold (0 or 1: none; the
     *     threshold then comes from the training data itself, which is optimistic)
     * @param seed the seed of the fold assignment
     * @param target share of the strong model's quality the recommended threshold must reach
     * @param l2Choices L2 penalties to choose from by the training's own cross-validation (the
     *     one whose out-of-fold scores have the highest APGR over all prompts wins); empty: always
     *     {@code l2}. Used only with {@code folds} of 2 or more.
     */
    record Options(FeatureConfig features, Label label, double l2, int maxIterations, int folds,
            long seed, double target, List<Double> l2Choices) {

        /** Checks the ranges. */
        Options {
            l2Choices = l2Choices == null ? List.of() : List.copyOf(l2Choices);
            if (!(l2 >= 0) || maxIterations < 1 || folds < 0 || !(target > 0 && target <= 1)
                    || l2Choices.stream().anyMatch(c -> !(c >= 0))) {
                throw new IllegalArgumentException("invalid training options: l2 " + l2
                        + ", l2Choices " + l2Choices + ", maxIterations " + maxIterations
                        + ", folds " + folds + ", target " + target);
            }
        }

        /**
         * Options with one fixed L2 penalty.
         *
         * @param features see the record
         * @param label see the record
         * @param l2 see the record
         * @param maxIterations see the record
         * @param folds see the record
         * @param seed see the record
         * @param target see the record
         */
        Options(final FeatureConfig features, final Label label, final double l2,
                final int maxIterations, final int folds, final long seed, final double target) {
            this(features, label, l2, maxIterations, folds, seed, target, List.of());
        }

        /**
         * A copy with other folds.
         *
         * @param newFolds the folds
         * @return the copy
         */
        Options withFolds(final int newFolds) {
            return new Options(features, label, l2, maxIterations, newFolds, seed, target,
                    l2Choices);
        }

        /**
         * A copy with one fixed L2 penalty.
         *
         * @param fixed the penalty
         * @return the copy, without choices
         */
        Options withL2(final double fixed) {
            return new Options(features, label, fixed, maxIterations, folds, seed, target,
                    List.of());
        }

        /**
         * A copy with L2 penalties to choose from.
         *
         * @param choices the penalties, empty for the fixed {@code l2}
         * @return the copy
         */
        Options withL2Choices(final List<Double> choices) {
            return new Options(features, label, l2, maxIterations, folds, seed, target,
                    choices);
        }
    }

    /**
     * The options the shipped model was trained with: the L2 penalty is chosen from three by
     * the training's own 5-fold cross-validation (ADR 0011); 0.006 without folds.
     */
    static final Options DEFAULTS = new Options(FeatureConfig.DEFAULT, Label.GAIN, 0.006, 300,
            5, 42, 0.95, List.of(0.003, 0.006, 0.012));

    private Trainer() {
    }

    /**
     * Trains on a data set.
     *
     * @param data the examples and their file's name and hash
     * @param options the options
     * @return the model, with cross-validated metrics in its metadata
     */
    static RouterModel train(final TrainingData.Loaded data, final Options options) {
        final List<Example> examples = data.examples();
        if (examples.isEmpty()) {
            throw new IllegalArgumentException(data.name() + " has no examples");
        }
        final Features features = new Features(options.features());
        final List<SparseVector> vectors = vectors(features, examples);
        final ObjectNode training = JsonNodeFactory.instance.objectNode();
        training.put("file", data.name());
        training.put("sha256", data.sha256());
        training.put("n", examples.size());
        final ObjectNode sources = training.putObject("sources");
        countBySource(examples).forEach(sources::put);
        training.put("date", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        training.put("maxIterations", options.maxIterations());
        training.put("seed", options.seed());
        training.put("target", options.target());
        final double threshold;
        Options chosen = options.withL2(options.l2());
        if (options.folds() >= 2) {
            final Selection selection = select(examples, vectors, options);
            chosen = options.withL2(selection.l2());
            if (!options.l2Choices().isEmpty()) {
                final ObjectNode choices = training.putObject("l2Choices");
                selection.apgrByL2().forEach((l2, apgr) -> choices.put(Double.toString(l2),
                        Math.round(apgr * 10000) / 10000.0));
            }
            final Folded folded = selection.folded();
            threshold = recommendedThreshold(folded.scores(), examples, options.target());
            training.put("cvFolds", options.folds());
            final boolean[] strong = new boolean[examples.size()];
            for (int i = 0; i < strong.length; i++) {
                strong[i] = RouterModel.localOkOf(folded.scores()[i]) < threshold;
            }
            final Map<String, Evaluation.Row> rows = Evaluation.rows(examples, folded.scores(),
                    strong, threshold);
            training.set("cv", Evaluation.json(rows));
        } else {
            threshold = Double.NaN;
        }
        training.put("l2", chosen.l2());
        final Fitted fitted = fit(vectors, examples, chosen);
        training.put("iterations", fitted.iterations());
        training.put("features", fitted.features());
        final double recommended = Double.isNaN(threshold)
                ? recommendedThreshold(scores(fitted.model(), vectors), examples,
                        options.target())
                : threshold;
        training.put("thresholdFrom", Double.isNaN(threshold) ? "training data (optimistic)"
                : options.folds() + "-fold cross-validation");
        final RouterModel model = fitted.model();
        return new RouterModel(model.label(), model.featureConfig(), model.weights(),
                model.hurtWeights(), recommended, training);
    }

    /**
     * The L2 penalty chosen by cross-validation on the given examples, and that penalty's
     * out-of-fold scores (for the threshold and the recorded figures).
     *
     * @param l2 the chosen penalty
     * @param folded its out-of-fold scores
     * @param apgrByL2 the pooled out-of-fold APGR of every candidate, in order
     */
    record Selection(double l2, Folded folded, Map<Double, Double> apgrByL2) {
    }

    /**
     * Chooses the L2 penalty among {@code options.l2Choices()} (or takes {@code options.l2()}
     * when there are none) by K-fold cross-validation on the examples: the highest pooled APGR
     * of the out-of-fold scores wins, the smaller penalty on a tie.
     *
     * @param examples the examples
     * @param vectors their features
     * @param options the options, {@code folds} at least 2
     * @return the choice
     */
    static Selection select(final List<Example> examples, final List<SparseVector> vectors,
            final Options options) {
        final List<Double> candidates = options.l2Choices().isEmpty() ? List.of(options.l2())
                : options.l2Choices();
        final boolean[] weak = new boolean[examples.size()];
        final boolean[] strong = new boolean[examples.size()];
        for (int i = 0; i < weak.length; i++) {
            weak[i] = examples.get(i).weakCorrect();
            strong[i] = examples.get(i).strongCorrect();
        }
        final Map<Double, Double> apgr = new LinkedHashMap<>();
        Selection best = null;
        double bestApgr = Double.NEGATIVE_INFINITY;
        for (final double l2 : candidates) {
            final Folded folded = crossValidate(examples, vectors, options.withL2(l2), false);
            final double value = candidates.size() == 1 ? 0
                    : Metrics.summarise(folded.scores(), weak, strong).apgr();
            apgr.put(l2, value);
            if (best == null || value > bestApgr
                    || value == bestApgr && l2 < best.l2()) {
                best = new Selection(l2, folded, apgr);
                bestApgr = value;
            }
        }
        return new Selection(best.l2(), best.folded(), apgr);
    }

    /** A fitted model (threshold 0.5, no metadata), its L-BFGS iterations and features. */
    private record Fitted(RouterModel model, int iterations, int features) {
    }

    /**
     * Out-of-fold predictions.
     *
     * @param scores per example, the gain predicted by the model that did not see it
     * @param strong per example, whether that fold's model (with its own recommended threshold,
     *     from an inner cross-validation) sends it to the strong tier
     */
    record Folded(double[] scores, boolean[] strong) {
    }

    /**
     * K-fold cross-validation.
     *
     * @param examples the examples
     * @param vectors their features
     * @param options the options, {@code folds} at least 2
     * @return the out-of-fold scores and decisions
     */
    static Folded crossValidate(final List<Example> examples, final List<SparseVector> vectors,
            final Options options) {
        return crossValidate(examples, vectors, options, false);
    }

    /**
     * K-fold cross-validation, optionally with an inner cross-validation in each training part
     * for that fold's threshold (as a model trained on that part would recommend it).
     *
     * @param examples the examples
     * @param vectors their features
     * @param options the options, {@code folds} at least 2
     * @param innerThreshold whether each fold's L2 penalty (among {@code l2Choices}) and threshold
     *     come from an inner cross-validation on that fold's training part, as training would
     *     choose them (nested, slower, honest), or the fixed {@code l2} is used and the
     *     threshold comes from the fold's training part itself
     * @return the out-of-fold scores and decisions
     */
    static Folded crossValidate(final List<Example> examples, final List<SparseVector> vectors,
            final Options options, final boolean innerThreshold) {
        final int k = options.folds();
        if (k < 2) {
            throw new IllegalArgumentException("cross-validation needs at least 2 folds");
        }
        final int[] fold = folds(examples, k, options.seed());
        final double[] scores = new double[examples.size()];
        final boolean[] strong = new boolean[examples.size()];
        for (int f = 0; f < k; f++) {
            final List<Example> trainExamples = new ArrayList<>();
            final List<SparseVector> trainVectors = new ArrayList<>();
            for (int i = 0; i < examples.size(); i++) {
                if (fold[i] != f) {
                    trainExamples.add(examples.get(i));
                    trainVectors.add(vectors.get(i));
                }
            }
            if (trainExamples.isEmpty()) {
                continue;
            }
            final RouterModel model;
            final double threshold;
            if (innerThreshold) {
                final Selection inner = select(trainExamples, trainVectors,
                        options.withFolds(Math.min(k, 5)));
                model = fit(trainVectors, trainExamples, options.withL2(inner.l2())).model();
                threshold = recommendedThreshold(inner.folded().scores(), trainExamples,
                        options.target());
            } else {
                model = fit(trainVectors, trainExamples, options).model();
                threshold = recommendedThreshold(scores(model, trainVectors), trainExamples,
                        options.target());
            }
            for (int i = 0; i < examples.size(); i++) {
                if (fold[i] == f) {
                    scores[i] = model.gain(vectors.get(i));
                    strong[i] = model.localOk(vectors.get(i)) < threshold;
                }
            }
        }
        return new Folded(scores, strong);
    }

    /**
     * The features of examples.
     *
     * @param features the extractor
     * @param examples the examples
     * @return one vector per example
     */
    static List<SparseVector> vectors(final Features features, final List<Example> examples) {
        final List<SparseVector> vectors = new ArrayList<>(examples.size());
        for (final Example example : examples) {
            vectors.add(features.extract(PromptView.of(example.prompt())).vector());
        }
        return vectors;
    }

    /**
     * Scores of a model: the gain, higher means more in need of the strong tier.
     *
     * @param model the model
     * @param vectors features made with the model's configuration
     * @return the scores
     */
    static double[] scores(final RouterModel model, final List<SparseVector> vectors) {
        final double[] scores = new double[vectors.size()];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = model.gain(vectors.get(i));
        }
        return scores;
    }

    /**
     * The p(local ok) threshold at the cheapest point of the scores' curve that reaches the
     * target share of the strong model's quality: prompts below it go to the strong tier.
     *
     * @param scores the gain per example
     * @param examples the examples
     * @param target e.g. 0.95
     * @return the threshold in [0, 1]
     */
    static double recommendedThreshold(final double[] scores, final List<Example> examples,
            final double target) {
        final boolean[] weak = new boolean[examples.size()];
        final boolean[] strong = new boolean[examples.size()];
        for (int i = 0; i < weak.length; i++) {
            weak[i] = examples.get(i).weakCorrect();
            strong[i] = examples.get(i).strongCorrect();
        }
        final Metrics.Curve curve = Metrics.curve(scores, weak, strong);
        final int k = Metrics.cheapestReaching(curve, target * curve.strong());
        if (k == 0) {
            return 0;
        }
        if (k == curve.size() - 1) {
            return 1;
        }
        // strong when score >= cut[k]; the next point's cut is the highest score left weak
        final double middle = (curve.cut()[k] + curve.cut()[k + 1]) / 2;
        return Math.max(0, Math.min(1, 1 - middle));
    }

    /**
     * Fold numbers: a seeded shuffle within each source, dealt round-robin, so every fold has
     * the same mix of sources.
     *
     * @param examples the examples
     * @param k folds
     * @param seed the seed
     * @return the fold of each example
     */
    static int[] folds(final List<Example> examples, final int k, final long seed) {
        final Map<String, List<Integer>> bySource = new LinkedHashMap<>();
        for (int i = 0; i < examples.size(); i++) {
            bySource.computeIfAbsent(examples.get(i).source(), s -> new ArrayList<>()).add(i);
        }
        final Random random = new Random(seed);
        final int[] fold = new int[examples.size()];
        int dealt = 0;
        for (final List<Integer> members : bySource.values()) {
            for (int i = members.size() - 1; i > 0; i--) {
                final int j = random.nextInt(i + 1);
                final Integer swap = members.get(i);
                members.set(i, members.get(j));
                members.set(j, swap);
            }
            for (final int member : members) {
                fold[member] = dealt++ % k;
            }
        }
        return fold;
    }

    private static Fitted fit(final List<SparseVector> vectors, final List<Example> examples,
            final Options options) {
        final Label label = options.label();
        final double[] labels = new double[examples.size()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = label.of(examples.get(i));
        }
        final int dimension = options.features().dimension();
        final LogisticRegression.Fit first = LogisticRegression.fit(vectors, labels, dimension,
                options.l2(), options.maxIterations());
        LogisticRegression.Fit second = null;
        if (label.twoModels()) {
            final double[] hurt = new double[examples.size()];
            for (int i = 0; i < hurt.length; i++) {
                hurt[i] = Label.hurt(examples.get(i));
            }
            second = LogisticRegression.fit(vectors, hurt, dimension, options.l2(),
                    options.maxIterations());
        }
        final RouterModel model = new RouterModel(label, options.features(), first.weights(),
                second == null ? null : second.weights(), 0.5, null);
        return new Fitted(model, first.iterations() + (second == null ? 0
                : second.iterations()), first.features());
    }

    private static Map<String, Integer> countBySource(final List<Example> examples) {
        final Map<String, Integer> counts = new LinkedHashMap<>();
        examples.forEach(e -> counts.merge(e.source(), 1, Integer::sum));
        return counts;
    }
}
