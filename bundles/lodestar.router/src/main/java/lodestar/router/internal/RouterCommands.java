package lodestar.router.internal;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import lodestar.api.chat.ChatMessage;
import lodestar.api.chat.ChatRequest;
import lodestar.api.provider.ModelInfo;
import lodestar.api.provider.ModelProvider;
import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** Gogo commands {@code lodestar:models}, {@code lodestar:providers}, {@code lodestar:route}. */
@Component(service = RouterCommands.class, property = {"osgi.command.scope=lodestar",
    "osgi.command.function=models", "osgi.command.function=providers",
    "osgi.command.function=route"})
public final class RouterCommands {

    private final RouterCore core;

    /**
     * Activates.
     *
     * @param core the router
     */
    @Activate
    public RouterCommands(@Reference final RouterCore core) {
        this.core = core;
    }

    /**
     * Lists models and virtual models.
     *
     * @return the table
     */
    @Descriptor("Models of every live provider, and the virtual models")
    public String models() {
        final StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
                "%-36s %-14s %-9s %8s %10s %10s%n", "MODEL", "PROVIDER", "STATE", "CONTEXT",
                "IN $/1M", "OUT $/1M"));
        final List<ModelInfo> available = core.availableModels();
        for (final ModelInfo model : core.allModels()) {
            out.append(String.format(Locale.ROOT, "%-36s %-14s %-9s %8d %10.2f %10.2f%n",
                    model.id(), model.providerId(), available.contains(model) ? "ready"
                            : "unavail", model.contextWindow(), model.inputCostPerToken() * 1e6,
                    model.outputCostPerToken() * 1e6));
        }
        out.append('\n').append(String.format(Locale.ROOT, "%-24s %-10s %s%n", "VIRTUAL MODEL",
                "STRATEGY", "TARGETS"));
        for (final VirtualModel virtual : core.virtualModels()) {
            out.append(String.format(Locale.ROOT, "%-24s %-10s %s%n", virtual.name(),
                    virtual.strategy(), String.join(", ", virtual.targets())));
        }
        return out.toString();
    }

    /**
     * Lists providers with their state.
     *
     * @return the table
     */
    @Descriptor("Providers with state, cooldown and last error")
    public String providers() {
        final StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
                "%-16s %-9s %-10s %-9s %6s  %s%n", "PROVIDER", "DIALECT", "STATE", "COOLDOWN",
                "MODELS", "LAST ERROR"));
        for (final ModelProvider provider : core.providers()) {
            final CircuitBreaker breaker = core.breaker(provider.id());
            final String state = !provider.isAvailable() ? "inactive"
                    : breaker.state().name().toLowerCase(Locale.ROOT);
            out.append(String.format(Locale.ROOT, "%-16s %-9s %-10s %-9s %6d  %s%n",
                    provider.id(), provider.dialect(), state,
                    breaker.cooldownLeft().isZero() ? "-" : breaker.cooldownLeft().toSeconds()
                            + " s", provider.models().size(),
                    breaker.lastError().isEmpty() ? "-" : breaker.lastError()));
        }
        final EventDispatcher events = core.events;
        out.append(String.format(Locale.ROOT, "%nevents: %d published, %d dropped, "
                + "%d listener failures, %d queued%n", events.published(), events.dropped(),
                events.failed(), events.queued()));
        return out.toString();
    }

    /**
     * Dry run: where a prompt would go.
     *
     * @param model the model or virtual model
     * @param words the prompt
     * @return the decision
     */
    @Descriptor("Dry run: which model would serve a prompt, and why")
    public String route(@Descriptor("model or virtual model") final String model,
            @Descriptor("prompt text") final String... words) {
        final ChatRequest request = new ChatRequest(model, List.of(new ChatMessage("user",
                com.fasterxml.jackson.databind.node.TextNode.valueOf(String.join(" ", words)),
                null, null, null, null)), false, null, null, null, null, null, null, null);
        final RouterCore.Plan plan = core.plan(model, request, Map.of());
        if (plan.error() != null) {
            return "no route: " + plan.error().message() + "\n";
        }
        final StringBuilder out = new StringBuilder();
        out.append("strategy: ").append(plan.strategy()).append('\n');
        out.append("why:      ").append(plan.explanation()).append('\n');
        out.append("order:\n");
        int i = 1;
        for (final ModelInfo candidate : plan.candidates()) {
            out.append(String.format(Locale.ROOT, "  %d. %s%n", i++,
                    candidate.qualifiedName()));
        }
        return out.toString();
    }
}
