package lodestar.routing.auto.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import lodestar.api.chat.ChatRequest;
import lodestar.api.provider.ModelInfo;
import lodestar.api.routing.RouteDecision;
import lodestar.api.routing.RoutingContext;

/**
 * One router model with its settings: turns a routing context into an ordered candidate list.
 * Immutable; {@link #route} is thread-safe, allocation-light and never blocks.
 *
 * <p>It predicts p(local ok), keeps the prompt on the cheapest tier whose threshold it reaches
 * (explicit hints override the prediction), drops models that cannot take the request (tools,
 * images, context window) and lists the chosen tier's models, then the stronger tiers' (so that
 * the router's fail-over escalates), then the cheaper ones as a last resort.
 */
final class AutoRouter {

    /** The strategy's name. */
    static final String NAME = "auto";
    /** The header naming a tier. */
    static final String TIER_HEADER = "x-lodestar-tier";
    /** At most this many markers count towards the marker boost. */
    static final int MAX_MARKERS = 3;

    /**
     * Settings from the configuration.
     *
     * @param threshold p(local ok) threshold, or NaN (or negative) for the model's recommended
     * @param hints whether hints choose the tier
     * @param escalate whether stronger tiers follow the chosen one
     * @param fallbackDown whether cheaper tiers follow as a last resort
     * @param markerBoost subtracted from p(local ok) per hard-work marker
     */
    record Settings(double threshold, boolean hints, boolean escalate, boolean fallbackDown,
            double markerBoost) {

        /** The defaults: the model's threshold, hints on, escalation and fallback on. */
        static final Settings DEFAULTS = new Settings(Double.NaN, true, true, true, 0);

        /**
         * From the typed configuration.
         *
         * @param config the configuration
         * @return the settings
         */
        static Settings of(final AutoConfig config) {
            return new Settings(config.threshold() < 0 ? Double.NaN
                    : Math.min(1, config.threshold()), config.hints(), config.escalate(),
                    config.fallbackDown(), Math.max(0, config.markerBoost()));
        }
    }

    private final RouterModel model;
    private final Settings settings;

    /**
     * Creates a router.
     *
     * @param model the model
     * @param settings the settings
     */
    AutoRouter(final RouterModel model, final Settings settings) {
        this.model = model;
        this.settings = settings;
    }

    /** @return the model */
    RouterModel model() {
        return model;
    }

    /** @return the settings */
    Settings settings() {
        return settings;
    }

    /**
     * The threshold in force when neither a tier nor the virtual model sets one.
     *
     * @return the configured threshold, or the model's recommended one
     */
    double defaultThreshold() {
        return Double.isNaN(settings.threshold()) ? model.recommendedThreshold()
                : settings.threshold();
    }

