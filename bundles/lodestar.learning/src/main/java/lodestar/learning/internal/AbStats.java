package lodestar.learning.internal;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Confidence intervals of the A/B experiment: Wilson for one proportion, Newcombe's hybrid
 * score interval (his method 10, built from the two Wilson intervals) for the difference of
 * two proportions, and Welch's t interval (Welch–Satterthwaite degrees of freedom, Student t
 * quantile computed from the regularized incomplete beta function) for the difference of two
 * means. All at 95%.
 */
final class AbStats {

    /** The 97.5% quantile of the standard normal distribution. */
    static final double Z = 1.959963984540054;

    private AbStats() {
    }

    /**
     * Running figures of one sample: count, mean and sum of squared deviations (Welford).
     *
     * @param n observations
     * @param mean their mean
     * @param m2 the sum of squared deviations from the mean
     */
    record Sample(long n, double mean, double m2) {

        /** @return the sample variance, {@code NaN} below two observations */
        double variance() {
            return n > 1 ? Math.max(0, m2) / (n - 1) : Double.NaN;
        }
    }

    /**
     * Wilson score interval of a proportion.
     *
     * @param hits successes
     * @param n trials, more than 0
     * @return {@code {low, high}}
     */
    static double[] wilson(final long hits, final long n) {
        final double p = hits / (double) n;
        final double denominator = 1 + Z * Z / n;
        final double centre = (p + Z * Z / (2 * n)) / denominator;
        final double half = Z * Math.sqrt(p * (1 - p) / n + Z * Z / (4.0 * n * n))
                / denominator;
        // exact at the ends: 0 hits cannot have a lower bound above 0 (nor n hits an upper
        // bound below 1), whatever the rounding of centre - half
        return new double[] {hits == 0 ? 0 : Math.max(0, centre - half),
            hits == n ? 1 : Math.min(1, centre + half)};
    }

    /**
     * The difference {@code hits1/n1 - hits2/n2} with Newcombe's hybrid score interval.
     *
     * @param hits1 successes of the first sample (the candidate)
     * @param n1 its size, more than 0
     * @param hits2 successes of the second sample (the live version)
     * @param n2 its size, more than 0
     * @return {@code {value, low, high, method}}
     */
    static Map<String, Object> proportionDifference(final long hits1, final long n1,
            final long hits2, final long n2) {
        final double p1 = hits1 / (double) n1;
        final double p2 = hits2 / (double) n2;
        final double[] w1 = wilson(hits1, n1);
        final double[] w2 = wilson(hits2, n2);
        final double d = p1 - p2;
        final double low = d - Math.sqrt(square(p1 - w1[0]) + square(w2[1] - p2));
        final double high = d + Math.sqrt(square(w1[1] - p1) + square(p2 - w2[0]));
        return interval(d, Math.max(-1, low), Math.min(1, high), "newcombe");
    }

    /**
     * The difference of two means with Welch's interval. Below two observations in either
     * sample the spread is unknown: the bounds are {@code null}. Two samples without spread
     * give a zero-width interval.
     *
     * @param first the first sample (the candidate)
     * @param second the second sample (the live version)
     * @return {@code {value, low, high, method, df}}
     */
    static Map<String, Object> meanDifference(final Sample first, final Sample second) {
        final double d = first.mean() - second.mean();
        if (first.n() < 2 || second.n() < 2) {
            return interval(d, null, null, "welch");
        }
        final double a = first.variance() / first.n();
        final double b = second.variance() / second.n();
        final double se = Math.sqrt(a + b);
        if (se == 0) {
            return interval(d, d, d, "welch");
        }
        final double df = square(a + b) / (square(a) / (first.n() - 1)
                + square(b) / (second.n() - 1));
        final double half = tQuantile975(df) * se;
        final Map<String, Object> out = interval(d, d - half, d + half, "welch");
        out.put("df", df);
        return out;
    }

