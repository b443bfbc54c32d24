package lodestar.api.routing;

import java.util.List;
import java.util.Map;
import lodestar.api.chat.ChatRequest;
import lodestar.api.provider.ModelInfo;

/**
 * What a strategy sees of a request.
 *
 * @param virtualModel the model name the client asked for
 * @param request the canonical request
 * @param headers request headers relevant to routing (lower-case names), e.g.
 *     {@code x-lodestar-tier}
 * @param settings the virtual model's strategy settings from configuration
 * @param available the models that are available and healthy now
 */
public record RoutingContext(
        String virtualModel,
        ChatRequest request,
        Map<String, String> headers,
        Map<String, String> settings,
        List<ModelInfo> available) {

    /** Normalises the collections. */
    public RoutingContext {
        headers = headers == null ? Map.of() : Map.copyOf(headers);
        settings = settings == null ? Map.of() : Map.copyOf(settings);
        available = available == null ? List.of() : List.copyOf(available);
    }
}
