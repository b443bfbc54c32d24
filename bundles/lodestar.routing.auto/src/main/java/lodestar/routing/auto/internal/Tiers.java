package lodestar.routing.auto.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import lodestar.api.provider.ModelInfo;

/**
 * The tiers of a virtual model, cheapest first, from its settings.
 *
 * <ul>
 * <li>{@code tier.<name>=provider/model,...} names a tier's targets in preference order
 *     ({@code providerId/model} or a bare model id, as in {@code targets});</li>
 * <li>{@code tiers=local,premium} orders them, cheapest first; without it {@code local} comes
 *     first, {@code premium} last and any other tier in between, by name;</li>
 * <li>{@code tier.<name>.threshold} gives a tier its own threshold (else the virtual model's
 *     {@code threshold}, else the configuration's, else the model's recommended one);</li>
 * <li>without any {@code tier.*} key there are two tiers: {@code local} = the local models and
 *     {@code premium} = the others, taken from {@code targets} in its order when it is set,
 *     else from every available model, the most expensive first.</li>
 * </ul>
 */
final class Tiers {

    /** The first tier's usual name. */
    static final String LOCAL = "local";
    /** The last tier's usual name. */
    static final String PREMIUM = "premium";

    /**
     * One tier.
     *
     * @param name the tier's name
     * @param models its available models, in preference order
     * @param threshold its own threshold, or NaN for the common one
     */
    record Tier(String name, List<ModelInfo> models, double threshold) {

        /** Copies the list. */
        Tier {
            models = List.copyOf(models);
        }
    }

    private Tiers() {
    }

    /**
     * Resolves the tiers.
     *
     * @param settings the virtual model's settings
     * @param available the models available now
     * @return the tiers, cheapest first (possibly with no model)
     */
    static List<Tier> resolve(final Map<String, String> settings,
            final List<ModelInfo> available) {
        final TreeSet<String> named = new TreeSet<>();
        for (final String key : settings.keySet()) {
            if (key.startsWith("tier.") && !key.endsWith(".threshold") && key.length() > 5) {
                named.add(key.substring(5));
            }
        }
        if (named.isEmpty()) {
            return defaults(settings, available);
        }
        final List<String> order = new ArrayList<>();
        final List<String> listed = list(settings.get("tiers"));
        if (!listed.isEmpty()) {
            order.addAll(listed);
        } else {
            if (named.contains(LOCAL)) {
                order.add(LOCAL);
            }
            named.stream().filter(n -> !LOCAL.equals(n) && !PREMIUM.equals(n))
                    .forEach(order::add);
            if (named.contains(PREMIUM)) {
                order.add(PREMIUM);
            }
        }
        final List<Tier> tiers = new ArrayList<>();
        for (final String name : order) {
            tiers.add(new Tier(name, resolve(list(settings.get("tier." + name)), available),
                    number(settings.get("tier." + name + ".threshold"))));
        }
        return tiers;
    }

    private static List<Tier> defaults(final Map<String, String> settings,
            final List<ModelInfo> available) {
        final List<String> targets = list(settings.get("targets"));
        final List<ModelInfo> pool = targets.isEmpty() ? available
                : resolve(targets, available);
        final List<ModelInfo> local = pool.stream().filter(ModelInfo::local).toList();
        List<ModelInfo> premium = pool.stream().filter(m -> !m.local()).toList();
        if (targets.isEmpty()) {
            premium = premium.stream().sorted(Comparator.comparingDouble(
                    (ModelInfo m) -> -(m.inputCostPerToken() + m.outputCostPerToken())))
                    .toList();
        }
        return List.of(new Tier(LOCAL, local, number(settings.get("tier.local.threshold"))),
                new Tier(PREMIUM, premium, number(settings.get("tier.premium.threshold"))));
    }

    /**
     * The available models matching targets, in target order (a bare model id matches every
     * provider serving it).
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

    /**
     * Splits a comma-separated setting.
     *
     * @param setting the setting, may be {@code null}
     * @return the trimmed, non-empty items
     */
    static List<String> list(final String setting) {
        if (setting == null || setting.isBlank()) {
            return List.of();
        }
        return Arrays.stream(setting.split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .toList();
    }

    /**
     * Parses a threshold setting.
     *
     * @param value the setting, may be {@code null}
     * @return the number in [0, 1], or NaN when absent, invalid or negative
     */
    static double number(final String value) {
        if (value == null || value.isBlank()) {
            return Double.NaN;
        }
        try {
            final double number = Double.parseDouble(value.trim());
            return number >= 0 && number <= 1 ? number : Double.NaN;
        } catch (final NumberFormatException e) {
            return Double.NaN;
        }
    }

    /**
     * The tier a hint names: {@code local} means the first tier, {@code premium} the last, any
     * other word the tier of that name.
     *
     * @param tiers the tiers
     * @param hint the hint, any case
     * @return the tier's index, or -1
     */
    static int byHint(final List<Tier> tiers, final String hint) {
        if (hint == null || tiers.isEmpty()) {
            return -1;
        }
        final String name = hint.trim().toLowerCase(Locale.ROOT);
        for (int i = 0; i < tiers.size(); i++) {
            if (tiers.get(i).name().toLowerCase(Locale.ROOT).equals(name)) {
                return i;
            }
        }
        if (LOCAL.equals(name)) {
            return 0;
        }
        if (PREMIUM.equals(name)) {
            return tiers.size() - 1;
        }
        return -1;
    }
}
