package lodestar.api.event;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/**
 * What was said in one finished request: the canonical request and the answer. Published only
 * to {@link ContentListener} services, which exist only where an operator opted in to storing
 * content (usage's {@code storeContent}, learning). Never logged.
 *
 * @param requestId Lodestar's request id (joins the {@link RequestEvent})
 * @param timestamp when the request arrived
 * @param sessionId the client's session id, or {@code null}
 * @param providerId the provider that answered
 * @param model the model that answered
 * @param request the canonical request (Chat Completions shape)
 * @param answer the canonical answer: a complete {@code chat.completion}, rebuilt from the
 *     chunks for a streamed answer
 * @param finishReason the answer's finish reason, or {@code null}
 */
public record ExchangeContent(String requestId, Instant timestamp, String sessionId,
        String providerId, String model, JsonNode request, JsonNode answer,
        String finishReason) {
}
