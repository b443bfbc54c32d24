package lodestar.api.provider;

/** Why a provider call failed; drives retry, fallback and cooldown decisions. */
public enum FailureKind {
    /** 429 for request or token rate: retry later, honouring {@code Retry-After}. */
    RATE_LIMITED(true),
    /** 429 for exhausted quota or billing: not worth retrying on this provider. */
    QUOTA_EXHAUSTED(false),
    /** 500 and other 5xx except 503: retryable. */
    SERVER_ERROR(true),
    /** 503 or 529: the upstream is overloaded; retryable. */
    OVERLOADED(true),
    /** Connect, first-byte or total deadline passed; retryable. */
    TIMEOUT(true),
    /** Connection refused, reset or closed; retryable. */
    CONNECTION(true),
    /** 401 or 403: the key is wrong or lacks permission; not retryable. */
    AUTHENTICATION(false),
    /** 400 or 422: the request itself is wrong; neither retried nor failed over. */
    BAD_REQUEST(false),
    /** 404: the upstream does not know the model; try another candidate. */
    NOT_FOUND(false),
    /** The upstream answered something Lodestar cannot parse; retryable once. */
    PROTOCOL(true),
    /** The call was cancelled by Lodestar (client gone, shutdown). */
    CANCELLED(false);

    private final boolean retryable;

    FailureKind(final boolean retryable) {
        this.retryable = retryable;
    }

    /**
     * Classifies an upstream HTTP error.
     *
     * @param status the HTTP status
     * @param errorText the error body or its code/type (may be {@code null}); a 429 whose text
     *     mentions quota, billing or credit is {@link #QUOTA_EXHAUSTED}
     * @return the kind
     */
    public static FailureKind ofHttpStatus(final int status, final String errorText) {
        final String text = errorText == null ? "" : errorText.toLowerCase(java.util.Locale.ROOT);
        return switch (status) {
            case 400, 413, 422 -> BAD_REQUEST;
            case 401, 403 -> AUTHENTICATION;
            case 404 -> NOT_FOUND;
            case 408 -> TIMEOUT;
            case 429 -> text.contains("quota") || text.contains("billing")
                    || text.contains("credit") ? QUOTA_EXHAUSTED : RATE_LIMITED;
            case 503, 529 -> OVERLOADED;
            default -> status >= 500 ? SERVER_ERROR : BAD_REQUEST;
        };
    }

    /**
     * Whether the same provider may be asked again.
     *
     * @return {@code true} for transient failures
     */
    public boolean isRetryable() {
        return retryable;
    }
}
