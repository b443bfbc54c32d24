package lodestar.router.internal;

import java.util.Comparator;
import java.util.List;
import lodestar.api.chat.ChatMessage;
import lodestar.api.chat.ChatRequest;
import lodestar.api.provider.ModelInfo;
import lodestar.api.routing.RouteDecision;
import lodestar.api.routing.RoutingContext;
import lodestar.api.routing.RoutingStrategy;
import org.osgi.service.component.annotations.Component;

/** The built-in strategies: fixed, fallback and cheapest. Each is its own whiteboard service. */
final class BuiltInStrategies {

    private BuiltInStrategies() {
    }

    /** Rough token estimate for context-window checks: 4 characters a token. */
    static long estimateTokens(final ChatRequest request) {
        long chars = 0;
        for (final ChatMessage message : request.messages()) {
            chars += message.content() == null ? 0 : message.content().toString().length();
        }
        return chars / 4 + 1;
    }

    /** Pass-through to one model: the first available target. */
    @Component(service = RoutingStrategy.class,
            property = RoutingStrategy.STRATEGY_NAME + "=fixed")
    public static final class Fixed implements RoutingStrategy {
        @Override
        public String name() {
            return "fixed";
        }

        @Override
        public RouteDecision route(final RoutingContext context) {
            final List<ModelInfo> models = Targets.configured(context);
            if (models.isEmpty()) {
                return new RouteDecision(List.of(), name(), "fixed: target unavailable");
            }
            return new RouteDecision(List.of(models.get(0)), name(),
                    "fixed: " + models.get(0).qualifiedName());
        }
    }

    /** An ordered chain: every available target, in configured order. */
    @Component(service = RoutingStrategy.class,
            property = RoutingStrategy.STRATEGY_NAME + "=fallback")
    public static final class Fallback implements RoutingStrategy {
        @Override
        public String name() {
            return "fallback";
        }

        @Override
        public RouteDecision route(final RoutingContext context) {
            final List<ModelInfo> models = Targets.configured(context);
            return new RouteDecision(models, name(), "fallback chain of " + models.size()
                    + (models.isEmpty() ? "" : ", first " + models.get(0).qualifiedName()));
        }
    }

    /**
     * The cheapest healthy model that meets the request's needs (tools, images, context
     * window), then the others by price as fallbacks.
     */
    @Component(service = RoutingStrategy.class,
            property = RoutingStrategy.STRATEGY_NAME + "=cheapest")
    public static final class Cheapest implements RoutingStrategy {
        @Override
        public String name() {
            return "cheapest";
        }

        @Override
        public RouteDecision route(final RoutingContext context) {
            final List<String> targets = Targets.parse(context.settings().get("targets"));
            final List<ModelInfo> pool = targets.isEmpty() ? context.available()
                    : Targets.resolve(targets, context.available());
            final ChatRequest request = context.request();
            final boolean tools = request != null && request.hasTools();
            final boolean images = request != null && request.hasImages();
            final long tokens = request == null ? 0 : estimateTokens(request);
            final List<ModelInfo> fit = pool.stream()
                    .filter(m -> !tools || m.supportsTools())
                    .filter(m -> !images || m.supportsVision())
                    .filter(m -> m.contextWindow() == 0 || m.contextWindow() >= tokens)
                    .sorted(Comparator.comparingDouble(
                            (ModelInfo m) -> m.inputCostPerToken() + m.outputCostPerToken())
                            .thenComparing(m -> !m.local()))
                    .toList();
            final String needs = (tools ? " tools" : "") + (images ? " vision" : "")
                    + " ~" + tokens + " tokens";
            if (fit.isEmpty()) {
                return new RouteDecision(List.of(), name(), "cheapest: no model meets" + needs);
            }
            return new RouteDecision(fit, name(), "cheapest meeting" + needs + ": "
                    + fit.get(0).qualifiedName());
        }
    }
}
