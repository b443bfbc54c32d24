package lodestar.router.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import lodestar.api.provider.ModelInfo;
import lodestar.api.routing.RoutingContext;

/** Resolves target names ({@code providerId/model} or {@code model}) against available models. */
final class Targets {

    private Targets() {
    }

    /**
     * The targets listed in a setting, in order.
     *
     * @param setting comma-separated targets, may be {@code null}
     * @return the targets
     */
    static List<String> parse(final String setting) {
        if (setting == null || setting.isBlank()) {
            return List.of();
        }
        return Arrays.stream(setting.split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .toList();
    }

    /**
     * The available models matching a virtual model's {@code targets} setting, in order.
     *
     * @param context the routing context
     * @return matching models
     */
    static List<ModelInfo> configured(final RoutingContext context) {
        return resolve(parse(context.settings().get("targets")), context.available());
    }

    /**
     * The available models matching the targets, in target order (a bare model name matches
     * every provider serving it, in the order the providers are listed).
     *
     * @param targets the targets
     * @param available the available models
     * @return matching models, without duplicates
     */
    static List<ModelInfo> resolve(final List<String> targets, final List<ModelInfo> available) {
        final List<ModelInfo> out = new ArrayList<>();
        for (final String target : targets) {
            for (final ModelInfo model : available) {
                if ((target.equals(model.qualifiedName()) || target.equals(model.id()))
                        && !out.contains(model)) {
                    out.add(model);
                }
            }
        }
        return out;
    }
}
