package lodestar.routing.auto.internal;

import java.util.List;

/**
 * How prompts are turned into features. Stored in every model artifact: a model is only valid
 * with the feature configuration it was trained with.
 *
 * @param bits size of the hashed feature space as a power of two (10 to 24)
 * @param bigrams whether word bigrams are features
 * @param bigramWeight the value of a bigram feature
 * @param charNgrams longest character n-gram inside words (3 or more), 0 for none
 * @param charWeight the value of a character n-gram feature
 * @param kindConjunction whether every feature is also conjoined with the prompt's kind
 *     (choice, code, text), so that each kind gets its own weights on top of the shared ones
 * @param maxChars characters of a turn that are read for words (the head and the tail); length
 *     features always count the whole text
 * @param markers hard-work marker words and two-word phrases, lower case (a phrase of more
 *     than two words is ignored)
 * @param trigramWeight the value of a word trigram feature, 0 for none
 * @param shape whether the question-shape features are emitted: stem length, options (count,
 *     numeric share, mean length), negations (NOT, EXCEPT, LEAST), statement pairs, "of the
 *     above", number words and the count of all quantities, question marks
 * @param textNorm 0 for word features of value 1 (times their family's weight); otherwise the
 *     word, bigram, trigram, character and previous-turn features are scaled by
 *     {@code textNorm / sqrt(their distinct count)}, so a long prompt does not outweigh a short
 *     one by its vocabulary alone
 */
record FeatureConfig(int bits, boolean bigrams, double bigramWeight, int charNgrams,
        double charWeight, boolean kindConjunction, int maxChars, List<String> markers,
        double trigramWeight, boolean shape, double textNorm) {

    /** Default marker words: prompts that ask for hard, open-ended work. */
    static final List<String> DEFAULT_MARKERS = List.of("architecture", "architect", "design",
            "review", "refactor", "refactor across", "debug", "race condition", "deadlock",
            "concurrency", "prove", "proof", "derive", "derivation", "optimize", "optimise",
            "security", "vulnerability", "migrate", "migration", "algorithm", "complexity",
            "trade-offs", "tradeoffs", "root cause");

    /** The configuration of format-1 models (0.1.0): no trigrams, no shape, no norm. */
    static final FeatureConfig V1 = new FeatureConfig(18, true, 0.7, 0, 0.3, true, 8000,
            DEFAULT_MARKERS);

    /** The configuration the shipped model uses (ADR 0011). */
    static final FeatureConfig DEFAULT = new FeatureConfig(18, true, 0.7, 0, 0.3, true, 8000,
            DEFAULT_MARKERS, 0.5, true, 8);

    /** Checks the ranges and copies the markers. */
    FeatureConfig {
        if (bits < 10 || bits > 24) {
            throw new IllegalArgumentException("bits " + bits + " is outside 10..24");
        }
        if (charNgrams != 0 && (charNgrams < 3 || charNgrams > 6)) {
            throw new IllegalArgumentException("charNgrams " + charNgrams
                    + " must be 0 or 3..6");
        }
        if (maxChars < 100) {
            throw new IllegalArgumentException("maxChars " + maxChars + " is below 100");
        }
        if (!(trigramWeight >= 0) || !(textNorm >= 0)) {
            throw new IllegalArgumentException("trigramWeight " + trigramWeight
                    + " and textNorm " + textNorm + " must be 0 or more");
        }
        markers = markers == null ? List.of() : List.copyOf(markers);
    }

    /**
     * A configuration without trigrams, shape features or norm (as format 1 had).
     *
     * @param bits see the record
     * @param bigrams see the record
     * @param bigramWeight see the record
     * @param charNgrams see the record
     * @param charWeight see the record
     * @param kindConjunction see the record
     * @param maxChars see the record
     * @param markers see the record
     */
    FeatureConfig(final int bits, final boolean bigrams, final double bigramWeight,
            final int charNgrams, final double charWeight, final boolean kindConjunction,
            final int maxChars, final List<String> markers) {
        this(bits, bigrams, bigramWeight, charNgrams, charWeight, kindConjunction, maxChars,
                markers, 0, false, 0);
    }

    /** @return whether word trigrams are features */
    boolean trigrams() {
        return trigramWeight > 0;
    }

    /** @return the number of hashed features, {@code 2^bits} */
    int dimension() {
        return 1 << bits;
    }

    /**
     * A copy with other word features.
     *
     * @param withBigrams bigrams on or off
     * @param weight bigram weight
     * @return the copy
     */
    FeatureConfig withBigrams(final boolean withBigrams, final double weight) {
        return new FeatureConfig(bits, withBigrams, weight, charNgrams, charWeight,
                kindConjunction, maxChars, markers, trigramWeight, shape, textNorm);
    }

    /**
     * A copy with other character n-grams.
     *
     * @param n longest n-gram, 0 for none
     * @param weight their value
     * @return the copy
     */
    FeatureConfig withCharNgrams(final int n, final double weight) {
        return new FeatureConfig(bits, bigrams, bigramWeight, n, weight, kindConjunction,
                maxChars, markers, trigramWeight, shape, textNorm);
    }

    /**
     * A copy with or without the kind conjunction.
     *
     * @param conjunction on or off
     * @return the copy
     */
    FeatureConfig withKindConjunction(final boolean conjunction) {
        return new FeatureConfig(bits, bigrams, bigramWeight, charNgrams, charWeight,
                conjunction, maxChars, markers, trigramWeight, shape, textNorm);
    }

    /**
     * A copy with another feature space size.
     *
     * @param newBits the power of two
     * @return the copy
     */
    FeatureConfig withBits(final int newBits) {
        return new FeatureConfig(newBits, bigrams, bigramWeight, charNgrams, charWeight,
                kindConjunction, maxChars, markers, trigramWeight, shape, textNorm);
    }

    /**
     * A copy with other trigram, shape and norm settings.
     *
     * @param newTrigramWeight trigram value, 0 for none
     * @param newShape shape features on or off
     * @param newTextNorm text norm, 0 for none
     * @return the copy
     */
    FeatureConfig withText(final double newTrigramWeight, final boolean newShape,
            final double newTextNorm) {
        return new FeatureConfig(bits, bigrams, bigramWeight, charNgrams, charWeight,
                kindConjunction, maxChars, markers, newTrigramWeight, newShape, newTextNorm);
    }
}
