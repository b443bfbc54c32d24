package lodestar.routing.auto.internal;

import java.util.Arrays;
import java.util.List;

/**
 * L2-regularised logistic regression over sparse hashed features, fitted with L-BFGS.
 *
 * <p>Minimises {@code (1/n) sum_i [log(1 + e^z_i) - y_i z_i] + (l2/2) |w|^2} with
 * {@code z_i = w . x_i}; labels may be soft (any value in [0, 1]). Only the features that occur
 * in the data are optimised (all others stay 0), so training memory follows the data, not
 * {@code 2^bits}. Deterministic: the same data and options give the same weights.
 */
final class LogisticRegression {

    /** L-BFGS history length. */
    private static final int MEMORY = 10;
    /** Sufficient decrease constant of the Armijo line search. */
    private static final double ARMIJO = 1e-4;
    private static final int MAX_HALVINGS = 40;

    /**
     * A fitted model.
     *
     * @param weights dense weights over the whole feature space
     * @param iterations L-BFGS iterations run
     * @param loss the final objective
     * @param features how many distinct features the data had
     */
    record Fit(float[] weights, int iterations, double loss, int features) {
    }

    private LogisticRegression() {
    }

    /**
     * Fits the weights.
     *
     * @param rows the feature vectors
     * @param labels a label in [0, 1] per row
     * @param dimension the feature space size
     * @param l2 the L2 penalty (on the mean loss), at least 0
     * @param maxIterations the most L-BFGS iterations
     * @return the fit
     */
    static Fit fit(final List<SparseVector> rows, final double[] labels, final int dimension,
            final double l2, final int maxIterations) {
        if (rows.size() != labels.length) {
            throw new IllegalArgumentException("rows and labels differ in number");
        }
        final Problem problem = new Problem(rows, labels, dimension, l2);
        final int m = problem.features;
        double[] x = new double[m];
        double[] g = new double[m];
        double f = problem.evaluate(x, g);
        final double[][] s = new double[MEMORY][];
        final double[][] y = new double[MEMORY][];
        final double[] rho = new double[MEMORY];
        int stored = 0;
        int next = 0;
        int iteration = 0;
        final double[] direction = new double[m];
        final double[] alpha = new double[MEMORY];
        while (iteration < maxIterations && norm(g) > 1e-9) {
            iteration++;
            // two-loop recursion: direction = -H g
            for (int i = 0; i < m; i++) {
                direction[i] = -g[i];
            }
            for (int k = 0; k < stored; k++) {
                final int j = Math.floorMod(next - 1 - k, MEMORY);
                alpha[j] = rho[j] * dot(s[j], direction);
                axpy(-alpha[j], y[j], direction);
            }
            if (stored > 0) {
                final int last = Math.floorMod(next - 1, MEMORY);
                final double gamma = dot(s[last], y[last]) / dot(y[last], y[last]);
                for (int i = 0; i < m; i++) {
                    direction[i] *= gamma;
                }
            }
            for (int k = stored - 1; k >= 0; k--) {
                final int j = Math.floorMod(next - 1 - k, MEMORY);
                final double beta = rho[j] * dot(y[j], direction);
                axpy(alpha[j] - beta, s[j], direction);
            }
            double slope = dot(g, direction);
            if (slope >= 0) {
                for (int i = 0; i < m; i++) {
                    direction[i] = -g[i];
                }
                slope = -dot(g, g);
                stored = 0;
            }
            double step = stored == 0 ? Math.min(1, 1 / norm(g)) : 1;
            final double[] candidate = new double[m];
            final double[] candidateGradient = new double[m];
            double candidateLoss = Double.NaN;
            boolean accepted = false;
            for (int halving = 0; halving < MAX_HALVINGS; halving++) {
                for (int i = 0; i < m; i++) {
                    candidate[i] = x[i] + step * direction[i];
                }
                candidateLoss = problem.evaluate(candidate, candidateGradient);
                if (candidateLoss <= f + ARMIJO * step * slope) {
                    accepted = true;
                    break;
                }
                step *= 0.5;
            }
            if (!accepted) {
                break;
            }
            final double[] sk = new double[m];
            final double[] yk = new double[m];
            for (int i = 0; i < m; i++) {
                sk[i] = candidate[i] - x[i];
                yk[i] = candidateGradient[i] - g[i];
            }
            final double sy = dot(sk, yk);
            if (sy > 1e-12) {
                s[next] = sk;
                y[next] = yk;
                rho[next] = 1 / sy;
                next = (next + 1) % MEMORY;
                stored = Math.min(stored + 1, MEMORY);
            }
            final double change = f - candidateLoss;
            x = candidate;
            g = candidateGradient;
            f = candidateLoss;
            if (change <= 1e-10 * Math.max(1, Math.abs(f))) {
                break;
            }
        }
        final float[] weights = new float[dimension];
        for (int i = 0; i < m; i++) {
            weights[problem.featureIndex[i]] = (float) x[i];
        }
        return new Fit(weights, iteration, f, m);
    }

