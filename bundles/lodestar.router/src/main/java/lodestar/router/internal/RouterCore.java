package lodestar.router.internal;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import lodestar.api.chat.ChatRequest;
import lodestar.api.cache.ResponseCache;
import lodestar.api.event.ContentListener;
import lodestar.api.event.ExchangeContent;
import lodestar.api.event.RequestListener;
import lodestar.api.health.Availability;
import lodestar.api.provider.FailureKind;
import lodestar.api.provider.ModelInfo;
import lodestar.api.provider.ModelProvider;
import lodestar.api.provider.ProviderFailure;
import lodestar.api.routing.RouteDecision;
import lodestar.api.routing.RoutingContext;
import lodestar.api.routing.RoutingStrategy;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The router's state: live providers with their circuit breakers, strategies, virtual models,
 * request listeners, settings. Servlets and Gogo commands use it; providers, strategies,
 * virtual models and listeners come and go as whiteboard services.
 */
@Component(service = RouterCore.class, configurationPid = "lodestar.router",
        configurationPolicy = ConfigurationPolicy.OPTIONAL, immediate = true)
@Designate(ocd = RouterConfig.class)
public final class RouterCore {

    private static final Logger LOG = LoggerFactory.getLogger(RouterCore.class);

    final ObjectMapper mapper = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    private final Map<ModelProvider, Boolean> providers = new ConcurrentHashMap<>();
    /** The live providers sorted by id, rebuilt when one comes or goes (read per request). */
    private volatile List<ModelProvider> sortedProviders = List.of();
    private final Map<String, CircuitBreaker> breakers = new ConcurrentHashMap<>();
    private final Map<String, RoutingStrategy> strategies = new ConcurrentHashMap<>();
    private final List<VirtualModel> virtualModels = new CopyOnWriteArrayList<>();
    private final List<RequestListener> listeners = new CopyOnWriteArrayList<>();
    private final List<Availability> verdicts = new CopyOnWriteArrayList<>();
    private final List<ResponseCache> caches = new CopyOnWriteArrayList<>();
    private final List<ContentListener> contentListeners = new CopyOnWriteArrayList<>();
    private final java.util.concurrent.atomic.AtomicLong contentDropped =
            new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.ThreadPoolExecutor contentDelivery =
            new java.util.concurrent.ThreadPoolExecutor(1, 1, 0,
                    java.util.concurrent.TimeUnit.MILLISECONDS,
                    new java.util.concurrent.ArrayBlockingQueue<>(1000), r -> {
                        final Thread thread = new Thread(r, "lodestar-content");
                        thread.setDaemon(true);
                        return thread;
                    }, (task, pool) -> contentDropped.incrementAndGet());
    private final AtomicReference<Settings> settings = new AtomicReference<>();
    private final Clock clock;
    final ScheduledExecutorService scheduler;
    final EventDispatcher events;

    /**
     * Activates.
     *
     * @param config the configuration
     */
    @Activate
    public RouterCore(final RouterConfig config) {
        this(config, Clock.systemUTC());
    }

    RouterCore(final RouterConfig config, final Clock clock) {
        this.clock = clock;
        settings.set(Settings.from(config));
        scheduler = Executors.newScheduledThreadPool(2, r -> {
            final Thread thread = new Thread(r, "lodestar-router-timer");
            thread.setDaemon(true);
            return thread;
        });
        events = new EventDispatcher(config.eventQueueSize(), () -> listeners);
    }

    @Modified
    void modified(final RouterConfig config) {
        settings.set(Settings.from(config));
        LOG.info("Router configuration updated");
    }

