package lodestar.routing.auto.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The metrics on cases small enough to compute by hand. */
class MetricsTest {

    // weak right on 0 and 2, strong right on 0, 1 and 3: weak 0.5, strong 0.75
    private static final boolean[] WEAK = {true, false, true, false};
    private static final boolean[] STRONG = {true, true, false, true};

    @Test
    void aGoodRouterOnFourPrompts() {
        // order by score: 1 (+1), 3 (+1), 2 (-1), 0 (0)
        final Metrics.Curve curve = Metrics.curve(new double[] {0.1, 0.9, 0.2, 0.8}, WEAK,
                STRONG);

        assertThat(curve.cost()).containsExactly(0, 0.25, 0.5, 0.75, 1);
        assertThat(curve.quality()).containsExactly(0.5, 0.75, 1.0, 0.75, 0.75);
        assertThat(curve.cut()).containsExactly(Double.POSITIVE_INFINITY, 0.9, 0.8, 0.2, 0.1);
        assertThat(curve.weak()).isEqualTo(0.5);
        assertThat(curve.strong()).isEqualTo(0.75);
        // 95% of 0.75 = 0.7125, first reached at cost 0.25
        assertThat(Metrics.savingsAt(curve, 0.95)).isEqualTo(0.75);
        // trapezoids of (q - 0.5): 0.03125 + 0.09375 + 0.09375 + 0.0625 = 0.28125; / 0.25
        assertThat(Metrics.apgr(curve)).isCloseTo(1.125, within(1e-12));
        // 50%: 0.625 and 80%: 0.7, both first reached at cost 0.25
        assertThat(Metrics.cpt(curve, 0.5)).isEqualTo(0.25);
        assertThat(Metrics.cpt(curve, 0.8)).isEqualTo(0.25);
        // random: the line 0.5 + 0.25 c reaches 0.7125 at c = 0.85
        assertThat(Metrics.randomSavingsAt(0.5, 0.75, 0.95)).isCloseTo(0.15, within(1e-12));
    }

    @Test
    void aBackwardRouterIsWorseThanRandom() {
        final Metrics.Summary summary = Metrics.summarise(new double[] {0.9, 0.1, 0.8, 0.2},
                WEAK, STRONG);

        // order: 0 (0), 2 (-1), 3 (+1), 1 (+1): qualities 0.5, 0.5, 0.25, 0.5, 0.75
        assertThat(summary.n()).isEqualTo(4);
        assertThat(summary.savingsAt95()).isZero();
        // areas: 0 + (-0.125 * 0.25) + (-0.125 * 0.25) + (0.125 * 0.25) = -0.03125; / 0.25
        assertThat(summary.apgr()).isCloseTo(-0.125, within(1e-12));
        assertThat(summary.cpt50()).isEqualTo(1.0);
        assertThat(summary.cpt80()).isEqualTo(1.0);
    }

    @Test
    void tiedScoresMoveTogether() {
        final Metrics.Curve curve = Metrics.curve(new double[] {0.5, 0.5, 0.5, 0.5}, WEAK,
                STRONG);

        assertThat(curve.cost()).containsExactly(0, 1);
        assertThat(curve.quality()).containsExactly(0.5, 0.75);
        // a straight line: the random router's area
        assertThat(Metrics.apgr(curve)).isCloseTo(0.5, within(1e-12));
        assertThat(Metrics.savingsAt(curve, 0.95)).isZero();
    }

    @Test
    void whenTheWeakModelIsGoodEnoughEverythingIsSaved() {
        final boolean[] same = {true, false};
        final Metrics.Curve curve = Metrics.curve(new double[] {1, 0}, same, same);

        assertThat(Metrics.savingsAt(curve, 0.95)).isEqualTo(1.0);
        assertThat(Metrics.apgr(curve)).isNaN();
        assertThat(Metrics.cpt(curve, 0.5)).isZero();
        assertThat(Metrics.randomSavingsAt(0.5, 0.5, 0.95)).isEqualTo(1.0);
        assertThat(Metrics.randomSavingsAt(0.0, 0.0, 0.95)).isEqualTo(1.0);
    }

    @Test
    void randomScoresAverageToTheRandomRouter() {
        final Random random = new Random(5);
        final int n = 2000;
        final boolean[] weak = new boolean[n];
        final boolean[] strong = new boolean[n];
        for (int i = 0; i < n; i++) {
            weak[i] = random.nextDouble() < 0.6;
            strong[i] = random.nextDouble() < 0.8;
        }
        double apgr = 0;
        for (int round = 0; round < 20; round++) {
            final double[] scores = new double[n];
            for (int i = 0; i < n; i++) {
                scores[i] = random.nextDouble();
            }
            apgr += Metrics.apgr(Metrics.curve(scores, weak, strong)) / 20;
        }
        assertThat(apgr).isCloseTo(0.5, within(0.05));
    }

    @Test
    void emptyAndMismatchedInputs() {
        final Metrics.Curve empty = Metrics.curve(new double[0], new boolean[0], new boolean[0]);
        assertThat(empty.size()).isEqualTo(2);
        assertThat(Metrics.cheapestReaching(empty, 2)).isEqualTo(1);
        assertThatThrownBy(() -> Metrics.curve(new double[1], new boolean[2], new boolean[1]))
                .hasMessageContaining("differ");
    }
}
