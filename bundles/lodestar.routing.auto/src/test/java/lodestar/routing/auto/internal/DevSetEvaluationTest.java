package lodestar.routing.auto.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A quality guard on the project's dev set: 5-fold cross-validation with the shipped options
 * (each fold's threshold from its own training part, to keep the suite fast). The floors are
 * well below the figures in the README so that only a real regression fails.
 */
class DevSetEvaluationTest {

    @Test
    void crossValidatedFiguresStayAboveTheFloors() throws IOException {
        final TrainingData.Loaded dev = TrainingData.read(Fixtures.devFile());
        final Trainer.Options options = Trainer.DEFAULTS;
        final List<SparseVector> vectors = Trainer.vectors(new Features(options.features()),
                dev.examples());
        final Trainer.Folded folded = Trainer.crossValidate(dev.examples(), vectors, options);
        final Map<String, Evaluation.Row> rows = Evaluation.rows(dev.examples(),
                folded.scores(), folded.strong(), Double.NaN);
        System.out.print(Evaluation.table(rows));

        final Metrics.Summary mmlu = rows.get("mmlu").router();
        final Metrics.Summary gsm8k = rows.get("gsm8k").router();
        final Metrics.Summary all = rows.get(Evaluation.ALL).router();
        assertThat(mmlu.savingsAt95()).isGreaterThan(0.45);
        assertThat(mmlu.apgr()).isGreaterThan(0.62);
        assertThat(gsm8k.savingsAt95()).isGreaterThan(0.25);
        assertThat(gsm8k.apgr()).isGreaterThan(0.6);
        assertThat(all.apgr()).isGreaterThan(0.62);
        assertThat(all.savingsAt95()).isGreaterThan(rows.get(Evaluation.ALL).randomSavingsAt95());
    }
}