    @Deactivate
    void deactivate() {
        scheduler.shutdownNow();
        contentDelivery.shutdown();
        events.close();
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addProvider(final ModelProvider provider) {
        providers.put(provider, Boolean.TRUE);
        resort();
        LOG.info("Provider '{}' ({}) available with {} model(s)", provider.id(),
                provider.dialect(), provider.models().size());
    }

    void removeProvider(final ModelProvider provider) {
        providers.remove(provider);
        resort();
        LOG.info("Provider '{}' removed", provider.id());
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addStrategy(final RoutingStrategy strategy) {
        strategies.put(strategy.name(), strategy);
    }

    void removeStrategy(final RoutingStrategy strategy) {
        strategies.remove(strategy.name(), strategy);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addVirtualModel(final VirtualModel model) {
        virtualModels.add(model);
    }

    void removeVirtualModel(final VirtualModel model) {
        virtualModels.remove(model);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addListener(final RequestListener listener) {
        listeners.add(listener);
    }

    void removeListener(final RequestListener listener) {
        listeners.remove(listener);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addContentListener(final ContentListener listener) {
        contentListeners.add(listener);
    }

    void removeContentListener(final ContentListener listener) {
        contentListeners.remove(listener);
    }

    /** @return whether anyone asked for exchange content (otherwise none is kept) */
    boolean wantsContent() {
        return !contentListeners.isEmpty();
    }

    /**
     * Hands an exchange's content to the content listeners, asynchronously and bounded; what
     * does not fit is dropped and counted.
     *
     * @param content the content
     */
    void publishContent(final ExchangeContent content) {
        if (contentListeners.isEmpty()) {
            return;
        }
        contentDelivery.execute(() -> {
            for (final ContentListener listener : contentListeners) {
                try {
                    listener.onContent(content);
                } catch (final RuntimeException e) {
                    LOG.debug("Content listener failed", e);
                }
            }
        });
    }

    long contentDropped() {
        return contentDropped.get();
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addCache(final ResponseCache cache) {
        caches.add(cache);
    }

    void removeCache(final ResponseCache cache) {
        caches.remove(cache);
    }

    /**
     * The response cache, when one is installed.
     *
     * @return the cache, or empty
     */
    Optional<ResponseCache> cache() {
        return caches.isEmpty() ? Optional.empty() : Optional.of(caches.get(0));
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addAvailability(final Availability availability) {
        verdicts.add(availability);
    }

    void removeAvailability(final Availability availability) {
        verdicts.remove(availability);
    }

    /**
     * Why the health monitor says a model must be skipped now.
     *
     * @param model the model
     * @return the reason, or empty when no monitor objects (or none is installed)
     */
    Optional<String> downReason(final ModelInfo model) {
        for (final Availability verdict : verdicts) {
            try {
                final Optional<String> reason = verdict.unavailable(model.providerId(),
                        model.id());
                if (reason.isPresent()) {
                    return reason;
                }
            } catch (final RuntimeException e) {
                LOG.debug("Availability service failed; ignored", e);
            }
        }
        return Optional.empty();
    }

    Settings settings() {
        return settings.get();
    }

    /** @return the live providers */
    List<ModelProvider> providers() {
        return sortedProviders;
    }

    private void resort() {
        sortedProviders = new ArrayList<>(providers.keySet()).stream()
                .sorted(java.util.Comparator.comparing(ModelProvider::id)).toList();
    }

    Optional<ModelProvider> provider(final String id) {
        for (final ModelProvider provider : sortedProviders) {
            if (provider.id().equals(id)) {
                return Optional.of(provider);
            }
        }
        return Optional.empty();
    }

    /**
     * Counts a failed call against its provider's circuit, unless the failure says nothing about
     * the provider's health: a request it refused, an endpoint or model it does not have, or a
     * call cancelled by Lodestar.
     *
     * @param providerId the provider
     * @param failure the failure
     */
    void recordFailure(final String providerId, final ProviderFailure failure) {
        final FailureKind kind = failure.kind();
        if (kind == FailureKind.BAD_REQUEST || kind == FailureKind.NOT_FOUND
                || kind == FailureKind.CANCELLED) {
            return;
        }
        final Settings current = settings();
        breaker(providerId).failure(kind + ": " + failure.message(), current.cooldownAfter(),
                current.cooldown());
    }

    /**
     * The provider to send a candidate to now: live, available, not reported down by the health
     * monitor, and its circuit letting a request through (a half-open circuit lets exactly one
     * probe through, so this claims it).
     *
     * @param model the candidate
     * @return the provider, or empty when the candidate must be skipped
     */
    Optional<ModelProvider> usable(final ModelInfo model) {
        return provider(model.providerId())
                .filter(ModelProvider::isAvailable)
                .filter(p -> downReason(model).isEmpty())
                .filter(p -> breaker(model.providerId()).allow());
    }

    CircuitBreaker breaker(final String providerId) {
        return breakers.computeIfAbsent(providerId, id -> new CircuitBreaker(clock));
    }

    List<VirtualModel> virtualModels() {
        return List.copyOf(virtualModels);
    }

    /**
     * Every model of every available provider that is not in cooldown and not reported down by
     * the health monitor.
     *
     * @return the models
     */
    List<ModelInfo> availableModels() {
        final List<ModelInfo> models = new ArrayList<>();
        for (final ModelProvider provider : providers()) {
            if (provider.isAvailable() && breaker(provider.id()).isAvailable()) {
                for (final ModelInfo model : provider.models()) {
                    if (verdicts.isEmpty() || downReason(model).isEmpty()) {
                        models.add(model);
                    }
                }
            }
        }
        return models;
    }

    /**
     * Every model of every live provider, available or not.
     *
     * @return the models
     */
    List<ModelInfo> allModels() {
        final List<ModelInfo> models = new ArrayList<>();
        providers().forEach(p -> models.addAll(p.models()));
        return models;
    }

    /**
     * Decides where a request goes.
     *
     * @param model the model the client asked for
     * @param request the request, or {@code null} for forwarded endpoints
     * @param headers routing-relevant headers
     * @return the plan
     */
    Plan plan(final String model, final ChatRequest request, final Map<String, String> headers) {
        final List<ModelInfo> available = availableModels();
        for (final VirtualModel virtual : virtualModels) {
            if (virtual.name().equals(model)) {
                final RoutingStrategy strategy = strategies.get(virtual.strategy());
                if (strategy == null) {
                    return Plan.error(new ApiError(503, "model '" + model + "' uses strategy '"
                            + virtual.strategy() + "', which is not installed",
                            "service_unavailable", "model", "strategy_unavailable", 0));
                }
                final RouteDecision decision = strategy.route(new RoutingContext(model, request,
                        headers, virtual.settings(), available));
                if (decision.candidates().isEmpty()) {
                    return Plan.error(new ApiError(503, "no provider available for model '"
                            + model + "' (" + decision.explanation() + ")",
                            "service_unavailable", "model", "no_provider_available", 0));
                }
                return new Plan(decision.candidates(), decision.strategy(),
                        decision.explanation(), null);
            }
        }
        final List<ModelInfo> direct = available.stream()
                .filter(m -> m.id().equals(model) || m.qualifiedName().equals(model)).toList();
        if (!direct.isEmpty()) {
            return new Plan(direct, "direct", "requested model "
                    + direct.get(0).qualifiedName(), null);
        }
        final boolean known = allModels().stream()
                .anyMatch(m -> m.id().equals(model) || m.qualifiedName().equals(model));
        if (known) {
            return Plan.error(new ApiError(503, "model '" + model
                    + "' is known but no provider serving it is available now (cooldown, "
                    + "missing key or stopped)", "service_unavailable", "model",
                    "no_provider_available", 0));
        }
        return Plan.error(new ApiError(404, "The model '" + model + "' does not exist. "
                + "GET /v1/models lists the models and virtual models served here.",
                "invalid_request_error", "model", "model_not_found", 0));
    }

    /**
     * The price of a request on the configured baseline model, if known.
     *
     * @param input input tokens
     * @param output output tokens
     * @return USD, or {@code null}
     */
    Double baselineCost(final long input, final long output) {
        final String baseline = settings().baselineModel();
        if (baseline.isEmpty()) {
            return null;
        }
        return allModels().stream()
                .filter(m -> m.id().equals(baseline) || m.qualifiedName().equals(baseline))
                .findFirst().map(m -> m.cost(input, output)).orElse(null);
    }

    /**
     * Which client key a request presents.
     *
     * @param presented the bearer token or x-api-key, may be {@code null}
     * @return the key's name; {@code ""} when keys are off; empty when the key is wrong
     */
    Optional<String> authenticate(final String presented) {
        final Map<String, String> keys = settings().proxyKeys();
        if (keys.isEmpty()) {
            return Optional.of("");
        }
        if (presented == null) {
            return Optional.empty();
        }
        final byte[] given = presented.getBytes(StandardCharsets.UTF_8);
        String match = null;
        for (final Map.Entry<String, String> entry : keys.entrySet()) {
            if (MessageDigest.isEqual(given, entry.getKey().getBytes(StandardCharsets.UTF_8))) {
                match = entry.getValue();
            }
        }
        return Optional.ofNullable(match);
    }

    void schedule(final Runnable task, final Duration delay) {
        scheduler.schedule(task, Math.max(0, delay.toMillis()), TimeUnit.MILLISECONDS);
    }

    /**
     * A routing plan: candidates in order, or an error to answer.
     *
     * @param candidates the models to try
     * @param strategy the strategy name
     * @param explanation why
     * @param error the error when no candidate exists
     */
    record Plan(List<ModelInfo> candidates, String strategy, String explanation, ApiError error) {
        static Plan error(final ApiError error) {
            return new Plan(List.of(), "none", error.message(), error);
        }
    }

    /**
     * Settings derived from the configuration, swapped atomically.
     *
     * @param maxBodyBytes body limit
     * @param maxAttempts attempts per candidate
     * @param backoffBase first backoff
     * @param backoffMax longest wait before failing over
     * @param cooldownAfter failures before cooldown
     * @param cooldown cooldown length
     * @param proxyKeys key to key name
     * @param limiter per-key rate limiter
     * @param baselineModel the baseline model id
     */
    record Settings(int maxBodyBytes, int maxAttempts, Duration backoffBase, Duration backoffMax,
            int cooldownAfter, Duration cooldown, Map<String, String> proxyKeys,
            RateLimiter limiter, String baselineModel, boolean escalatePoorAnswers) {

        static Settings from(final RouterConfig config) {
            return new Settings(Math.max(1024, config.maxBodyBytes()),
                    Math.max(1, config.maxAttempts()),
                    Duration.ofMillis(Math.max(0, config.backoffBaseMs())),
                    Duration.ofMillis(Math.max(0, config.backoffMaxMs())),
                    Math.max(1, config.cooldownAfterFailures()),
                    Duration.ofSeconds(Math.max(1, config.cooldownSeconds())),
                    parseKeys(config._proxyKeys()),
                    new RateLimiter(config.rateLimitPerMinute(), config.rateLimitBurst(),
                            System::nanoTime),
                    config.baselineModel() == null ? "" : config.baselineModel().trim(),
                    config.escalatePoorAnswers());
        }

        static Map<String, String> parseKeys(final String raw) {
            final Map<String, String> keys = new LinkedHashMap<>();
            if (raw == null) {
                return keys;
            }
            String value = raw.trim();
            final java.util.regex.Matcher env = java.util.regex.Pattern
                    .compile("[$][{\\[]env:([A-Za-z0-9_]+)[}\\]]").matcher(value);
            if (env.matches()) {
                final String fromEnv = System.getenv(env.group(1));
                value = fromEnv == null ? "" : fromEnv.trim();
            }
            int index = 0;
            for (final String entry : value.split(",")) {
                final String trimmed = entry.trim();
                if (trimmed.isEmpty()) {
                    continue;
                }
                final int colon = trimmed.indexOf(':');
                index++;
                if (colon > 0) {
                    keys.put(trimmed.substring(colon + 1).trim(),
                            trimmed.substring(0, colon).trim());
                } else {
                    keys.put(trimmed, "key" + index);
                }
            }
            return keys;
        }
    }
}
