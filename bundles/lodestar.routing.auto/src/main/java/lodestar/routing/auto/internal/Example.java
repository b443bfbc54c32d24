package lodestar.routing.auto.internal;

/**
 * One labelled prompt of routing data: whether the weak and the strong model answered it
 * correctly.
 *
 * @param id the prompt's id, may be empty
 * @param source the benchmark it comes from (e.g. {@code mmlu}), used only to group results
 * @param prompt the prompt text
 * @param weakCorrect whether the weak (cheap) model was correct
 * @param strongCorrect whether the strong model was correct
 */
record Example(String id, String source, String prompt, boolean weakCorrect,
        boolean strongCorrect) {

    /** Normalises {@code null} texts. */
    Example {
        id = id == null ? "" : id;
        source = source == null || source.isBlank() ? "unknown" : source;
        prompt = prompt == null ? "" : prompt;
    }

    /**
     * Whether only the strong model was correct: the prompt needs the strong model.
     *
     * @return {@code strongCorrect && !weakCorrect}
     */
    boolean needsStrong() {
        return strongCorrect && !weakCorrect;
    }
}
