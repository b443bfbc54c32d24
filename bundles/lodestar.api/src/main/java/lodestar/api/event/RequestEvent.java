package lodestar.api.event;

import java.time.Duration;
import java.time.Instant;

/**
 * What happened to one client request. Published once per request, after it ended, to every
 * {@link RequestListener}.
 *
 * @param requestId Lodestar's request id
 * @param timestamp when the request arrived
 * @param endpoint the client endpoint, e.g. {@code /v1/chat/completions}
 * @param sessionId the client's session id, or {@code null}
 * @param clientId the proxy key's name, or {@code null} without proxy keys
 * @param requestedModel the model the client asked for
 * @param providerId the provider that served it (when it failed: the last one tried), or
 *     {@code null} when none was tried
 * @param model the concrete model that served it (when it failed: the last one tried), or
 *     {@code null}
 * @param strategy the routing strategy used
 * @param route the routing explanation
 * @param streamed whether the answer was streamed
 * @param cacheHit whether the answer came from the response cache
 * @param tokens token counts
 * @param latency total time from arrival to the last byte
 * @param timeToFirstToken time to the first byte of the answer, or {@code null}
 * @param status HTTP status sent to the client
 * @param errorType the error type when the request failed, else {@code null}
 * @param attempts upstream attempts made (retries and fallbacks included)
 * @param costUsd what the request cost, or {@code null} when unknown
 * @param baselineCostUsd what it would have cost on the baseline model, or {@code null}
 */
public record RequestEvent(
        String requestId,
        Instant timestamp,
        String endpoint,
        String sessionId,
        String clientId,
        String requestedModel,
        String providerId,
        String model,
        String strategy,
        String route,
        boolean streamed,
        boolean cacheHit,
        TokenCounts tokens,
        Duration latency,
        Duration timeToFirstToken,
        int status,
        String errorType,
        int attempts,
        Double costUsd,
        Double baselineCostUsd) {

    /** Checks the invariants. */
    public RequestEvent {
        if (requestId == null || timestamp == null || latency == null) {
            throw new IllegalArgumentException("requestId, timestamp and latency are required");
        }
        tokens = tokens == null ? TokenCounts.NONE : tokens;
    }

    /**
     * Whether the request succeeded.
     *
     * @return {@code true} for a 2xx status
     */
    public boolean isSuccess() {
        return status >= 200 && status < 300;
    }

    /**
     * Token counts of a request.
     *
     * @param input input tokens, cached ones included
     * @param output output tokens
     * @param cachedInput input tokens read from a prompt cache
     * @param cacheCreation input tokens written to a prompt cache
     * @param estimated whether the counts are estimates (upstream gave no usage)
     */
    public record TokenCounts(long input, long output, long cachedInput, long cacheCreation,
            boolean estimated) {

        /** No tokens. */
        public static final TokenCounts NONE = new TokenCounts(0, 0, 0, 0, false);
    }
}