    /**
     * The logistic function.
     *
     * @param z log-odds
     * @return the probability
     */
    static double sigmoid(final double z) {
        if (z >= 0) {
            return 1 / (1 + Math.exp(-z));
        }
        final double e = Math.exp(z);
        return e / (1 + e);
    }

    private static double dot(final double[] a, final double[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += a[i] * b[i];
        }
        return sum;
    }

    private static void axpy(final double a, final double[] x, final double[] y) {
        for (int i = 0; i < x.length; i++) {
            y[i] += a * x[i];
        }
    }

    private static double norm(final double[] a) {
        return Math.sqrt(dot(a, a));
    }

    /** The data in compact form: only the features that occur, renumbered 0..m-1. */
    private static final class Problem {
        final int features;
        final int[] featureIndex;
        private final int[] rowStart;
        private final int[] column;
        private final float[] value;
        private final double[] labels;
        private final double l2;

        Problem(final List<SparseVector> rows, final double[] labels, final int dimension,
                final double l2) {
            final int[] compact = new int[dimension];
            Arrays.fill(compact, -1);
            int m = 0;
            int nnz = 0;
            for (final SparseVector row : rows) {
                for (final int index : row.indices()) {
                    if (index >= dimension) {
                        throw new IllegalArgumentException("feature " + index
                                + " is outside the space of " + dimension);
                    }
                    if (compact[index] < 0) {
                        compact[index] = m++;
                    }
                }
                nnz += row.size();
            }
            features = m;
            featureIndex = new int[m];
            for (int i = 0; i < dimension; i++) {
                if (compact[i] >= 0) {
                    featureIndex[compact[i]] = i;
                }
            }
            rowStart = new int[rows.size() + 1];
            column = new int[nnz];
            value = new float[nnz];
            int at = 0;
            for (int r = 0; r < rows.size(); r++) {
                rowStart[r] = at;
                final SparseVector row = rows.get(r);
                for (int k = 0; k < row.size(); k++) {
                    column[at] = compact[row.indices()[k]];
                    value[at] = row.values()[k];
                    at++;
                }
            }
            rowStart[rows.size()] = at;
            this.labels = labels.clone();
            this.l2 = l2;
        }

        /** The objective at {@code w}; writes the gradient into {@code gradient}. */
        double evaluate(final double[] w, final double[] gradient) {
            final int n = labels.length;
            double loss = 0;
            for (int i = 0; i < features; i++) {
                gradient[i] = l2 * w[i];
                loss += 0.5 * l2 * w[i] * w[i];
            }
            if (n == 0) {
                return loss;
            }
            final double scale = 1.0 / n;
            for (int r = 0; r < n; r++) {
                double z = 0;
                for (int k = rowStart[r]; k < rowStart[r + 1]; k++) {
                    z += w[column[k]] * value[k];
                }
                final double yr = labels[r];
                loss += scale * (Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z))) - yr * z);
                final double residual = scale * (sigmoid(z) - yr);
                for (int k = rowStart[r]; k < rowStart[r + 1]; k++) {
                    gradient[column[k]] += residual * value[k];
                }
            }
            return loss;
        }
    }
}