    /**
     * Decides.
     *
     * @param context the routing context
     * @return the candidates, cheapest suitable tier first, and a short explanation
     */
    RouteDecision route(final RoutingContext context) {
        final List<Tiers.Tier> tiers = Tiers.resolve(context.settings(), context.available());
        final ChatRequest request = context.request();
        final PromptView view = PromptView.of(request);
        final long tokens = view.estimatedTokens();
        final List<List<ModelInfo>> fitting = new ArrayList<>(tiers.size());
        boolean any = false;
        for (final Tiers.Tier tier : tiers) {
            final List<ModelInfo> fit = new ArrayList<>();
            for (final ModelInfo m : tier.models()) {
                if ((!view.tools() || m.supportsTools()) && (!view.images() || m.supportsVision())
                        && (m.contextWindow() == 0 || m.contextWindow() >= tokens)) {
                    fit.add(m);
                }
            }
            any |= !fit.isEmpty();
            fitting.add(fit);
        }
        if (!any) {
            final boolean none = tiers.stream().allMatch(t -> t.models().isEmpty());
            return new RouteDecision(List.of(), NAME, none ? "auto: no model available"
                    : "auto: no model meets" + needs(view, tokens));
        }
        final StringBuilder why = new StringBuilder("auto: ");
        int chosen = -1;
        if (settings.hints()) {
            final String header = context.headers().get(TIER_HEADER);
            String hint = null;
            int index = -1;
            if (header != null && !header.isBlank()) {
                hint = TIER_HEADER + "=" + header.trim();
                index = Tiers.byHint(tiers, header);
            } else {
                final String word = promptHint(view.lastUser(), tiers);
                if (word != null) {
                    hint = "@" + word;
                    index = Tiers.byHint(tiers, word);
                }
            }
            if (index >= 0 && !fitting.get(index).isEmpty()) {
                chosen = index;
                why.append("hint ").append(hint).append(" -> ").append(tiers.get(index).name());
            } else if (hint != null) {
                why.append("hint ").append(hint).append(index < 0 ? " unknown; "
                        : " has no model that fits; ");
            }
        }
        final Features.Extracted extracted;
        if (chosen < 0) {
            final RouterModel.Prediction prediction = model.predict(view);
            extracted = prediction.extracted();
            final double localOk = Math.max(0, prediction.localOk() - settings.markerBoost()
                    * Math.min(extracted.markers(), MAX_MARKERS));
            why.append(String.format(Locale.ROOT, "p(local ok)=%.2f", localOk));
            final double common = common(context);
            int last = -1;
            for (int i = 0; i < tiers.size(); i++) {
                if (!fitting.get(i).isEmpty()) {
                    last = i;
                }
            }
            final StringBuilder skipped = new StringBuilder();
            String verdict = "";
            for (int i = 0; i <= last; i++) {
                final Tiers.Tier tier = tiers.get(i);
                if (fitting.get(i).isEmpty()) {
                    if (!tier.models().isEmpty()) {
                        skipped.append("; no ").append(tier.name()).append(" model fits");
                    }
                    continue;
                }
                final double threshold = Double.isNaN(tier.threshold()) ? common
                        : tier.threshold();
                if (i == last) {
                    chosen = i;
                } else if (localOk >= threshold) {
                    chosen = i;
                    verdict = String.format(Locale.ROOT, " >= %.2f", threshold);
                    break;
                } else {
                    verdict = String.format(Locale.ROOT, " < %.2f", threshold);
                }
            }
            why.append(verdict).append(skipped).append(" -> ").append(tiers.get(chosen).name());
        } else {
            extracted = null;
        }
        why.append("; features: ");
        why.append(extracted == null ? "" : extracted.kind().label() + ", ");
        why.append(tokens).append(" tokens");
        if (view.tools()) {
            why.append(", tools");
        }
        if (view.images()) {
            why.append(", images");
        }
        if (extracted != null && extracted.markers() > 0) {
            why.append(", ").append(extracted.markers()).append(extracted.markers() == 1
                    ? " marker" : " markers");
        }
        return new RouteDecision(order(fitting, chosen), NAME, why.toString());
    }

    private List<ModelInfo> order(final List<List<ModelInfo>> fitting, final int chosen) {
        final List<ModelInfo> out = new ArrayList<>(fitting.get(chosen));
        if (settings.escalate()) {
            for (int i = chosen + 1; i < fitting.size(); i++) {
                addAll(out, fitting.get(i));
            }
        }
        if (settings.fallbackDown()) {
            for (int i = chosen - 1; i >= 0; i--) {
                addAll(out, fitting.get(i));
            }
        }
        return out;
    }

    private static void addAll(final List<ModelInfo> out, final List<ModelInfo> models) {
        for (final ModelInfo m : models) {
            if (!out.contains(m)) {
                out.add(m);
            }
        }
    }

    private double common(final RoutingContext context) {
        final double virtual = Tiers.number(context.settings().get("threshold"));
        return Double.isNaN(virtual) ? defaultThreshold() : virtual;
    }

    private static String needs(final PromptView view, final long tokens) {
        return (view.tools() ? " tools," : "") + (view.images() ? " vision," : "") + " ~"
                + tokens + " tokens";
    }

    /**
     * The first {@code @word} of the text (at the start or after white space) that names a
     * tier, or {@code local} / {@code premium}.
     *
     * @param text the last user message
     * @param tiers the tiers
     * @return the word, lower case, or {@code null}
     */
    static String promptHint(final String text, final List<Tiers.Tier> tiers) {
        int at = text.indexOf('@');
        while (at >= 0) {
            if (at == 0 || Character.isWhitespace(text.charAt(at - 1))) {
                int end = at + 1;
                while (end < text.length() && (Character.isLetterOrDigit(text.charAt(end))
                        || text.charAt(end) == '-' || text.charAt(end) == '_')) {
                    end++;
                }
                if (end > at + 1) {
                    final String word = text.substring(at + 1, end).toLowerCase(Locale.ROOT);
                    if (Tiers.byHint(tiers, word) >= 0) {
                        return word;
                    }
                }
            }
            at = text.indexOf('@', at + 1);
        }
        return null;
    }
}
