package lodestar.routing.auto.internal;

import java.util.Arrays;

/**
 * A sparse feature vector: indices into the hashed feature space and their values. The indices
 * may come in any order and repeat (a repeated index adds up: the dot product and training are
 * linear in the entries); {@link #canonical()} gives the sorted, merged form.
 *
 * @param indices feature indices
 * @param values the value of each entry
 */
record SparseVector(int[] indices, float[] values) {

    /** Checks the shape. */
    SparseVector {
        if (indices.length != values.length) {
            throw new IllegalArgumentException("indices and values differ in length");
        }
    }

    /**
     * Builds a vector from unsorted entries, summing the values of equal indices.
     *
     * @param indices indices, in any order, possibly repeated (not kept)
     * @param values their values (not kept)
     * @param size how many entries of the arrays are used
     * @return the vector
     */
    static SparseVector of(final int[] indices, final float[] values, final int size) {
        final long[] packed = new long[size];
        for (int i = 0; i < size; i++) {
            // index in the high half so that sorting the longs sorts by index; the value's
            // position in the low half
            packed[i] = ((long) indices[i] << 32) | i;
        }
        Arrays.sort(packed);
        final int[] outIndices = new int[size];
        final float[] outValues = new float[size];
        int n = 0;
        for (int i = 0; i < size; i++) {
            final int index = (int) (packed[i] >>> 32);
            final float value = values[(int) packed[i]];
            if (n > 0 && outIndices[n - 1] == index) {
                outValues[n - 1] += value;
            } else {
                outIndices[n] = index;
                outValues[n] = value;
                n++;
            }
        }
        return new SparseVector(Arrays.copyOf(outIndices, n), Arrays.copyOf(outValues, n));
    }

    /**
     * The dot product with dense weights.
     *
     * @param weights weights indexed by feature
     * @return the sum of value times weight
     */
    double dot(final float[] weights) {
        double sum = 0;
        for (int i = 0; i < indices.length; i++) {
            sum += values[i] * weights[indices[i]];
        }
        return sum;
    }

    /** @return the number of entries */
    int size() {
        return indices.length;
    }

    /**
     * The same vector with sorted, distinct indices.
     *
     * @return the canonical form
     */
    SparseVector canonical() {
        return of(indices, values, indices.length);
    }

    @Override
    public boolean equals(final Object other) {
        return other instanceof SparseVector that && Arrays.equals(indices, that.indices)
                && Arrays.equals(values, that.values);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(indices) + Arrays.hashCode(values);
    }

    @Override
    public String toString() {
        return "SparseVector" + Arrays.toString(indices) + "=" + Arrays.toString(values);
    }
}
