package lodestar.routing.auto.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LogisticRegressionTest {

    private static SparseVector row(final int... indices) {
        final float[] values = new float[indices.length];
        java.util.Arrays.fill(values, 1f);
        return SparseVector.of(indices, values, indices.length);
    }

    @Test
    void learnsASeparableToySetAndConverges() {
        // feature 0 is a bias, feature 1 marks positives, feature 2 negatives
        final List<SparseVector> rows = new ArrayList<>();
        final double[] labels = new double[40];
        for (int i = 0; i < 40; i++) {
            rows.add(i % 2 == 0 ? row(0, 1, 10 + i) : row(0, 2, 10 + i));
            labels[i] = i % 2 == 0 ? 1 : 0;
        }
        final LogisticRegression.Fit fit = LogisticRegression.fit(rows, labels, 64, 1e-3, 200);

        assertThat(fit.features()).isEqualTo(43);
        assertThat(fit.iterations()).isBetween(1, 200);
        assertThat(fit.loss()).isLessThan(Math.log(2) / 2);
        assertThat(LogisticRegression.sigmoid(row(0, 1).dot(fit.weights())))
                .isGreaterThan(0.9);
        assertThat(LogisticRegression.sigmoid(row(0, 2).dot(fit.weights()))).isLessThan(0.1);
        assertThat(fit.weights()[63]).isZero();
    }

    @Test
    void strongRegularisationPullsTowardsTheBaseRate() {
        final List<SparseVector> rows = new ArrayList<>();
        final double[] labels = new double[100];
        for (int i = 0; i < 100; i++) {
            rows.add(row(0));
            labels[i] = i < 25 ? 1 : 0;
        }
        final LogisticRegression.Fit free = LogisticRegression.fit(rows, labels, 4, 0, 100);
        final LogisticRegression.Fit tight = LogisticRegression.fit(rows, labels, 4, 10, 100);

        assertThat(LogisticRegression.sigmoid(free.weights()[0])).isCloseTo(0.25,
                within(1e-3));
        assertThat(Math.abs(tight.weights()[0])).isLessThan(Math.abs(free.weights()[0]));
    }

    @Test
    void softLabelsAreFitted() {
        final List<SparseVector> rows = List.of(row(0), row(0));
        final LogisticRegression.Fit fit = LogisticRegression.fit(rows, new double[] {0.7, 0.7},
                2, 0, 100);

        assertThat(LogisticRegression.sigmoid(fit.weights()[0])).isCloseTo(0.7, within(1e-3));
    }

    @Test
    void edgeCases() {
        assertThat(LogisticRegression.fit(List.of(), new double[0], 8, 0.1, 10).weights())
                .containsOnly(0f);
        assertThatThrownBy(() -> LogisticRegression.fit(List.of(row(0)), new double[2], 8, 0,
                10)).hasMessageContaining("differ");
        assertThatThrownBy(() -> LogisticRegression.fit(List.of(row(9)), new double[1], 8, 0,
                10)).hasMessageContaining("outside");
        assertThat(LogisticRegression.sigmoid(0)).isEqualTo(0.5);
        assertThat(LogisticRegression.sigmoid(-800)).isZero();
        assertThat(LogisticRegression.sigmoid(800)).isEqualTo(1.0);
    }
}
