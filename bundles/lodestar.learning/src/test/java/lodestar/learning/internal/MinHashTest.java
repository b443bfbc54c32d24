package lodestar.learning.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MinHashTest {

    private static final String BASE = "please write a python function that parses an iso "
            + "date string and returns the number of days until the end of that month, "
            + "handling leap years and invalid input by raising a value error with a clear "
            + "message for the caller";

    @Test
    void findsExactDuplicatesAfterNormalization() {
        final MinHash index = new MinHash(5, 0.85);
        assertThat(index.offer(BASE)).isEqualTo(MinHash.Match.NEW);
        assertThat(index.offer("  PLEASE write a Python function, that parses an ISO date "
                + "string and returns the number of days until the end of that month; "
                + "handling leap years and invalid input by raising a value error with a "
                + "clear message for the caller!")).isEqualTo(MinHash.Match.DUPLICATE);
    }

    @Test
    void findsNearDuplicatesButKeepsDifferentTexts() {
        final MinHash index = new MinHash(3, 0.7);
        assertThat(index.offer(BASE)).isEqualTo(MinHash.Match.NEW);
        assertThat(index.offer(BASE + " thanks")).isEqualTo(MinHash.Match.NEAR_DUPLICATE);
        assertThat(index.offer("explain how the java garbage collector decides which objects "
                + "are unreachable and what a generational heap changes about pause times"))
                .isEqualTo(MinHash.Match.NEW);
    }

    @Test
    void aThresholdOfOneFindsOnlyExactDuplicates() {
        final MinHash index = new MinHash(3, 1.0);
        assertThat(index.offer(BASE)).isEqualTo(MinHash.Match.NEW);
        assertThat(index.offer(BASE + " thanks")).isEqualTo(MinHash.Match.NEW);
        assertThat(index.offer(BASE)).isEqualTo(MinHash.Match.DUPLICATE);
    }

    @Test
    void similarityEstimatesJaccard() {
        final MinHash index = new MinHash(1, 0.9);
        final int[] a = index.signature(MinHash.normalize("a b c d e f g h i j"));
        final int[] b = index.signature(MinHash.normalize("a b c d e f g h i j"));
        final int[] c = index.signature(MinHash.normalize("k l m n o p q r s t"));
        assertThat(MinHash.similarity(a, b)).isEqualTo(1.0);
        assertThat(MinHash.similarity(a, c)).isLessThan(0.2);
        assertThat(index.signature("")).hasSize(MinHash.HASHES);
        assertThat(MinHash.normalize(" Hello,   World! ")).isEqualTo("hello world");
    }
}
