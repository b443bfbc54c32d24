package lodestar.provider.gemini.internal;

/**
 * A canonical request that cannot be said in the Gemini dialect (an image URL, an unknown content
 * part, a schema Gemini cannot take, ...): the call fails with
 * {@link lodestar.api.provider.FailureKind#BAD_REQUEST} and this message, before anything is
 * sent.
 */
final class UnsupportedRequestException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what cannot be sent and, where there is one, what to do instead
     */
    UnsupportedRequestException(final String message) {
        super(message);
    }
}
