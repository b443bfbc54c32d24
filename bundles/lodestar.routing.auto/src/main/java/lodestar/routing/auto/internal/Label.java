package lodestar.routing.auto.internal;

import java.util.Locale;

/**
 * What the router's logistic regression is trained to predict, and how its output becomes the
 * escalation score ("gain": higher means the strong tier is more worth it) and p(local ok).
 */
enum Label {

    /**
     * Two models: the strong model is needed (it answered correctly and the weak one did not),
     * and the strong model hurts (the weak one answered correctly and the strong one did not).
     * The gain is {@code P(need) - P(hurt)}, the expected quality won by escalating.
     */
    GAIN,

    /**
     * One model: the strong model is needed (the label of RouteLLM-style routers). The gain is
     * {@code P(need)}.
     */
    NEED,

    /** One model: the weak model answered correctly. The gain is {@code 1 - P(weak ok)}. */
    WEAK;

    /**
     * The label of the first (or only) model for an example.
     *
     * @param example the example
     * @return 1 or 0
     */
    double of(final Example example) {
        return switch (this) {
            case GAIN, NEED -> example.needsStrong() ? 1 : 0;
            case WEAK -> example.weakCorrect() ? 1 : 0;
        };
    }

    /**
     * The label of the second model ({@link #GAIN} only): the strong model hurts.
     *
     * @param example the example
     * @return 1 or 0
     */
    static double hurt(final Example example) {
        return example.weakCorrect() && !example.strongCorrect() ? 1 : 0;
    }

    /** @return whether this label has a second ("hurt") model */
    boolean twoModels() {
        return this == GAIN;
    }

    /**
     * The gain from the models' probabilities.
     *
     * @param first the first model's probability
     * @param second the second model's probability (ignored unless {@link #twoModels()})
     * @return the escalation score, higher means the strong tier is more worth it
     */
    double gain(final double first, final double second) {
        return switch (this) {
            case GAIN -> first - second;
            case NEED -> first;
            case WEAK -> 1 - first;
        };
    }

    /** @return the lower-case name used in artifacts and options */
    String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses a name.
     *
     * @param name {@code gain}, {@code need} or {@code weak}, any case
     * @return the label
     */
    static Label parse(final String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (final IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown label '" + name
                    + "' (expected gain, need or weak)", e);
        }
    }
}
