package lodestar.learning.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Duplicate and near-duplicate detection: texts are normalized (lower case, runs of anything
 * but letters and digits become one space), cut into shingles of {@code k} consecutive words,
 * and summarized by a 64-value MinHash signature; locality-sensitive hashing (16 bands of 4
 * values) finds the earlier texts worth comparing, and a text is a near-duplicate when the
 * estimated Jaccard similarity of its shingles with one of them reaches the threshold. Exact
 * duplicates (same normalized text) are told apart. Not thread-safe: one index per build.
 */
final class MinHash {

    /** Values per signature. */
    static final int HASHES = 64;
    private static final int BANDS = 16;
    private static final int ROWS = HASHES / BANDS;
    private static final long[] SEEDS = seeds();

    /** What a text is, relative to the texts seen before. */
    enum Match { NEW, DUPLICATE, NEAR_DUPLICATE }

    private final int shingleWords;
    private final double threshold;
    private final Set<String> exact = new HashSet<>();
    private final List<int[]> signatures = new ArrayList<>();
    private final List<Map<Long, List<Integer>>> bands = new ArrayList<>();

    /**
     * Creates an empty index.
     *
     * @param shingleWords words per shingle (at least 1)
     * @param threshold estimated Jaccard similarity from which a text is a near-duplicate;
     *     above 1 only exact duplicates are found
     */
    MinHash(final int shingleWords, final double threshold) {
        this.shingleWords = Math.max(1, shingleWords);
        this.threshold = threshold;
        for (int b = 0; b < BANDS; b++) {
            bands.add(new HashMap<>());
        }
    }

    /**
     * Checks a text against those seen and, when it is new, remembers it.
     *
     * @param text the text
     * @return whether it is new, a duplicate or a near-duplicate
     */
    Match offer(final String text) {
        final String normalized = normalize(text);
        if (!exact.add(sha256(normalized))) {
            return Match.DUPLICATE;
        }
        final int[] signature = signature(normalized);
        if (threshold < 1) {
            final Set<Integer> seen = new HashSet<>();
            for (int b = 0; b < BANDS; b++) {
                for (final int candidate : bands.get(b).getOrDefault(bandKey(signature, b),
                        List.of())) {
                    if (seen.add(candidate)
                            && similarity(signature, signatures.get(candidate)) >= threshold) {
                        return Match.NEAR_DUPLICATE;
                    }
                }
            }
        }
        final int index = signatures.size();
        signatures.add(signature);
        for (int b = 0; b < BANDS; b++) {
            bands.get(b).computeIfAbsent(bandKey(signature, b), k -> new ArrayList<>(1))
                    .add(index);
        }
        return Match.NEW;
    }

    /**
     * Normalizes a text for comparison.
     *
     * @param text the text
     * @return lower case words separated by single spaces
     */
    static String normalize(final String text) {
        return text.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N}]+", " ").trim();
    }

    /**
     * The MinHash signature of a normalized text.
     *
     * @param normalized the normalized text
     * @return {@link #HASHES} values
     */
    int[] signature(final String normalized) {
        final String[] words = normalized.isEmpty() ? new String[0] : normalized.split(" ");
        final int[] signature = new int[HASHES];
        java.util.Arrays.fill(signature, Integer.MAX_VALUE);
        final int count = Math.max(1, words.length - shingleWords + 1);
        for (int start = 0; start < count; start++) {
            long hash = 0xcbf29ce484222325L;
            for (int w = start; w < Math.min(words.length, start + shingleWords); w++) {
                for (int c = 0; c < words[w].length(); c++) {
                    hash = (hash ^ words[w].charAt(c)) * 0x100000001b3L;
                }
                hash = (hash ^ ' ') * 0x100000001b3L;
            }
            for (int i = 0; i < HASHES; i++) {
                final int value = (int) (mix(hash ^ SEEDS[i]) >>> 33);
                if (value < signature[i]) {
                    signature[i] = value;
                }
            }
        }
        return signature;
    }

    /**
     * The estimated Jaccard similarity of two signatures.
     *
     * @param a one
     * @param b the other
     * @return the share of equal values, 0..1
     */
    static double similarity(final int[] a, final int[] b) {
        int equal = 0;
        for (int i = 0; i < HASHES; i++) {
            if (a[i] == b[i]) {
                equal++;
            }
        }
        return equal / (double) HASHES;
    }

    private static long bandKey(final int[] signature, final int band) {
        long key = band;
        for (int r = 0; r < ROWS; r++) {
            key = key * 0x9E3779B97F4A7C15L + signature[band * ROWS + r];
        }
        return key;
    }

    private static long mix(final long value) {
        long z = value + 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static long[] seeds() {
        final SplittableRandom random = new SplittableRandom(0x10DE57A7L);
        final long[] seeds = new long[HASHES];
        for (int i = 0; i < HASHES; i++) {
            seeds[i] = random.nextLong();
        }
        return seeds;
    }

    static String sha256(final String text) {
        try {
            return java.util.HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
