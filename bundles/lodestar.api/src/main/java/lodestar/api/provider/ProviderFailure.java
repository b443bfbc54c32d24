package lodestar.api.provider;

import java.time.Duration;

/**
 * A failed provider call.
 *
 * @param kind the class of failure
 * @param httpStatus the upstream HTTP status, 0 when none was received
 * @param message a human-readable message, free of secrets
 * @param retryAfter the upstream's {@code Retry-After}, or {@code null}
 * @param outputStarted whether chunks had already been delivered to the listener
 */
public record ProviderFailure(
        FailureKind kind,
        int httpStatus,
        String message,
        Duration retryAfter,
        boolean outputStarted) {

    /** Checks the invariants. */
    public ProviderFailure {
        if (kind == null) {
            throw new IllegalArgumentException("kind must not be null");
        }
        message = message == null ? kind.name().toLowerCase(java.util.Locale.ROOT) : message;
    }

    /**
     * A failure before any output.
     *
     * @param kind the class of failure
     * @param httpStatus the upstream HTTP status, 0 when none
     * @param message the message
     * @return the failure
     */
    public static ProviderFailure of(final FailureKind kind, final int httpStatus,
            final String message) {
        return new ProviderFailure(kind, httpStatus, message, null, false);
    }
}
