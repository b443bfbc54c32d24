package lodestar.routing.auto.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Offline training and evaluation, from the command line ({@code scripts/train-router.sh},
 * {@code scripts/eval-routing.sh}) and from Gogo.
 *
 * <pre>
 * train FILE OUT [options]
 * eval --train A.jsonl --test B.jsonl [--json] [options]
 * eval --cv K FILE.jsonl [--json] [options]
 * bench [FILE.jsonl] [--model MODEL.json] [--rounds N]
 * options: --label gain|need|weak  --l2 X[,Y,...]  --bigrams WEIGHT (0 = off)
 *          --trigrams WEIGHT (0 = off)  --chars N[:WEIGHT] (0 = off)  --norm C (0 = off)
 *          --no-shape  --bits B  --no-kind  --iterations N  --folds K  --seed S  --threshold T
 * </pre>
 */
public final class RoutingTool {

    private static final String USAGE = String.join("\n",
            "usage: train FILE.jsonl OUT.json [options]",
            "       bench [FILE.jsonl] [--model MODEL.json] [--rounds N]",
            "       eval --train A.jsonl --test B.jsonl [--json] [options]",
            "       eval --cv K FILE.jsonl [--json] [options]",
            "options: --label gain|need|weak   --l2 X (several, comma-separated: chosen by",
            "         inner cross-validation)   --bigrams WEIGHT (0 = off)",
            "         --trigrams WEIGHT (0 = off)   --chars N[:WEIGHT] (0 = off)",
            "         --norm C (word features scaled C/sqrt(count), 0 = off)   --no-shape",
            "         --bits B   --no-kind   --iterations N",
            "         --folds K (cross-validation inside training, default 5)   --seed S",
            "         --threshold T (fixed p(local ok) threshold instead of the recommended one)",
            "");

    private RoutingTool() {
    }

    /**
     * Runs a command and prints its result; exits with 2 on a usage error, 1 on failure.
     *
     * @param args the command line
     */
    public static void main(final String[] args) {
        final PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        try {
            out.print(run(args));
        } catch (final IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.err.print(USAGE);
            System.exit(2);
        } catch (final IOException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(1);
        }
    }

    /**
     * Runs a command.
     *
     * @param args the command line
     * @return what to print
     * @throws IOException if a file cannot be read or written
     */
    static String run(final String... args) throws IOException {
        if (args.length == 0) {
            throw new IllegalArgumentException("no command");
        }
        final Parsed parsed = parse(Arrays.copyOfRange(args, 1, args.length));
        return switch (args[0]) {
            case "train" -> {
                if (parsed.positional.size() != 2) {
                    throw new IllegalArgumentException("train needs FILE and OUT");
                }
                yield train(Path.of(parsed.positional.get(0)), Path.of(parsed.positional.get(1)),
                        parsed.options);
            }
            case "eval" -> {
                if (parsed.cv > 0) {
                    if (parsed.positional.size() != 1) {
                        throw new IllegalArgumentException("eval --cv K needs one FILE");
                    }
                    yield crossValidate(Path.of(parsed.positional.get(0)), parsed.cv,
                            parsed.options, parsed.threshold, parsed.json);
                }
                if (parsed.trainFile == null || parsed.testFile == null
                        || !parsed.positional.isEmpty()) {
                    throw new IllegalArgumentException("eval needs --train A --test B, or "
                            + "--cv K FILE");
                }
                yield evaluate(Path.of(parsed.trainFile), Path.of(parsed.testFile),
                        parsed.options, parsed.threshold, parsed.json);
            }
            case "bench" -> bench(parsed);
            case "help", "--help", "-h" -> USAGE;
            default -> throw new IllegalArgumentException("unknown command '" + args[0] + "'");
        };
    }

