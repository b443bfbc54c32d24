package lodestar.routing.auto.internal;

import java.util.Arrays;
import java.util.Comparator;

/**
 * The RouteLLM routing metrics on labelled data (definitions in {@code data/routing-eval}'s
 * README and the RouteLLM paper).
 *
 * <p>A router gives each prompt a score; prompts with a score at or above a threshold go to the
 * strong model. Sweeping the threshold over every distinct score gives the quality-versus-cost
 * curve: cost is the share of calls sent to the strong model, quality the mean correctness of
 * the model chosen for each prompt. The curve runs from (0, weak quality) to (1, strong quality).
 * <ul>
 * <li>savings at x of strong quality: 1 - the cost of the cheapest point whose quality reaches
 *     x times the strong model's quality;</li>
 * <li>APGR: the area between the curve and the weak model's quality (trapezoids over cost from
 *     0 to 1) over the area between the strong and the weak quality;</li>
 * <li>CPT(x): the cost of the cheapest point that recovers x of the quality gap, i.e. reaches
 *     weak + x (strong - weak).</li>
 * </ul>
 * The random router sends each prompt to the strong model with probability c: its expected
 * quality is the straight line weak + c (strong - weak), so its APGR is 0.5 and CPT(x) = x.
 */
final class Metrics {

    /** Tolerance for comparing qualities (they are means of 0/1 values). */
    private static final double EPSILON = 1e-12;

    /**
     * A quality-versus-cost curve.
     *
     * @param cost strong-call share of each point, ascending from 0 to 1
     * @param quality mean correctness at each point
     * @param cut the score threshold of each point: prompts scoring at or above it go strong
     *     ({@code +Infinity} for the first point)
     * @param weak the weak model's quality
     * @param strong the strong model's quality
     */
    record Curve(double[] cost, double[] quality, double[] cut, double weak, double strong) {

        /** @return the number of points */
        int size() {
            return cost.length;
        }
    }

    /**
     * The summary of one router on one set.
     *
     * @param n prompts
     * @param weak weak model quality
     * @param strong strong model quality
     * @param savingsAt95 savings at 95% of the strong quality
     * @param apgr average performance gap recovered
     * @param cpt50 strong-call share to recover 50% of the gap
     * @param cpt80 strong-call share to recover 80% of the gap
     */
    record Summary(int n, double weak, double strong, double savingsAt95, double apgr,
            double cpt50, double cpt80) {
    }

    private Metrics() {
    }

    /**
     * The curve of a router.
     *
     * @param scores one score per prompt, higher means more in need of the strong model
     * @param weak whether the weak model was correct, per prompt
     * @param strong whether the strong model was correct, per prompt
     * @return the curve, one point per distinct score plus the all-weak point
     */
    static Curve curve(final double[] scores, final boolean[] weak, final boolean[] strong) {
        final int n = scores.length;
        if (weak.length != n || strong.length != n) {
            throw new IllegalArgumentException("scores and outcomes differ in length");
        }
        if (n == 0) {
            return new Curve(new double[] {0, 1}, new double[] {0, 0},
                    new double[] {Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}, 0, 0);
        }
        final Integer[] order = new Integer[n];
        int weakRight = 0;
        int strongRight = 0;
        for (int i = 0; i < n; i++) {
            order[i] = i;
            weakRight += weak[i] ? 1 : 0;
            strongRight += strong[i] ? 1 : 0;
        }
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -scores[i]));
        final double[] cost = new double[n + 1];
        final double[] quality = new double[n + 1];
        final double[] cut = new double[n + 1];
        cost[0] = 0;
        quality[0] = (double) weakRight / n;
        cut[0] = Double.POSITIVE_INFINITY;
        int points = 1;
        int right = weakRight;
        int i = 0;
        while (i < n) {
            final double score = scores[order[i]];
            while (i < n && scores[order[i]] == score) {
                right += (strong[order[i]] ? 1 : 0) - (weak[order[i]] ? 1 : 0);
                i++;
            }
            cost[points] = (double) i / n;
            quality[points] = (double) right / n;
            cut[points] = score;
            points++;
        }
        return new Curve(Arrays.copyOf(cost, points), Arrays.copyOf(quality, points),
                Arrays.copyOf(cut, points), (double) weakRight / n, (double) strongRight / n);
    }

    /**
     * The index of the cheapest point reaching a quality.
     *
     * @param curve the curve
     * @param target the quality to reach
     * @return the point's index (the last point always reaches the strong quality)
     */
    static int cheapestReaching(final Curve curve, final double target) {
        for (int k = 0; k < curve.size(); k++) {
            if (curve.quality()[k] >= target - EPSILON) {
                return k;
            }
        }
        return curve.size() - 1;
    }

    /**
     * Savings at a share of the strong model's quality.
     *
     * @param curve the curve
     * @param fraction e.g. 0.95
     * @return 1 - the strong-call share of the cheapest point reaching it
     */
    static double savingsAt(final Curve curve, final double fraction) {
        return 1 - curve.cost()[cheapestReaching(curve, fraction * curve.strong())];
    }

    /**
     * Average performance gap recovered.
     *
     * @param curve the curve
     * @return the area ratio; NaN when the strong model is not better than the weak one
     */
    static double apgr(final Curve curve) {
        final double gap = curve.strong() - curve.weak();
        if (gap <= EPSILON) {
            return Double.NaN;
        }
        double area = 0;
        for (int k = 1; k < curve.size(); k++) {
            final double width = curve.cost()[k] - curve.cost()[k - 1];
            area += width * ((curve.quality()[k] + curve.quality()[k - 1]) / 2 - curve.weak());
        }
        return area / gap;
    }

    /**
     * Call-performance threshold: the strong-call share needed to recover a share of the gap.
     *
     * @param curve the curve
     * @param fraction of the quality gap, e.g. 0.5
     * @return the strong-call share; 0 when the strong model is not better
     */
    static double cpt(final Curve curve, final double fraction) {
        final double gap = curve.strong() - curve.weak();
        if (gap <= EPSILON) {
            return 0;
        }
        return curve.cost()[cheapestReaching(curve, curve.weak() + fraction * gap)];
    }

    /**
     * The random router's savings at a share of the strong quality.
     *
     * @param weak the weak quality
     * @param strong the strong quality
     * @param fraction e.g. 0.95
     * @return 1 - the strong-call share where the straight line reaches it
     */
    static double randomSavingsAt(final double weak, final double strong,
            final double fraction) {
        final double target = fraction * strong;
        if (weak >= target - EPSILON) {
            return 1;
        }
        return 1 - Math.min(1, (target - weak) / (strong - weak));
    }

    /**
     * Summarises a router's scores.
     *
     * @param scores one score per prompt, higher means more in need of the strong model
     * @param weak weak outcomes
     * @param strong strong outcomes
     * @return the summary
     */
    static Summary summarise(final double[] scores, final boolean[] weak,
            final boolean[] strong) {
        final Curve curve = curve(scores, weak, strong);
        return new Summary(scores.length, curve.weak(), curve.strong(), savingsAt(curve, 0.95),
                apgr(curve), cpt(curve, 0.5), cpt(curve, 0.8));
    }
}
