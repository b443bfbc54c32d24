package lodestar.routing.auto.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TrainerTest {

    @Test
    void foldsAreStratifiedBySourceAndReproducible() {
        final List<Example> examples = new ArrayList<>();
        for (int i = 0; i < 103; i++) {
            examples.add(new Example("" + i, i < 90 ? "a" : "b", "p" + i, true, true));
        }
        final int[] folds = Trainer.folds(examples, 5, 7);

        assertThat(folds).isEqualTo(Trainer.folds(examples, 5, 7));
        assertThat(folds).isNotEqualTo(Trainer.folds(examples, 5, 8));
        final Map<String, int[]> counts = new HashMap<>();
        for (int i = 0; i < folds.length; i++) {
            counts.computeIfAbsent(examples.get(i).source(), s -> new int[5])[folds[i]]++;
        }
        assertThat(counts.get("a")).containsOnly(18);
        for (final int count : counts.get("b")) {
            assertThat(count).isBetween(2, 3);
        }
    }

    @Test
    void theRecommendedThresholdSitsBetweenTheLastStrongAndTheFirstWeakScore() {
        final List<Example> examples = List.of(
                new Example("0", "s", "a", true, true),
                new Example("1", "s", "b", false, true),
                new Example("2", "s", "c", true, false),
                new Example("3", "s", "d", false, true));
        // the cheapest point reaching 0.95 x 0.75 sends only prompt 1 (gain 0.9) strong;
        // the next gain is 0.8: the cut is between them, p(local ok) threshold 1 - 0.85
        final double threshold = Trainer.recommendedThreshold(new double[] {0.1, 0.9, 0.2, 0.8},
                examples, 0.95);

        assertThat(threshold).isCloseTo(0.15, org.assertj.core.api.Assertions.within(1e-12));
        assertThat(RouterModel.localOkOf(0.9)).isLessThan(threshold);
        assertThat(RouterModel.localOkOf(0.8)).isGreaterThan(threshold);
        // nothing needed: threshold 0 keeps everything cheap; everything needed: 1
        assertThat(Trainer.recommendedThreshold(new double[] {0.1, 0.9, 0.2, 0.8}, examples,
                0.5)).isZero();
        assertThat(Trainer.recommendedThreshold(new double[] {0.9, 0.1, 0.8, 0.2}, examples,
                1.0)).isEqualTo(1.0);
    }

    @Test
    void trainsOnTheToySetAndLearnsItsSignal() {
        final RouterModel model = Fixtures.toyModel();

        final double easy = model.predict(PromptView.of("what colour is the sky")).localOk();
        final double hard = model.predict(PromptView.of("prove the banana conjecture"))
                .localOk();
        assertThat(easy).isGreaterThan(0.7);
        assertThat(hard).isLessThan(0.4);
        assertThat(model.training().path("n").asInt()).isEqualTo(40);
        assertThat(model.training().path("sources").path("alpha").asInt()).isEqualTo(20);
        assertThat(model.training().path("thresholdFrom").asText()).contains("optimistic");
        assertThat(model.training().path("sha256").asText()).hasSize(64);
    }

    @Test
    void crossValidationRecordsMetricsAndTheThreshold() {
        final Trainer.Options options = new Trainer.Options(Fixtures.TOY.features(), Label.GAIN,
                0.001, 100, 4, 3, 0.95);
        final RouterModel model = Trainer.train(Fixtures.toy(), options);

        assertThat(model.label()).isEqualTo(Label.GAIN);
        assertThat(model.training().path("cvFolds").asInt()).isEqualTo(4);
        assertThat(model.training().path("cv").path("all").path("n").asInt()).isEqualTo(40);
        assertThat(model.training().path("cv").path("alpha").path("apgr").asDouble())
                .isGreaterThan(0.5);
        assertThat(model.training().path("thresholdFrom").asText())
                .isEqualTo("4-fold cross-validation");
        assertThat(model.recommendedThreshold()).isBetween(0.0, 1.0);

        final List<SparseVector> vectors = Trainer.vectors(model.features(),
                Fixtures.toy().examples());
        final Trainer.Folded inner = Trainer.crossValidate(Fixtures.toy().examples(), vectors,
                options, true);
        assertThat(inner.scores()).hasSize(40);
        assertThatThrownBy(() -> Trainer.crossValidate(List.of(), List.of(),
                options.withFolds(1))).hasMessageContaining("2 folds");
    }

    @Test
    void theL2PenaltyIsChosenByTheTrainingsOwnCrossValidation() {
        final Trainer.Options options = new Trainer.Options(Fixtures.TOY.features(), Label.GAIN,
                0.5, 100, 4, 3, 0.95, List.of(0.001, 10.0));
        final RouterModel model = Trainer.train(Fixtures.toy(), options);

        final double chosen = model.training().path("l2").asDouble();
        final double small = model.training().path("l2Choices").path("0.001").asDouble();
        final double large = model.training().path("l2Choices").path("10.0").asDouble();
        assertThat(model.training().path("l2Choices").size()).isEqualTo(2);
        assertThat(chosen).isEqualTo(small >= large ? 0.001 : 10.0);
        assertThat(Math.max(small, large)).isEqualTo(model.training().path("cv").path("all")
                .path("apgr").asDouble(), org.assertj.core.data.Offset.offset(1e-4));

        final Trainer.Selection single = Trainer.select(Fixtures.toy().examples(),
                Trainer.vectors(model.features(), Fixtures.toy().examples()),
                options.withL2(0.01));
        assertThat(single.l2()).isEqualTo(0.01);
        assertThat(single.apgrByL2()).containsOnlyKeys(0.01);
        assertThat(options.withL2(0.01).l2Choices()).isEmpty();
        assertThat(options.withL2(0.01).withL2Choices(List.of(1.0)).l2Choices())
                .containsExactly(1.0);
        assertThat(Trainer.DEFAULTS.l2Choices()).contains(Trainer.DEFAULTS.l2());
        final Trainer.Folded nested = Trainer.crossValidate(Fixtures.toy().examples(),
                Trainer.vectors(model.features(), Fixtures.toy().examples()), options, true);
        assertThat(nested.scores()).hasSize(40);
    }

    @Test
    void rejectsBadOptionsAndEmptyData() {
        assertThatThrownBy(() -> new Trainer.Options(FeatureConfig.DEFAULT, Label.NEED, -1, 10,
                5, 1, 0.95)).hasMessageContaining("l2 -1");
        assertThatThrownBy(() -> new Trainer.Options(FeatureConfig.DEFAULT, Label.NEED, 1, 10,
                5, 1, 1.5)).hasMessageContaining("target");
        assertThatThrownBy(() -> new Trainer.Options(FeatureConfig.DEFAULT, Label.NEED, 1, 10,
                5, 1, 0.9, List.of(0.1, -2.0))).hasMessageContaining("l2Choices [0.1, -2.0]");
        assertThatThrownBy(() -> Trainer.train(new TrainingData.Loaded(List.of(), "x", "e.jsonl"),
                Fixtures.TOY)).hasMessageContaining("e.jsonl has no examples");
    }

    @Test
    void labels() {
        final Example need = new Example(null, null, null, false, true);
        final Example hurt = new Example("", " ", "", true, false);

        assertThat(need.source()).isEqualTo("unknown");
        assertThat(Label.NEED.of(need)).isEqualTo(1);
        assertThat(Label.GAIN.of(need)).isEqualTo(1);
        assertThat(Label.WEAK.of(need)).isZero();
        assertThat(Label.hurt(hurt)).isEqualTo(1);
        assertThat(Label.hurt(need)).isZero();
        assertThat(Label.GAIN.gain(0.6, 0.1)).isEqualTo(0.5);
        assertThat(Label.NEED.gain(0.6, 0.1)).isEqualTo(0.6);
        assertThat(Label.WEAK.gain(0.75, 0)).isEqualTo(0.25);
        assertThat(Label.parse(" Weak ")).isEqualTo(Label.WEAK);
        assertThat(Label.GAIN.twoModels()).isTrue();
        assertThatThrownBy(() -> Label.parse("best")).hasMessageContaining("unknown label");
    }
}
