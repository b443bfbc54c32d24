package lodestar.api.cache;

import java.util.Optional;
import lodestar.api.chat.ChatRequest;
import lodestar.api.chat.ChatResponse;
import lodestar.api.provider.ModelInfo;

/**
 * An exact-match cache of complete (non-streamed) answers, keyed on the canonical request and
 * the concrete model chosen by routing. The router consults it only for deterministic requests
 * (temperature 0 or a seed); a cache decides what else it accepts. Calls are on the request
 * path: both methods must be fast and must not block on I/O.
 */
public interface ResponseCache {

    /**
     * A cached answer for this request on this model.
     *
     * @param model the model routing chose
     * @param request the canonical request (its {@code model} field is the client's)
     * @return the answer, or empty on a miss
     */
    Optional<ChatResponse> get(ModelInfo model, ChatRequest request);

    /**
     * Offers a complete answer for caching.
     *
     * @param model the model that answered
     * @param request the canonical request
     * @param answer the answer
     */
    void put(ModelInfo model, ChatRequest request, ChatResponse answer);
}
