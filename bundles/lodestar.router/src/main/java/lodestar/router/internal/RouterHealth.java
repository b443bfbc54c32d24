package lodestar.router.internal;

import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import lodestar.api.chat.ChatMessage;
import lodestar.api.chat.ChatRequest;
import lodestar.api.health.HealthContributor;
import lodestar.api.health.HealthResult;
import lodestar.api.health.Severity;
import lodestar.api.provider.ModelProvider;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The router's own checks: whether it can serve at all, providers in cooldown, virtual models
 * that have no usable target, and request events being dropped. Answered from the router's
 * state; nothing is sent upstream.
 */
@Component(service = HealthContributor.class)
public final class RouterHealth implements HealthContributor {

    private static final ChatRequest PROBE = new ChatRequest("health", List.of(new ChatMessage(
            "user", TextNode.valueOf("health check"), null, null, null, null)), false, null,
            null, null, null, null, null, null);

    private final RouterCore core;
    private final AtomicLong droppedSeen = new AtomicLong();

    /**
     * Activates.
     *
     * @param core the router
     */
    @Activate
    public RouterHealth(@Reference final RouterCore core) {
        this.core = core;
        droppedSeen.set(core.events.dropped());
    }

    /** Whether any provider the virtual model can use is active (has its key, not stopping). */
    private static boolean active(final VirtualModel virtual,
            final List<ModelProvider> providers) {
        final List<String> targets = virtual.targets();
        return providers.stream().filter(ModelProvider::isAvailable).anyMatch(p ->
                targets.isEmpty() || targets.stream().anyMatch(t -> t.startsWith(p.id() + "/")
                        || p.models().stream().anyMatch(m -> m.id().equals(t))));
    }

    @Override
    public String name() {
        return "router";
    }

    @Override
    public List<HealthResult> check() {
        final List<HealthResult> results = new ArrayList<>();
        final List<ModelProvider> providers = core.providers();
        final long usable = providers.stream().filter(ModelProvider::isAvailable)
                .filter(p -> core.breaker(p.id()).isAvailable()).count();
        final Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("providers", providers.size());
        figures.put("providersUsable", usable);
        figures.put("virtualModels", core.virtualModels().size());
        results.add(new HealthResult("router", usable == 0 ? Severity.CRITICAL : Severity.OK,
                usable == 0 ? "router cannot serve: no provider is available"
                        : "serving with " + usable + " of " + providers.size() + " provider(s)",
                figures, null));
        for (final ModelProvider provider : providers) {
            final CircuitBreaker breaker = core.breaker(provider.id());
            final String name = "router.provider." + provider.id();
            if (!breaker.isAvailable()) {
                results.add(new HealthResult(name, Severity.WARNING, "provider " + provider.id()
                        + " in cooldown for " + breaker.cooldownLeft().toSeconds()
                        + " s after " + breaker.failures() + " failure(s); last: "
                        + breaker.lastError(), Map.of("provider", provider.id(),
                                "cooldownSeconds", breaker.cooldownLeft().toSeconds()), null));
            } else if (!provider.isAvailable()) {
                results.add(new HealthResult(name, Severity.INFO, "provider " + provider.id()
                        + " is inactive (no API key or stopping)",
                        Map.of("provider", provider.id()), null));
            } else {
                results.add(new HealthResult(name, Severity.OK, "provider " + provider.id()
                        + " " + breaker.state().name().toLowerCase(Locale.ROOT),
                        Map.of("provider", provider.id()), null));
            }
        }
        for (final VirtualModel virtual : core.virtualModels()) {
            final RouterCore.Plan plan = core.plan(virtual.name(), PROBE.withModel(
                    virtual.name()), Map.of());
            final String name = "router.model." + virtual.name();
            results.add(plan.error() == null
                    ? new HealthResult(name, Severity.OK, virtual.name() + " -> "
                            + plan.candidates().get(0).qualifiedName(),
                            Map.of("candidates", plan.candidates().size()), null)
                    : active(virtual, providers)
                            ? new HealthResult(name, Severity.CRITICAL, "virtual model "
                                    + virtual.name() + " has no usable target: "
                                    + plan.error().message(), Map.of(), null)
                            : new HealthResult(name, Severity.INFO, "virtual model "
                                    + virtual.name() + " is inert: none of its providers is "
                                    + "active (API key not set?)", Map.of(), null));
        }
        final long dropped = core.events.dropped();
        final long before = droppedSeen.getAndSet(dropped);
        results.add(new HealthResult("router.events", dropped > before ? Severity.WARNING
                : Severity.OK, dropped > before ? (dropped - before)
                        + " request event(s) dropped since the last check (listeners too slow; "
                        + "usage and learning miss them)" : "no request events dropped",
                Map.of("published", core.events.published(), "dropped", dropped,
                        "listenerFailures", core.events.failed()), null));
        return results;
    }
}
