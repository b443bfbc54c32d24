package lodestar.api.routing;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Chooses, for a request to a virtual model, an ordered list of concrete candidates (Strategy
 * pattern). Strategies are whiteboard services named by the service property
 * {@value #STRATEGY_NAME}; each virtual model names the strategy it uses in its configuration.
 *
 * <p>{@link #route} runs on the request path: it must be fast, must not block and must not call
 * the network.
 */
@ConsumerType
public interface RoutingStrategy {

    /** Service property naming the strategy, e.g. {@code fixed}, {@code fallback}, {@code auto}. */
    String STRATEGY_NAME = "lodestar.strategy.name";

    /**
     * The strategy's name, equal to its {@value #STRATEGY_NAME} service property.
     *
     * @return the name
     */
    String name();

    /**
     * Orders the candidates for one request.
     *
     * @param context the request, the virtual model's settings and the models available now
     * @return the decision; an empty candidate list means no model can serve the request
     */
    RouteDecision route(RoutingContext context);
}