    /**
     * Student's t interval of one mean: {@code mean ± t(0.975, n - 1) · s / √n}. Below two
     * observations the spread is unknown ({@code null}); without spread the interval has zero
     * width.
     *
     * @param sample the sample
     * @return {@code {low, high}}, or {@code null} below two observations
     */
    static double[] tInterval(final Sample sample) {
        if (sample.n() < 2) {
            return null;
        }
        final double se = Math.sqrt(sample.variance() / sample.n());
        final double half = se == 0 ? 0 : tQuantile975(sample.n() - 1) * se;
        return new double[] {sample.mean() - half, sample.mean() + half};
    }

    private static Map<String, Object> interval(final double value, final Double low,
            final Double high, final String method) {
        final Map<String, Object> out = new LinkedHashMap<>();
        out.put("value", value);
        out.put("low", low);
        out.put("high", high);
        out.put("excludesZero", low != null && high != null && (low > 0 || high < 0));
        out.put("method", method);
        return out;
    }

    /**
     * The 97.5% quantile of Student's t distribution (bisection on its distribution function).
     *
     * @param df degrees of freedom, more than 0 (need not be whole)
     * @return t such that P(T &le; t) = 0.975
     */
    static double tQuantile975(final double df) {
        if (df > 1e7) {
            return Z;
        }
        double low = Z;
        double high = 1;
        while (tUpperTail(high, df) > 0.025) {
            high *= 2;
        }
        for (int i = 0; i < 100 && high - low > 1e-10; i++) {
            final double mid = (low + high) / 2;
            if (tUpperTail(mid, df) > 0.025) {
                low = mid;
            } else {
                high = mid;
            }
        }
        return (low + high) / 2;
    }

    /**
     * P(T &gt; t) for t &ge; 0.
     *
     * @param t the value
     * @param df degrees of freedom
     * @return the upper tail probability
     */
    static double tUpperTail(final double t, final double df) {
        return 0.5 * regularizedBeta(df / (df + t * t), df / 2, 0.5);
    }

    /**
     * The regularized incomplete beta function I_x(a, b) (continued fraction, Lentz).
     *
     * @param x in [0, 1]
     * @param a more than 0
     * @param b more than 0
     * @return I_x(a, b)
     */
    static double regularizedBeta(final double x, final double a, final double b) {
        if (x <= 0) {
            return 0;
        }
        if (x >= 1) {
            return 1;
        }
        final double front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b)
                + a * Math.log(x) + b * Math.log(1 - x));
        if (x < (a + 1) / (a + b + 2)) {
            return front * betaFraction(x, a, b) / a;
        }
        return 1 - front * betaFraction(1 - x, b, a) / b;
    }

    private static double betaFraction(final double x, final double a, final double b) {
        final double tiny = 1e-300;
        double c = 1;
        double d = 1 - (a + b) * x / (a + 1);
        d = 1 / (Math.abs(d) < tiny ? tiny : d);
        double h = d;
        for (int m = 1; m <= 300; m++) {
            final int m2 = 2 * m;
            double aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
            d = 1 + aa * d;
            d = 1 / (Math.abs(d) < tiny ? tiny : d);
            c = 1 + aa / c;
            c = Math.abs(c) < tiny ? tiny : c;
            h *= d * c;
            aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
            d = 1 + aa * d;
            d = 1 / (Math.abs(d) < tiny ? tiny : d);
            c = 1 + aa / c;
            c = Math.abs(c) < tiny ? tiny : c;
            final double delta = d * c;
            h *= delta;
            if (Math.abs(delta - 1) < 1e-15) {
                break;
            }
        }
        return h;
    }

    /**
     * ln Γ(x) for x &gt; 0 (Lanczos, g = 7, 9 terms).
     *
     * @param x more than 0
     * @return ln Γ(x)
     */
    static double logGamma(final double x) {
        final double[] c = {0.99999999999980993, 676.5203681218851, -1259.1392167224028,
            771.32342877765313, -176.61502916214059, 12.507343278686905,
            -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7};
        if (x < 0.5) {
            return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
        }
        final double y = x - 1;
        double sum = c[0];
        for (int i = 1; i < c.length; i++) {
            sum += c[i] / (y + i);
        }
        final double t = y + 7.5;
        return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(sum);
    }

    private static double square(final double v) {
        return v * v;
    }
}
