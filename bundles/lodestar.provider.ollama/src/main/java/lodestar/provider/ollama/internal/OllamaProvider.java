package lodestar.provider.ollama.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import lodestar.api.chat.ChatRequest;
import lodestar.api.provider.CallOptions;
import lodestar.api.provider.ChatCall;
import lodestar.api.provider.ChatListener;
import lodestar.api.provider.FailureKind;
import lodestar.api.provider.ForwardListener;
import lodestar.api.provider.ForwardRequest;
import lodestar.api.provider.ModelInfo;
import lodestar.api.health.HealthContributor;
import lodestar.api.provider.ModelProvider;
import lodestar.api.provider.ProviderFailure;
import lodestar.provider.ollama.internal.OllamaSettings.InvalidConfigException;
import lodestar.provider.ollama.internal.OllamaSettings.ModelMeta;
import lodestar.provider.ollama.internal.OllamaStatus.LoadedModel;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link ModelProvider} for free local models served by Ollama, one instance per factory
 * configuration {@code config/lodestar.provider.ollama-<name>.cfg}.
 *
 * <p>Chat goes to Ollama's native {@code POST /api/chat} (NDJSON streaming), translated from and
 * to the canonical OpenAI shape; {@link #forward} passes bytes through to Ollama's
 * OpenAI-compatible {@code /v1/...} endpoints. With {@code discoverModels} the installed models
 * ({@code /api/tags}) are served too and the loaded ones ({@code /api/ps}) are watched, in the
 * background.
 *
 * <p>The component registers its {@link ModelProvider} service itself, after a successful
 * activation, with the service properties {@value ModelProvider#PROVIDER_ID} (the configured
 * id) and {@value #DIALECT_PROPERTY} ({@value #DIALECT}); the id may change with the
 * configuration. An invalid configuration fails activation; an invalid update is logged and the
 * last good configuration stays in force.
 */
@Component(service = {}, immediate = true, configurationPid = OllamaProvider.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = OllamaConfig.class, factory = true)
public final class OllamaProvider implements ModelProvider {

    /** The factory configuration PID. */
    static final String PID = "lodestar.provider.ollama";
    /** The dialect name. */
    static final String DIALECT = "ollama";
    /** Service property naming the dialect. */
    static final String DIALECT_PROPERTY = "lodestar.provider.dialect";
    /** Threads that read answers at once; more calls wait for one. */
    static final int MAX_READERS = 16;
    /** Timeout of each discovery request. */
    static final Duration DISCOVERY_TIMEOUT = Duration.ofSeconds(10);

    private static final Logger LOG = LoggerFactory.getLogger(OllamaProvider.class);
    private static final Pattern ENDPOINT = Pattern.compile(
            "[a-z][a-z0-9_-]*(/[a-z][a-z0-9_-]*)*");
    private static final Pattern REQUEST_ID = Pattern.compile("[\\x21-\\x7e]{1,200}");

    private final ObjectMapper mapper;
    private final OllamaTranslator translator;
    private final ThreadPoolExecutor readers;
    private final ExecutorService httpExecutor;
    private final ScheduledThreadPoolExecutor timers;
    private final Set<Exchange> inFlight = ConcurrentHashMap.newKeySet();
    private final AtomicLong sequence = new AtomicLong();
    private final AtomicBoolean refreshing = new AtomicBoolean();
    private final Set<String> spillsWarned = ConcurrentHashMap.newKeySet();
    private final Object configLock = new Object();
    private volatile Setup setup;
    private volatile boolean active;
    private volatile List<ModelInfo> models = List.of();
    private volatile List<String> discovered = List.of();
    private volatile OllamaStatus status = OllamaStatus.unknown();
    private volatile ScheduledFuture<?> refreshTask;
    private volatile ServiceRegistration<ModelProvider> registration;
    private volatile ServiceRegistration<HealthContributor> health;

    /** The configuration in force and the HTTP client built for it. */
    private record Setup(OllamaSettings settings, HttpClient client) {
    }

    /**
     * Activates with a factory configuration and registers the service.
     *
     * @param context the bundle context, to register the service
     * @param properties the component properties
     * @throws IllegalArgumentException when the configuration is invalid
     */
    @Activate
    public OllamaProvider(final BundleContext context, final Map<String, Object> properties) {
        this(properties);
        try {
            registration = context.registerService(ModelProvider.class, this,
                    serviceProperties(setup.settings()));
            health = context.registerService(HealthContributor.class, new OllamaHealth(this),
                    null);
        } catch (final RuntimeException e) {
            deactivate();
            throw e;
        }
    }

    /**
     * Activates without registering a service (for tests).
     *
     * @param properties the component properties
     * @throws IllegalArgumentException when the configuration is invalid
     */
    OllamaProvider(final Map<String, Object> properties) {
        final String source = OllamaSettings.source(properties);
        final OllamaSettings settings;
        try {
            settings = OllamaSettings.parse(properties);
        } catch (final InvalidConfigException e) {
            LOG.error("Invalid configuration in {}: {}", source, e.getMessage());
            throw new IllegalArgumentException("Invalid configuration in " + source + ": "
                    + e.getMessage(), e);
        }
        warn(properties, settings, source);
        mapper = new ObjectMapper()
                .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
        mapper.setTypeFactory(mapper.getTypeFactory()
                .withClassLoader(OllamaProvider.class.getClassLoader()));
        translator = new OllamaTranslator(mapper, () -> Instant.now().getEpochSecond());
        final String prefix = "lodestar-ollama-" + settings.id();
        readers = new ThreadPoolExecutor(MAX_READERS, MAX_READERS, 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), threads(prefix + "-reader"));
        readers.allowCoreThreadTimeOut(true);
        httpExecutor = Executors.newCachedThreadPool(threads(prefix + "-http"));
        timers = new ScheduledThreadPoolExecutor(1, threads(prefix + "-timer"));
        timers.setRemoveOnCancelPolicy(true);
        setup = new Setup(settings, client(settings));
        active = true;
        rebuildModels();
        scheduleDiscovery(settings);
        LOG.info("Ollama provider '{}' at {} serves {}{} (from {})", settings.id(),
                settings.baseUrl(), settings.models(),
                settings.discoverModels() ? " and the models installed there" : "", source);
    }

    /**
     * Takes a new configuration, or keeps the current one when the new one is invalid.
     *
     * @param properties the new component properties
     */
    @Modified
    void modified(final Map<String, Object> properties) {
        final String source = OllamaSettings.source(properties);
        final OllamaSettings next;
        try {
            next = OllamaSettings.parse(properties);
        } catch (final InvalidConfigException e) {
            LOG.error("Invalid configuration in {}: {}; keeping the previous configuration",
                    source, e.getMessage());
            return;
        }
        warn(properties, next, source);
        synchronized (configLock) {
            final OllamaSettings previous = setup.settings();
            final HttpClient client = previous.connectTimeout().equals(next.connectTimeout())
                    ? setup.client() : client(next);
            setup = new Setup(next, client);
            if (!next.discoverModels()) {
                discovered = List.of();
            }
            if (previous.refreshSeconds() != next.refreshSeconds()
                    || !previous.baseUrl().equals(next.baseUrl())) {
                scheduleDiscovery(next);
            }
            rebuildModels();
            final ServiceRegistration<ModelProvider> current = registration;
            if (current != null && !previous.id().equals(next.id())) {
                current.setProperties(serviceProperties(next));
            }
        }
        LOG.info("Ollama provider '{}' reconfigured from {}: {} at {}", next.id(), source,
                next.models(), next.baseUrl());
    }

    /** Unregisters the service, ends the calls in flight and stops every thread. */
    @Deactivate
    void deactivate() {
        active = false;
        final ServiceRegistration<ModelProvider> current = registration;
        registration = null;
        if (current != null) {
            try {
                current.unregister();
            } catch (final IllegalStateException ignored) {
                // already unregistered with the bundle
            }
        }
        final ServiceRegistration<HealthContributor> checks = health;
        health = null;
        if (checks != null) {
            try {
                checks.unregister();
            } catch (final IllegalStateException ignored) {
                // already unregistered with the bundle
            }
        }
        final ScheduledFuture<?> task = refreshTask;
        if (task != null) {
            task.cancel(false);
        }
        for (final Exchange call : new ArrayList<>(inFlight)) {
            call.stop();
        }
        timers.shutdownNow();
        readers.shutdownNow();
        httpExecutor.shutdownNow();
        LOG.info("Ollama provider '{}' stopped", id());
    }

    @Override
    public String id() {
        return setup.settings().id();
    }

    @Override
    public String dialect() {
        return DIALECT;
    }

    @Override
    public List<ModelInfo> models() {
        return models;
    }

    @Override
    public boolean isAvailable() {
        return active;
    }

    OllamaSettings settings() {
        return setup.settings();
    }

    /**
     * What the last background refresh saw: reachability, the installed models and the loaded
     * ones, with whether each spilled onto the CPU; {@link OllamaStatus#unknown()} before the
     * first refresh.
     *
     * @return the status
     */
    public OllamaStatus status() {
        return status;
    }

    @Override
    public ChatCall chat(final ChatRequest request, final CallOptions options,
            final ChatListener listener) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(listener, "listener");
        final CallOptions callOptions = options == null ? CallOptions.of(null) : options;
        final Setup current = setup;
        final OllamaSettings settings = current.settings();
        final Duration firstByte = orDefault(callOptions.firstByteTimeout(),
                settings.firstByteTimeout());
        final boolean stream = request.isStreaming();
        final ChatExchange call = new ChatExchange(inFlight::remove, mapper, settings.baseUrl(),
                firstByte, listener, translator, "chatcmpl-ollama-" + sequence.incrementAndGet(),
                request.model(), stream);
        if (request.model() == null || request.model().isBlank()) {
            failLater(call, FailureKind.BAD_REQUEST, "the request names no model");
            return call;
        }
        final byte[] body;
        try {
            body = mapper.writeValueAsBytes(translator.request(request, stream,
                    settings.keepAlive(), settings.meta(request.model())));
        } catch (final OllamaTranslator.InvalidRequestException e) {
            failLater(call, FailureKind.BAD_REQUEST, e.getMessage());
            return call;
        } catch (final JsonProcessingException e) {
            failLater(call, FailureKind.BAD_REQUEST, "cannot write the request: "
                    + e.getOriginalMessage());
            return call;
        }
        send(call, current, "/api/chat", body, stream ? "application/x-ndjson"
                : "application/json", firstByte, callOptions);
        return call;
    }

    @Override
    public ChatCall forward(final ForwardRequest request, final CallOptions options,
            final ForwardListener listener) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(listener, "listener");
        final CallOptions callOptions = options == null ? CallOptions.of(null) : options;
        final Setup current = setup;
        final OllamaSettings settings = current.settings();
        final Duration firstByte = orDefault(callOptions.firstByteTimeout(),
                settings.firstByteTimeout());
        final ForwardExchange call = new ForwardExchange(inFlight::remove, mapper,
                settings.baseUrl(), firstByte, listener, request.stream());
        final String endpoint = request.endpoint().startsWith("/")
                ? request.endpoint().substring(1) : request.endpoint();
        if (!ENDPOINT.matcher(endpoint).matches()) {
            failLater(call, FailureKind.BAD_REQUEST, "invalid endpoint '" + endpoint + "'");
            return call;
        }
        send(call, current, "/v1/" + endpoint, request.body(),
                request.stream() ? "text/event-stream" : "application/json", firstByte,
                callOptions);
        return call;
    }

    private void send(final Exchange call, final Setup current, final String path,
            final byte[] body, final String accept, final Duration firstByte,
            final CallOptions options) {
        if (!active) {
            failLater(call, FailureKind.CONNECTION, Exchange.STOPPED);
            return;
        }
        inFlight.add(call);
        if (!active) {
            call.stop();
            return;
        }
        final HttpRequest.Builder builder = HttpRequest.newBuilder(
                URI.create(current.settings().baseUrl() + path))
                .timeout(firstByte)
                .header("Content-Type", "application/json")
                .header("Accept", accept)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (options.requestId() != null && REQUEST_ID.matcher(options.requestId()).matches()) {
            builder.header("X-Request-Id", options.requestId());
        }
        call.start(current.client(), builder.build(), readers, timers,
                orDefault(options.totalTimeout(), current.settings().totalTimeout()));
    }

    /** Reports a failure from a provider thread (never from the caller's). */
    private void failLater(final Exchange call, final FailureKind kind, final String message) {
        final ProviderFailure failure = ProviderFailure.of(kind, 0, message);
        try {
            readers.execute(() -> call.fail(failure));
        } catch (final RejectedExecutionException e) {
            call.fail(failure);
        }
    }

    /**
     * Runs one discovery refresh now: {@code /api/tags} and {@code /api/ps}, asynchronously.
     * Does nothing while a refresh runs or when discovery is off.
     */
    void refresh() {
        final Setup current = setup;
        if (!active || !refreshing.compareAndSet(false, true)) {
            return;
        }
        try {
            final CompletableFuture<List<String>> tags = get(current, "/api/tags")
                    .thenApply(OllamaProvider::parseTags);
            final CompletableFuture<List<LoadedModel>> loaded = get(current, "/api/ps")
                    .thenApply(OllamaProvider::parsePs);
            tags.thenCombine(loaded, Listing::new).whenCompleteAsync((listing, error) -> {
                try {
                    if (error == null) {
                        refreshed(current.settings(), listing.names(), listing.loaded());
                    } else {
                        unreachable(current.settings(), error);
                    }
                } finally {
                    refreshing.set(false);
                }
            }, readers);
        } catch (final RuntimeException e) {
            refreshing.set(false);
            unreachable(current.settings(), e);
        }
    }

    /** What one refresh found. */
    private record Listing(List<String> names, List<LoadedModel> loaded) {
    }

    private CompletableFuture<JsonNode> get(final Setup current, final String path) {
        final HttpRequest request = HttpRequest.newBuilder(
                URI.create(current.settings().baseUrl() + path))
                .timeout(DISCOVERY_TIMEOUT).header("Accept", "application/json").GET().build();
        return current.client().sendAsync(request, HttpResponse.BodyHandlers.ofByteArray())
                .thenApply(response -> {
                    if (response.statusCode() != 200) {
                        throw new CompletionException(new IOException("HTTP "
                                + response.statusCode() + " from " + path + ": "
                                + Failures.message(response.statusCode(), response.body(),
                                        mapper)));
                    }
                    try {
                        return mapper.readTree(response.body());
                    } catch (final IOException e) {
                        throw new CompletionException(new IOException("invalid JSON from "
                                + path, e));
                    }
                });
    }

    static List<String> parseTags(final JsonNode tags) {
        final List<String> names = new ArrayList<>();
        for (final JsonNode model : tags.path("models")) {
            final String name = model.path("name").asText(model.path("model").asText(""));
            if (!name.isEmpty()) {
                names.add(name);
            }
        }
        return names;
    }

    static List<LoadedModel> parsePs(final JsonNode ps) {
        final List<LoadedModel> loaded = new ArrayList<>();
        for (final JsonNode model : ps.path("models")) {
            final long size = model.path("size").asLong(0);
            final long vram = model.path("size_vram").asLong(0);
            loaded.add(new LoadedModel(model.path("name").asText(model.path("model").asText("")),
                    size, vram, vram < size));
        }
        return loaded;
    }

    /** Takes the result of a successful refresh. */
    void refreshed(final OllamaSettings settings, final List<String> names,
            final List<LoadedModel> loaded) {
        if (!active) {
            return;
        }
        final boolean wasReachable = status.reachable() || status.checkedAt() == null;
        status = new OllamaStatus(Instant.now(), true, null, loaded, names);
        if (!wasReachable) {
            LOG.info("Ollama at {} (provider '{}') answers again", settings.baseUrl(),
                    settings.id());
        }
        if (setup.settings().discoverModels()) {
            final List<String> previous = discovered;
            discovered = List.copyOf(names);
            rebuildModels();
            if (!previous.equals(names)) {
                LOG.info("Ollama provider '{}' found installed models {}", settings.id(),
                        names);
            }
        }
        final Set<String> spilled = new LinkedHashSet<>();
        for (final LoadedModel model : loaded) {
            if (model.spilledToCpu()) {
                final String key = model.name() + "@" + model.sizeVram();
                spilled.add(key);
                if (spillsWarned.add(key)) {
                    LOG.warn("Model '{}' of Ollama provider '{}' does not fit into GPU memory: "
                            + "{} MiB of {} MiB are in VRAM, the rest runs on the CPU (slow); "
                            + "choose a smaller model or quantization", model.name(),
                            settings.id(), model.sizeVram() >> 20, model.size() >> 20);
                }
            }
        }
        spillsWarned.retainAll(spilled);
    }

    private void unreachable(final OllamaSettings settings, final Throwable error) {
        final boolean wasReachable = status.reachable() || status.checkedAt() == null;
        final String message = Failures.ofException(error, settings.baseUrl(),
                DISCOVERY_TIMEOUT, false).message();
        status = new OllamaStatus(Instant.now(), false, message, List.of(), List.of());
        if (wasReachable) {
            LOG.warn("Ollama provider '{}' cannot list models: {}", settings.id(), message);
        }
    }

    private void scheduleDiscovery(final OllamaSettings settings) {
        final ScheduledFuture<?> previous = refreshTask;
        if (previous != null) {
            previous.cancel(false);
        }
        refreshTask = timers.scheduleWithFixedDelay(this::refresh, 0, settings.refreshSeconds(),
                TimeUnit.SECONDS);
    }

    private void rebuildModels() {
        synchronized (configLock) {
            final OllamaSettings settings = setup.settings();
            final Set<String> names = new LinkedHashSet<>(settings.models());
            if (settings.discoverModels()) {
                for (final String name : discovered) {
                    final String untagged = name.endsWith(":latest")
                            ? name.substring(0, name.length() - ":latest".length()) : name;
                    if (!names.contains(untagged)) {
                        names.add(name);
                    }
                }
            }
            final List<ModelInfo> list = new ArrayList<>();
            for (final String name : names) {
                final ModelMeta meta = settings.meta(name);
                list.add(new ModelInfo(name, settings.id(), meta.context(), meta.tools(),
                        meta.vision(), true, 0, 0));
            }
            models = List.copyOf(list);
        }
    }

    private static void warn(final Map<String, Object> properties,
            final OllamaSettings settings, final String source) {
        for (final String key : OllamaSettings.unknownKeys(properties)) {
            LOG.warn("Unknown key '{}' in {} (known keys: {} and model.<name>)", key, source,
                    new java.util.TreeSet<>(OllamaSettings.KEYS));
        }
        if (!settings.discoverModels()) {
            for (final String model : settings.describedButNotListed()) {
                LOG.warn("{}: model.{} describes a model that is not in models; it is ignored "
                        + "(discoverModels is false)", source, model);
            }
        }
    }

    private HttpClient client(final OllamaSettings settings) {
        return HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(settings.connectTimeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .executor(httpExecutor)
                .build();
    }

    private static Dictionary<String, Object> serviceProperties(final OllamaSettings settings) {
        final Dictionary<String, Object> properties = new Hashtable<>();
        properties.put(ModelProvider.PROVIDER_ID, settings.id());
        properties.put(DIALECT_PROPERTY, DIALECT);
        return properties;
    }

    private static Duration orDefault(final Duration value, final Duration fallback) {
        return value == null || value.isNegative() || value.isZero() ? fallback : value;
    }

    private static ThreadFactory threads(final String prefix) {
        final AtomicInteger count = new AtomicInteger();
        return runnable -> {
            final Thread thread = new Thread(runnable, prefix + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
