package lodestar.provider.anthropic.internal;

/**
 * A canonical request that cannot be expressed in the Anthropic Messages API without changing
 * what the client asked for; reported as {@code BAD_REQUEST} before anything is sent.
 */
final class TranslationException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    /**
     * A translation failure.
     *
     * @param message what cannot be translated and what to do instead, free of secrets
     */
    TranslationException(final String message) {
        super(message);
    }
}
