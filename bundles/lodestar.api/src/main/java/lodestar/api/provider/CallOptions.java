package lodestar.api.provider;

import java.time.Duration;
import java.util.Map;

/**
 * Per-call options passed by the router to a provider.
 *
 * @param requestId Lodestar's id of the client request, for logs and upstream tracing
 * @param firstByteTimeout longest wait for the first byte of the answer, or {@code null} for the
 *     provider's configured default
 * @param totalTimeout longest duration of the whole call, or {@code null} for the default
 * @param forwardHeaders client headers to forward unchanged to an upstream of the same dialect
 *     (e.g. {@code anthropic-beta}); lower-case names
 */
public record CallOptions(
        String requestId,
        Duration firstByteTimeout,
        Duration totalTimeout,
        Map<String, String> forwardHeaders) {

    /** Normalises {@code forwardHeaders}. */
    public CallOptions {
        forwardHeaders = forwardHeaders == null ? Map.of() : Map.copyOf(forwardHeaders);
    }

    /**
     * Options with the provider's default timeouts and no forwarded headers.
     *
     * @param requestId the request id
     * @return the options
     */
    public static CallOptions of(final String requestId) {
        return new CallOptions(requestId, null, null, Map.of());
    }
}
