package lodestar.api.routing;

import java.util.List;
import lodestar.api.provider.ModelInfo;

/**
 * A strategy's answer: candidates in the order they are to be tried, and why.
 *
 * @param candidates models to try, first choice first
 * @param strategy the strategy's name
 * @param explanation a short human-readable reason, sent in {@code x-lodestar-route}
 */
public record RouteDecision(List<ModelInfo> candidates, String strategy, String explanation) {

    /** Normalises the list. */
    public RouteDecision {
        candidates = candidates == null ? List.of() : List.copyOf(candidates);
        explanation = explanation == null ? "" : explanation;
    }
}
