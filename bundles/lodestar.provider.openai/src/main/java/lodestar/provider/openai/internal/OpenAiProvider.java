package lodestar.provider.openai.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.regex.Pattern;
import lodestar.api.chat.ChatRequest;
import lodestar.api.provider.CallOptions;
import lodestar.api.provider.ChatCall;
import lodestar.api.provider.ChatListener;
import lodestar.api.provider.FailureKind;
import lodestar.api.provider.ForwardListener;
import lodestar.api.provider.ForwardRequest;
import lodestar.api.provider.ModelInfo;
import lodestar.api.provider.ModelProvider;
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
 * A {@link ModelProvider} for one OpenAI-compatible upstream (OpenAI, xAI, DeepSeek, Groq,
 * Mistral, Together, OpenRouter, or any base URL): one instance per factory configuration
 * {@code config/lodestar.provider.openai-<name>.cfg}.
 *
 * <p>Calls {@code POST {baseUrl}/chat/completions} (and {@code {baseUrl}/<endpoint>} for
 * forwarded requests) asynchronously with one {@link HttpClient}; bodies are read on a small
 * pool of I/O threads, streams event by event. Without an API key the provider is inert: no
 * models, not available. The key is never logged nor published as a service property.
 *
 * <p>The component registers its {@link ModelProvider} service itself, after a successful
 * activation, with exactly the service properties {@value ModelProvider#PROVIDER_ID} (the
 * provider id, which a configuration change may change) and {@value #DIALECT_PROPERTY}
 * ({@value #DIALECT}): DS could only publish configuration properties, and the id has a
 * computed default.
 */
@Component(service = {}, immediate = true, configurationPid = Settings.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = OpenAiConfig.class, factory = true)
public final class OpenAiProvider implements ModelProvider {

    /** The wire dialect. */
    static final String DIALECT = "openai";
    /** Service property naming the dialect. */
    static final String DIALECT_PROPERTY = "lodestar.provider.dialect";
    /** Most calls whose bodies are read at the same time. */
    static final int MAX_CONCURRENT_READS = 256;
    /** Message of calls ended because the provider stopped. */
    static final String STOPPED = "provider stopped";

    private static final Logger LOG = LoggerFactory.getLogger(OpenAiProvider.class);
    private static final Pattern ENDPOINT = Pattern.compile("[A-Za-z0-9_-]+(/[A-Za-z0-9_.-]+)*");

    private final Function<String, String> env;
    private final Clock clock;
    private final ObjectMapper mapper;
    private final ThreadPoolExecutor io;
    private final ScheduledThreadPoolExecutor timer;
    private final Set<Exchange> inFlight = ConcurrentHashMap.newKeySet();
    private final Object configLock = new Object();
    private volatile Settings settings;
    private volatile HttpClient client;
    private volatile boolean active;
    private volatile ServiceRegistration<ModelProvider> registration;

    /**
     * Activates with a factory configuration and registers the service.
     *
     * @param context the bundle context, to register the service
     * @param config the typed configuration
     * @param properties the component properties (for {@code model.<modelId>} keys and the
     *     configuration file name)
     * @throws IllegalArgumentException when the configuration is invalid
     */
    @Activate
    public OpenAiProvider(final BundleContext context, final OpenAiConfig config,
            final Map<String, Object> properties) {
        this(config, properties, System::getenv, Clock.systemUTC());
        registration = context.registerService(ModelProvider.class, this,
                serviceProperties(settings));
    }

    /**
     * Activates without registering a service (for tests).
     *
     * @param config the typed configuration
     * @param properties the component properties
     * @param env environment lookup for {@code ${env:NAME}} key references
     * @param clock the clock
     * @throws IllegalArgumentException when the configuration is invalid
     */
    OpenAiProvider(final OpenAiConfig config, final Map<String, Object> properties,
            final Function<String, String> env, final Clock clock) {
        this.env = env;
        this.clock = clock;
        final Settings initial;
        try {
            initial = Settings.parse(config, properties, env);
        } catch (final Settings.InvalidConfigException e) {
            LOG.error("{}; provider not started", e.getMessage());
            throw e;
        }
        this.mapper = new ObjectMapper();
        mapper.configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
        mapper.setTypeFactory(mapper.getTypeFactory()
                .withClassLoader(OpenAiProvider.class.getClassLoader()));
        final String prefix = "lodestar-openai-" + initial.id();
        this.io = new ThreadPoolExecutor(0, MAX_CONCURRENT_READS, 30, TimeUnit.SECONDS,
                new SynchronousQueue<>(), threads(prefix + "-io-"));
        this.timer = new ScheduledThreadPoolExecutor(1, threads(prefix + "-timer-"));
        timer.setRemoveOnCancelPolicy(true);
        this.client = newClient(initial);
        this.settings = initial;
        this.active = true;
        report(initial, null);
    }

    /**
     * Takes a new configuration; an invalid one is logged and the previous one stays in force.
     * Calls in flight finish with the configuration they started with.
     *
     * @param config the typed configuration
     * @param properties the component properties
     */
    @Modified
    void modified(final OpenAiConfig config, final Map<String, Object> properties) {
        final Settings next;
        try {
            next = Settings.parse(config, properties, env);
        } catch (final Settings.InvalidConfigException e) {
            LOG.error("{}; keeping the previous configuration of provider {}", e.getMessage(),
                    settings.id());
            return;
        }
        final Settings previous;
        synchronized (configLock) {
            previous = settings;
            if (!next.connectTimeout().equals(previous.connectTimeout())) {
                client = newClient(next);
            }
            settings = next;
            final ServiceRegistration<ModelProvider> current = registration;
            if (current != null && !previous.id().equals(next.id())) {
                current.setProperties(serviceProperties(next));
            }
        }
        report(next, previous);
    }

    /**
     * Unregisters the service, ends every call in flight with "provider stopped" and releases
     * threads and client.
     */
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
        for (final Exchange call : List.copyOf(inFlight)) {
            call.fail(FailureKind.CONNECTION, 0, STOPPED);
        }
        timer.shutdownNow();
        io.shutdownNow();
        shutdown(client);
        LOG.info("provider {}: stopped", settings.id());
    }

    @Override
    public String id() {
        return settings.id();
    }

    @Override
    public String dialect() {
        return DIALECT;
    }

    @Override
    public List<ModelInfo> models() {
        final Settings current = settings;
        return active && current.hasKey() ? current.models() : List.of();
    }

    @Override
    public boolean isAvailable() {
        return active && settings.hasKey();
    }

    @Override
    public ChatCall chat(final ChatRequest request, final CallOptions options,
            final ChatListener listener) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(listener, "listener");
        final Settings current = settings;
        final ChatExchange call = new ChatExchange(current, mapper, clock,
                request.isStreaming(), listener);
        final byte[] body;
        try {
            body = mapper.writeValueAsBytes(request);
        } catch (final JsonProcessingException e) {
            failLater(call, FailureKind.BAD_REQUEST, "cannot write the request as JSON: "
                    + e.getOriginalMessage());
            return call;
        }
        start(call, current, "chat/completions", body, options);
        return call;
    }

    @Override
    public ChatCall forward(final ForwardRequest request, final CallOptions options,
            final ForwardListener listener) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(listener, "listener");
        final Settings current = settings;
        final ForwardExchange call = new ForwardExchange(current, mapper, clock,
                request.stream(), listener);
        String endpoint = request.endpoint().trim();
        while (endpoint.startsWith("/")) {
            endpoint = endpoint.substring(1);
        }
        if (!ENDPOINT.matcher(endpoint).matches()) {
            failLater(call, FailureKind.BAD_REQUEST, "invalid endpoint '"
                    + Failures.sanitize(request.endpoint(), null) + "'");
            return call;
        }
        start(call, current, endpoint, request.body(), options);
        return call;
    }

    private void start(final Exchange call, final Settings current, final String endpoint,
            final byte[] body, final CallOptions given) {
        final CallOptions options = given == null ? CallOptions.of(null) : given;
        if (!active) {
            failLater(call, FailureKind.CONNECTION, STOPPED);
            return;
        }
        if (!current.hasKey()) {
            failLater(call, FailureKind.AUTHENTICATION, "provider " + current.id()
                    + ": no API key (set " + current.keyHint() + ")");
            return;
        }
        final Duration firstByte = positive(options.firstByteTimeout(),
                current.firstByteTimeout());
        final Duration total = positive(options.totalTimeout(), current.totalTimeout());
        call.firstByteTimeout(firstByte);
        final HttpRequest request;
        try {
            request = request(current, endpoint, body, call.stream, firstByte, options);
        } catch (final IllegalArgumentException e) {
            failLater(call, FailureKind.BAD_REQUEST, "cannot build the upstream request: "
                    + e.getMessage());
            return;
        }
        inFlight.add(call);
        call.onEnd(() -> inFlight.remove(call));
        if (!active) {
            failLater(call, FailureKind.CONNECTION, STOPPED);
            return;
        }
        try {
            call.attachDeadline(timer.schedule(() -> call.fail(FailureKind.TIMEOUT, 0,
                    "total timeout of " + total.toMillis() + " ms exceeded"),
                    total.toMillis(), TimeUnit.MILLISECONDS));
        } catch (final RejectedExecutionException e) {
            failLater(call, FailureKind.CONNECTION, STOPPED);
            return;
        }
        final CompletableFuture<HttpResponse<InputStream>> response;
        try {
            response = client.sendAsync(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (final RuntimeException e) {
            failLater(call, FailureKind.CONNECTION, "cannot send: " + e.getMessage());
            return;
        }
        call.attachPending(response);
        response.whenComplete((answer, error) -> {
            if (error != null) {
                call.fail(Failures.ofThrowable(error, current, firstByte, false));
                return;
            }
            try {
                io.execute(() -> call.handle(answer));
            } catch (final RejectedExecutionException e) {
                Exchange.closeQuietly(answer.body());
                call.fail(active ? FailureKind.OVERLOADED : FailureKind.CONNECTION, 0,
                        active ? "provider " + current.id() + ": more than "
                                + MAX_CONCURRENT_READS + " answers being read" : STOPPED);
            }
        });
    }

    private static HttpRequest request(final Settings current, final String endpoint,
            final byte[] body, final boolean stream, final Duration firstByte,
            final CallOptions options) {
        final HttpRequest.Builder builder = HttpRequest
                .newBuilder(URI.create(current.baseUrl() + "/" + endpoint))
                .timeout(firstByte)
                .header("Authorization", "Bearer " + current.apiKey())
                .header("Content-Type", "application/json")
                .header("Accept", stream ? "text/event-stream" : "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        current.extraHeaders().forEach(builder::header);
        final Set<String> configured = ConcurrentHashMap.newKeySet();
        current.extraHeaders().keySet()
                .forEach(name -> configured.add(name.toLowerCase(Locale.ROOT)));
        options.forwardHeaders().forEach((name, value) -> {
            final String lower = name.toLowerCase(Locale.ROOT);
            if (!Settings.isReservedHeader(lower) && !configured.contains(lower)) {
                try {
                    builder.header(name, value);
                } catch (final IllegalArgumentException e) {
                    LOG.debug("provider {}: forwarded header {} not sent: {}", current.id(),
                            name, e.getMessage());
                }
            }
        });
        return builder.build();
    }

    private static Duration positive(final Duration given, final Duration fallback) {
        return given == null || given.isZero() || given.isNegative() ? fallback : given;
    }

    private void failLater(final Exchange call, final FailureKind kind, final String message) {
        try {
            io.execute(() -> call.fail(kind, 0, message));
        } catch (final RejectedExecutionException e) {
            call.fail(kind, 0, message);
        }
    }

    private static HttpClient newClient(final Settings current) {
        return HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(current.connectTimeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    /** Closes the client where the JDK can (Java 21+); on Java 17 it is left to the GC. */
    private static void shutdown(final HttpClient httpClient) {
        try {
            HttpClient.class.getMethod("shutdownNow").invoke(httpClient);
        } catch (final ReflectiveOperationException | RuntimeException e) {
            LOG.trace("HttpClient.shutdownNow not available", e);
        }
    }

    private static Dictionary<String, Object> serviceProperties(final Settings current) {
        final Dictionary<String, Object> properties = new Hashtable<>();
        properties.put(ModelProvider.PROVIDER_ID, current.id());
        properties.put(DIALECT_PROPERTY, DIALECT);
        return properties;
    }

    private static ThreadFactory threads(final String prefix) {
        final AtomicInteger count = new AtomicInteger();
        final ClassLoader loader = OpenAiProvider.class.getClassLoader();
        return runnable -> {
            final Thread thread = new Thread(runnable, prefix + count.incrementAndGet());
            thread.setDaemon(true);
            thread.setContextClassLoader(loader);
            return thread;
        };
    }

    private static void report(final Settings next, final Settings previous) {
        for (final String warning : next.warnings()) {
            LOG.warn("Configuration {}: {}", next.source(), warning);
        }
        if (!next.hasKey()) {
            if (previous == null || previous.hasKey() || !previous.id().equals(next.id())
                    || !previous.keyHint().equals(next.keyHint())) {
                LOG.info("provider {}: no API key (set {})", next.id(), next.keyHint());
            }
            return;
        }
        if (previous == null) {
            LOG.info("provider {}: {} model(s) at {} (from {})", next.id(),
                    next.models().size(), next.baseUrl(), next.source());
        } else {
            LOG.info("provider {}: configuration updated, {} model(s) at {} (from {})",
                    next.id(), next.models().size(), next.baseUrl(), next.source());
        }
    }

    /**
     * The settings in force (for tests).
     *
     * @return the settings
     */
    Settings settings() {
        return settings;
    }

    /**
     * Calls in flight (for tests).
     *
     * @return the number of calls not yet finished
     */
    int callsInFlight() {
        return inFlight.size();
    }

    /**
     * The I/O pool (for tests).
     *
     * @return the pool
     */
    ThreadPoolExecutor ioPool() {
        return io;
    }
}
