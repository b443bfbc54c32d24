package lodestar.routing.auto.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import lodestar.api.routing.RouteDecision;
import lodestar.api.routing.RoutingContext;
import lodestar.api.routing.RoutingStrategy;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code auto} routing strategy: a learned router that keeps easy prompts on the cheap tier
 * and sends the others to a stronger one.
 *
 * <p>Configuration PID {@code lodestar.routing.auto}, optional: without it the model shipped in
 * the bundle and its recommended threshold apply. A change applies live and atomically: the new
 * model and settings replace the old ones in one step, so a request sees either the old pair or
 * the new one. A model file that cannot be loaded is logged and the model in force stays.
 */
@Component(name = AutoStrategy.PID, configurationPid = AutoStrategy.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL, service = RoutingStrategy.class,
        property = RoutingStrategy.STRATEGY_NAME + "=" + AutoRouter.NAME)
@Designate(ocd = AutoConfig.class)
public final class AutoStrategy implements RoutingStrategy {

    /** The configuration PID, also the component name. */
    static final String PID = "lodestar.routing.auto";

    private static final Logger LOG = LoggerFactory.getLogger(AutoStrategy.class);
    private static final Set<String> KEYS = Set.of("modelFile", "threshold", "hints",
            "escalate", "fallbackDown", "markerBoost");

    private final Object lock = new Object();
    private volatile Current current;
    /** Guarded by {@link #lock}. */
    private RouterModel shipped;

    /**
     * The router in force and where its model came from.
     *
     * @param router the router
     * @param source {@code shipped} or the model file's path
     */
    record Current(AutoRouter router, String source) {
    }

    /**
     * Activates with the configuration (or the defaults).
     *
     * @param config the configuration
     * @param properties the component properties, to name the file in messages and to find
     *        unknown keys
     */
    @Activate
    public AutoStrategy(final AutoConfig config, final Map<String, Object> properties) {
        apply(config, properties);
    }

    /**
     * Takes a new configuration: a new model file is loaded at once.
     *
     * @param config the configuration
     * @param properties the component properties
     */
    @Modified
    void modified(final AutoConfig config, final Map<String, Object> properties) {
        apply(config, properties);
    }

    @Override
    public String name() {
        return AutoRouter.NAME;
    }

    @Override
    public RouteDecision route(final RoutingContext context) {
        return current.router().route(context);
    }

    /** @return the router in force and its model's source */
    Current current() {
        return current;
    }

    private void apply(final AutoConfig config, final Map<String, Object> properties) {
        final String origin = String.valueOf(properties.getOrDefault("felix.fileinstall.filename",
                "configuration " + PID));
        final Set<String> unknown = new TreeSet<>();
        for (final String key : properties.keySet()) {
            if (!key.contains(".") && !KEYS.contains(key)) {
                unknown.add(key);
            }
        }
        unknown.forEach(key -> LOG.warn("Unknown key '{}' in {} (known keys: {})", key, origin,
                new TreeSet<>(KEYS)));
        synchronized (lock) {
            final Current before = current;
            final String file = config.modelFile() == null ? "" : config.modelFile().trim();
            RouterModel model;
            String source;
            if (file.isEmpty()) {
                model = shipped();
                source = "shipped";
            } else {
                try {
                    model = RouterModel.read(Path.of(file));
                    source = file;
                } catch (final IOException | RuntimeException e) {
                    final boolean keep = before != null;
                    model = keep ? before.router().model() : shipped();
                    source = keep ? before.source() : "shipped";
                    LOG.error("Invalid configuration in {}: modelFile '{}' cannot be loaded: {};"
                            + " keeping the {} model", origin, file, e.getMessage(),
                            keep ? "current (" + source + ")" : "shipped");
                }
            }
            double threshold = config.threshold();
            if (Double.isNaN(threshold) || threshold > 1) {
                LOG.error("Invalid configuration in {}: threshold {} is outside [0, 1]; using "
                        + "the model's recommended threshold", origin, threshold);
                threshold = -1;
            }
            final AutoRouter.Settings settings = AutoRouter.Settings.of(config);
            final AutoRouter router = new AutoRouter(model, new AutoRouter.Settings(
                    threshold < 0 ? Double.NaN : threshold, settings.hints(),
                    settings.escalate(), settings.fallbackDown(), settings.markerBoost()));
            current = new Current(router, source);
            LOG.info("auto routing: model {} ({}, label {}), threshold {} ({})", model.id(),
                    source, model.label().id(), String.format(Locale.ROOT, "%.4f",
                            router.defaultThreshold()), threshold < 0 ? "recommended by the model"
                                    : "configured");
        }
    }

    private RouterModel shipped() {
        if (shipped == null) {
            try {
                shipped = RouterModel.shipped();
            } catch (final IOException e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
        }
        return shipped;
    }
}
