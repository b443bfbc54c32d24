package lodestar.usage.internal;

/**
 * One recorded request: a row of a day partition ({@code usage_YYYY_MM_DD}). Identifiers are
 * already keyed hashes when anonymisation is on.
 *
 * @param requestId Lodestar's request id
 * @param tsMs arrival, epoch milliseconds (UTC)
 * @param endpoint client endpoint
 * @param sessionKey session id or its keyed hash, or {@code null}
 * @param sessionStartMs start of the session this request belongs to, or {@code null}
 * @param clientKey client id or its keyed hash, or {@code null}
 * @param requestedModel the model the client asked for
 * @param providerId the provider that served it (or was tried last)
 * @param model the concrete model that served it (or was tried last)
 * @param strategy routing strategy
 * @param route routing explanation, truncated
 * @param streamed whether streamed
 * @param cacheHit whether served from the response cache
 * @param inputTokens input tokens, cached ones included
 * @param outputTokens output tokens
 * @param cachedTokens input tokens read from a prompt cache
 * @param cacheCreationTokens input tokens written to a prompt cache
 * @param estimated whether the token counts are estimates
 * @param latencyMs total time, ms
 * @param ttftMs time to first token, ms, or {@code null}
 * @param status HTTP status sent to the client
 * @param errorType error type, or {@code null}
 * @param attempts upstream attempts
 * @param costUsd the recorded cost, or {@code null} when unknown
 * @param costSource where the cost comes from ({@code table}, {@code event}, {@code cache}),
 *     or {@code null}
 * @param priceVersion the price table version in force, or {@code null}
 * @param eventCostUsd the cost the event carried (the provider's own price), or {@code null}
 * @param baselineCostUsd the event's baseline cost, or {@code null}
 * @param switchedFrom the session's previous model when this request switched, else
 *     {@code null}
 */
record UsageRow(
        String requestId,
        long tsMs,
        String endpoint,
        String sessionKey,
        Long sessionStartMs,
        String clientKey,
        String requestedModel,
        String providerId,
        String model,
        String strategy,
        String route,
        boolean streamed,
        boolean cacheHit,
        long inputTokens,
        long outputTokens,
        long cachedTokens,
        long cacheCreationTokens,
        boolean estimated,
        long latencyMs,
        Long ttftMs,
        int status,
        String errorType,
        int attempts,
        Double costUsd,
        String costSource,
        Integer priceVersion,
        Double eventCostUsd,
        Double baselineCostUsd,
        String switchedFrom) {

    /**
     * Whether the client got a 2xx answer.
     *
     * @return {@code true} on success
     */
    boolean success() {
        return status >= 200 && status < 300;
    }

    /**
     * Whether both the cost and the baseline are known (the request counts in savings).
     *
     * @return {@code true} when comparable
     */
    boolean comparable() {
        return costUsd != null && baselineCostUsd != null;
    }

    /**
     * End of the request: arrival plus total time.
     *
     * @return epoch milliseconds
     */
    long endMs() {
        return tsMs + latencyMs;
    }
}