    /**
     * Trains on a file and writes the artifact.
     *
     * @param file training data
     * @param output the artifact to write
     * @param options training options
     * @return a summary
     * @throws IOException if reading or writing fails
     */
    static String train(final Path file, final Path output, final Trainer.Options options)
            throws IOException {
        final TrainingData.Loaded data = TrainingData.read(file);
        final long start = System.nanoTime();
        final RouterModel model = Trainer.train(data, options);
        model.write(output);
        final StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "trained %s on %s (%d prompts, sha256 %s) in "
                + "%.1f s%n", model.id(), data.name(), data.examples().size(),
                data.sha256().substring(0, 12), (System.nanoTime() - start) / 1e9));
        out.append(describe(options)).append('\n');
        out.append(String.format(Locale.ROOT, "non-zero weights: %d; recommended threshold: "
                + "p(local ok) >= %.4f stays on the cheap tier (%s)%n", model.nonZeroWeights(),
                model.recommendedThreshold(), model.training().path("thresholdFrom").asText()));
        if (model.training().has("cv")) {
            out.append(options.folds()).append("-fold cross-validated:\n");
            out.append(compact(model.training().get("cv").toString())).append('\n');
        }
        out.append("written to ").append(output).append('\n');
        return out.toString();
    }

    /**
     * Trains on one file and evaluates on another.
     *
     * @param trainFile training data
     * @param testFile test data
     * @param options training options
     * @param threshold a fixed threshold, or NaN for the recommended one
     * @param json whether to answer one JSON object instead of the table
     * @return the table or the JSON
     * @throws IOException if a file cannot be read
     */
    static String evaluate(final Path trainFile, final Path testFile,
            final Trainer.Options options, final double threshold, final boolean json)
            throws IOException {
        final TrainingData.Loaded train = TrainingData.read(trainFile);
        final TrainingData.Loaded test = TrainingData.read(testFile);
        final RouterModel model = Trainer.train(train, options);
        final double t = Double.isNaN(threshold) ? model.recommendedThreshold() : threshold;
        final List<SparseVector> vectors = Trainer.vectors(model.features(), test.examples());
        final double[] scores = Trainer.scores(model, vectors);
        final boolean[] strong = new boolean[scores.length];
        for (int i = 0; i < scores.length; i++) {
            strong[i] = RouterModel.localOkOf(scores[i]) < t;
        }
        final Map<String, Evaluation.Row> rows = Evaluation.rows(test.examples(), scores, strong,
                t);
        if (json) {
            return toJson(Evaluation.json(rows));
        }
        return String.format(Locale.ROOT, "learned router trained on %s (%d prompts), tested "
                + "on %s (%d prompts)%n%s%nthreshold: p(local ok) >= %.4f stays on the cheap "
                + "tier (%s)%n%n%s", train.name(), train.examples().size(), test.name(),
                test.examples().size(), describe(options), t, Double.isNaN(threshold)
                        ? "recommended by training: " + model.training().path("thresholdFrom")
                                .asText()
                        : "fixed", Evaluation.table(rows));
    }

    /**
     * K-fold cross-validated evaluation of one file. Each fold's threshold is the one a model
     * trained on that fold's training part recommends (by its own inner cross-validation), or
     * the fixed threshold.
     *
     * @param file the data
     * @param k folds
     * @param options training options
     * @param threshold a fixed threshold, or NaN
     * @param json whether to answer JSON
     * @return the table or the JSON
     * @throws IOException if the file cannot be read
     */
    static String crossValidate(final Path file, final int k, final Trainer.Options options,
            final double threshold, final boolean json) throws IOException {
        final TrainingData.Loaded data = TrainingData.read(file);
        final List<Example> examples = data.examples();
        final Features features = new Features(options.features());
        final List<SparseVector> vectors = Trainer.vectors(features, examples);
        final Trainer.Options folded = options.withFolds(k);
        final Trainer.Folded result = Trainer.crossValidate(examples, vectors, folded,
                options.folds() >= 2);
        final boolean[] strong = result.strong();
        if (!Double.isNaN(threshold)) {
            for (int i = 0; i < strong.length; i++) {
                strong[i] = RouterModel.localOkOf(result.scores()[i]) < threshold;
            }
        }
        final Map<String, Evaluation.Row> rows = Evaluation.rows(examples, result.scores(),
                strong, threshold);
        if (json) {
            return toJson(Evaluation.json(rows));
        }
        return String.format(Locale.ROOT, "%d-fold cross-validation of %s (%d prompts, seed %d)"
                + "%n%s%nthreshold: %s%n%n%s", k, data.name(), examples.size(), options.seed(),
                describe(options), Double.isNaN(threshold) ? "per fold, as a model trained on "
                        + "the other folds recommends it" + (options.folds() >= 2
                                ? " (inner " + Math.min(k, 5) + "-fold cross-validation)"
                                : " (from its own training data)")
                        : String.format(Locale.ROOT, "p(local ok) >= %.4f (fixed)", threshold),
                Evaluation.table(rows));
    }

    /**
     * Times routing decisions: the prompts of a file (if given) and long coding turns.
     *
     * @param parsed the command line: an optional file, {@code --model}, {@code --rounds}
     * @return the figures
     * @throws IOException if a file cannot be read
     */
    private static String bench(final Parsed parsed) throws IOException {
        final RouterModel model = parsed.model == null ? RouterModel.shipped()
                : RouterModel.read(Path.of(parsed.model));
        final AutoRouter router = new AutoRouter(model, AutoRouter.Settings.DEFAULTS);
        final StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
                "auto decision latency, model %s, %d timed rounds after 3 warm-up rounds%n",
                model.id(), parsed.rounds));
        for (final String file : parsed.positional) {
            final List<String> prompts = new ArrayList<>();
            TrainingData.read(Path.of(file)).examples().forEach(e -> prompts.add(e.prompt()));
            out.append(LatencyBench.run(router, Path.of(file).getFileName().toString(),
                    prompts, parsed.rounds));
        }
        out.append(LatencyBench.run(router, "coding turns", LatencyBench.codeTurns(200),
                parsed.rounds * 5));
        return out.toString();
    }

    /**
     * One line describing the options.
     *
     * @param options the options
     * @return the description
     */
    static String describe(final Trainer.Options options) {
        final FeatureConfig f = options.features();
        return String.format(Locale.ROOT, "logistic regression predicting '%s', L2 %s, 2^%d "
                + "hashed features: unigrams%s%s%s%s, lengths, code, markers%s%s",
                options.label().id(), options.l2Choices().isEmpty() ? options.l2()
                        : "chosen by inner cross-validation from " + options.l2Choices(),
                f.bits(), f.bigrams() ? " + bigrams (" + f.bigramWeight() + ")" : "",
                f.trigrams() ? " + trigrams (" + f.trigramWeight() + ")" : "",
                f.charNgrams() > 0 ? " + char 3.." + f.charNgrams() + "-grams ("
                        + f.charWeight() + ")" : "",
                f.textNorm() > 0 ? " (scaled " + f.textNorm() + "/sqrt(count))" : "",
                f.shape() ? ", question shape" : "",
                f.kindConjunction() ? ", joined with the prompt kind" : "");
    }

    private static String toJson(final ObjectNode node) throws IOException {
        return new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(node)
                + "\n";
    }

    private static String compact(final String json) {
        return json.replace("},\"", "},\n\"");
    }

    /** A parsed command line. */
    private static final class Parsed {
        final List<String> positional = new ArrayList<>();
        Trainer.Options options = Trainer.DEFAULTS;
        String trainFile;
        String testFile;
        int cv;
        boolean json;
        double threshold = Double.NaN;
        String model;
        int rounds = 3;
    }

    private static Parsed parse(final String[] args) {
        final Parsed parsed = new Parsed();
        FeatureConfig features = Trainer.DEFAULTS.features();
        Label label = Trainer.DEFAULTS.label();
        double l2 = Trainer.DEFAULTS.l2();
        List<Double> l2Choices = Trainer.DEFAULTS.l2Choices();
        int iterations = Trainer.DEFAULTS.maxIterations();
        int folds = Trainer.DEFAULTS.folds();
        long seed = Trainer.DEFAULTS.seed();
        for (int i = 0; i < args.length; i++) {
            final String arg = args[i];
            if (!arg.startsWith("--")) {
                parsed.positional.add(arg);
                continue;
            }
            switch (arg) {
                case "--json" -> parsed.json = true;
                case "--no-kind" -> features = features.withKindConjunction(false);
                case "--no-shape" -> features = features.withText(features.trigramWeight(),
                        false, features.textNorm());
                default -> {
                    if (i + 1 >= args.length) {
                        throw new IllegalArgumentException(arg + " needs a value");
                    }
                    final String value = args[++i];
                    try {
                        switch (arg) {
                            case "--train" -> parsed.trainFile = value;
                            case "--test" -> parsed.testFile = value;
                            case "--cv" -> parsed.cv = positive(arg, Integer.parseInt(value));
                            case "--label" -> label = Label.parse(value);
                            case "--l2" -> {
                                final List<Double> values = new ArrayList<>();
                                for (final String part : value.split(",")) {
                                    values.add(Double.parseDouble(part.trim()));
                                }
                                l2 = values.get(0);
                                l2Choices = values.size() > 1 ? values : List.of();
                            }
                            case "--trigrams" -> features = features.withText(
                                    Double.parseDouble(value), features.shape(),
                                    features.textNorm());
                            case "--norm" -> features = features.withText(
                                    features.trigramWeight(), features.shape(),
                                    Double.parseDouble(value));
                            case "--bigrams" -> {
                                final double weight = Double.parseDouble(value);
                                features = features.withBigrams(weight > 0, weight);
                            }
                            case "--chars" -> {
                                final String[] parts = value.split(":");
                                features = features.withCharNgrams(Integer.parseInt(parts[0]),
                                        parts.length > 1 ? Double.parseDouble(parts[1])
                                                : features.charWeight());
                            }
                            case "--bits" -> features = features.withBits(
                                    Integer.parseInt(value));
                            case "--iterations" -> iterations = Integer.parseInt(value);
                            case "--folds" -> folds = Integer.parseInt(value);
                            case "--seed" -> seed = Long.parseLong(value);
                            case "--threshold" -> parsed.threshold = Double.parseDouble(value);
                            case "--model" -> parsed.model = value;
                            case "--rounds" -> parsed.rounds = positive(arg,
                                    Integer.parseInt(value));
                            default -> throw new IllegalArgumentException("unknown option "
                                    + arg);
                        }
                    } catch (final NumberFormatException e) {
                        throw new IllegalArgumentException(arg + ": '" + value
                                + "' is not a number", e);
                    }
                }
            }
        }
        if (parsed.cv == 1) {
            throw new IllegalArgumentException("--cv needs at least 2 folds");
        }
        parsed.options = new Trainer.Options(features, label, l2, iterations, folds, seed,
                Trainer.DEFAULTS.target(), l2Choices);
        return parsed;
    }

    private static int positive(final String option, final int value) {
        if (value < 1) {
            throw new IllegalArgumentException(option + " must be positive");
        }
        return value;
    }
}
