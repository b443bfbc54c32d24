package lodestar.provider.gemini.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;
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
import lodestar.api.provider.ProviderFailure;
import lodestar.provider.common.InvalidConfigException;
import lodestar.provider.common.Probe;
import lodestar.provider.common.ProviderCore;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link ModelProvider} for one Google Gemini API upstream: one instance per factory
 * configuration {@code config/lodestar.provider.gemini-<name>.cfg}.
 *
 * <p>Translates each canonical request ({@link GeminiRequests}) and calls
 * {@code POST {baseUrl}/models/<model>:generateContent}, or
 * {@code :streamGenerateContent?alt=sse} for a stream, asynchronously with one Jetty
 * {@link HttpClient} (HTTP/1.1, pooled connections); answers are translated back
 * ({@link GeminiResponses}) and delivered on the client's thread that read them, streams event by
 * event as the bytes arrive. The key goes in the {@code x-goog-api-key} header only: never in the
 * URL, never logged, never a service property. Without a key the provider is inert: no models,
 * not available. Gemini has no OpenAI-shaped {@code completions} or {@code embeddings}:
 * {@link #forward} answers {@link FailureKind#NOT_FOUND} without a network call.
 *
 * <p>The component registers its {@link ModelProvider} service itself, after a successful
 * activation, with exactly the service properties {@value ModelProvider#PROVIDER_ID} (the
 * provider id, which a configuration change may change) and {@value ProviderCore#DIALECT_PROPERTY}
 * ({@value #DIALECT}): DS could only publish configuration properties, and the id has a
 * computed default.
 */
@Component(service = {}, immediate = true, configurationPid = Settings.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = GeminiConfig.class, factory = true)
public final class GeminiProvider implements ModelProvider {

    /** The wire dialect. */
    static final String DIALECT = "gemini";
    /** The header that carries the API key. */
    static final String KEY_HEADER = "x-goog-api-key";

    private static final Logger LOG = LoggerFactory.getLogger(GeminiProvider.class);
    /** A model id, or a resource name such as {@code models/x} or {@code tunedModels/x}. */
    private static final Pattern MODEL = Pattern.compile(
            "(?:(?:models|tunedModels)/)?[A-Za-z0-9][A-Za-z0-9._-]*");

    private final Function<String, String> env;
    private final Clock clock;
    private final ObjectMapper mapper;
    /** Makes tool call ids unique across calls (Gemini gives none). */
    private final AtomicLong callSeed = new AtomicLong(System.currentTimeMillis());
    private final ProviderCore<Settings> core;

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
    public GeminiProvider(final BundleContext context, final GeminiConfig config,
            final Map<String, Object> properties) {
        this(config, properties, System::getenv, Clock.systemUTC());
        core.register(context, this);
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
    GeminiProvider(final GeminiConfig config, final Map<String, Object> properties,
            final Function<String, String> env, final Clock clock) {
        this.env = env;
        this.clock = clock;
        final Settings initial;
        try {
            initial = Settings.parse(config, properties, env);
        } catch (final InvalidConfigException e) {
            LOG.error("{}; provider not started", e.getMessage());
            throw e;
        }
        this.mapper = ProviderCore.mapper(GeminiProvider.class);
        this.core = new ProviderCore<>(DIALECT, initial, Failures.REDACTOR,
                GeminiProvider::probe);
    }

    /**
     * Takes a new configuration; an invalid one is logged and the previous one stays in force.
     * Calls in flight finish with the configuration they started with.
     *
     * @param config the typed configuration
     * @param properties the component properties
     */
    @Modified
    void modified(final GeminiConfig config, final Map<String, Object> properties) {
        final Settings next;
        try {
            next = Settings.parse(config, properties, env);
        } catch (final InvalidConfigException e) {
            LOG.error("{}; keeping the previous configuration of provider {}", e.getMessage(),
                    core.settings().id());
            return;
        }
        core.update(next);
    }

    /**
     * Unregisters the service, ends every call in flight with "provider stopped" and stops the
     * HTTP client (its connections and threads).
     */
    @Deactivate
    void deactivate() {
        core.stop();
    }

    @Override
    public String id() {
        return core.settings().id();
    }

    @Override
    public String dialect() {
        return DIALECT;
    }

    @Override
    public List<ModelInfo> models() {
        return core.models();
    }

    @Override
    public boolean isAvailable() {
        return core.isAvailable();
    }

    @Override
    public ChatCall chat(final ChatRequest request, final CallOptions options,
            final ChatListener listener) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(listener, "listener");
        final Settings current = core.settings();
        final boolean stream = request.isStreaming();
        final boolean includeUsage = request.streamOptions() != null
                && Boolean.TRUE.equals(request.streamOptions().includeUsage());
        final String prefix = "call_" + Long.toHexString(callSeed.incrementAndGet()) + "_";
        final AtomicInteger calls = new AtomicInteger();
        final ChatExchange call = new ChatExchange(current, mapper, clock, stream,
                request.model(), includeUsage, () -> prefix + calls.getAndIncrement(), listener);
        final String model = request.model() == null ? "" : request.model().trim();
        if (!MODEL.matcher(model).matches()) {
            core.failLater(call, FailureKind.BAD_REQUEST, "invalid Gemini model id '"
                    + Failures.sanitize(model, current.apiKey()) + "'");
            return call;
        }
        final byte[] body;
        try {
            body = mapper.writeValueAsBytes(GeminiRequests.translate(request));
        } catch (final UnsupportedRequestException e) {
            core.failLater(call, FailureKind.BAD_REQUEST, e.getMessage());
            return call;
        } catch (final JsonProcessingException e) {
            core.failLater(call, FailureKind.BAD_REQUEST, "cannot write the request as JSON: "
                    + e.getOriginalMessage());
            return call;
        }
        final String resource = model.contains("/") ? model : "models/" + model;
        final String path = resource + (stream ? ":streamGenerateContent?alt=sse"
                : ":generateContent");
        core.send(call, current, options, (client, settings, given) -> request(client, settings,
                path, body, stream, given));
        return call;
    }

    /**
     * Gemini has no OpenAI-shaped {@code completions} or {@code embeddings} endpoint: fails with
     * {@link FailureKind#NOT_FOUND} ("an endpoint the upstream lacks", so the router may try
     * another candidate), without a network call.
     */
    @Override
    public ChatCall forward(final ForwardRequest request, final CallOptions options,
            final ForwardListener listener) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(listener, "listener");
        final Settings current = core.settings();
        final Unsupported call = new Unsupported(listener);
        final String endpoint = Failures.sanitize(request.endpoint(), current.apiKey());
        core.later(() -> call.fail(new ProviderFailure(FailureKind.NOT_FOUND, 0, "provider "
                + current.id() + ": /v1/" + (endpoint.startsWith("/") ? endpoint.substring(1)
                        : endpoint) + " is not supported by the gemini dialect", null, false)));
        return call;
    }

    /** A forwarded call that cannot be made: fails once unless cancelled first. */
    private static final class Unsupported implements ChatCall {
        private final ForwardListener listener;
        private final AtomicBoolean ended = new AtomicBoolean();

        Unsupported(final ForwardListener listener) {
            this.listener = listener;
        }

        void fail(final ProviderFailure failure) {
            if (ended.compareAndSet(false, true)) {
                listener.onError(failure);
            }
        }

        @Override
        public void cancel() {
            ended.set(true);
        }
    }

    private Request request(final HttpClient client, final Settings current, final String path,
            final byte[] body, final boolean stream, final CallOptions options) {
        return ProviderCore.jsonPost(client, current.baseUrl() + "/" + path, body, stream)
                .headers(headers -> {
                    headers.put(KEY_HEADER, current.apiKey());
                    current.extraHeaders().forEach(headers::put);
                    core.forward(headers, current, options, Settings::isReservedHeader);
                });
    }

    /**
     * The settings in force (for tests).
     *
     * @return the settings
     */
    Settings settings() {
        return core.settings();
    }

    /**
     * Calls in flight (for tests).
     *
     * @return the number of calls not yet finished
     */
    int callsInFlight() {
        return core.callsInFlight();
    }

    /**
     * The HTTP client (for tests).
     *
     * @return the client
     */
    HttpClient httpClient() {
        return core.client();
    }

    /**
     * The health probe {@code provider.<id>}: {@code GET <baseUrl>/models?pageSize=1} with the
     * key in {@code x-goog-api-key} (listing models is free of charge; one model is enough to
     * know that the key works). A rejected key is 401, 403, or Google's 400
     * {@code API_KEY_INVALID}.
     *
     * @param client the HTTP client
     * @param settings the settings in force
     * @return the probe, not started
     */
    static Probe<Settings> probe(final HttpClient client, final Supplier<Settings> settings) {
        return new Probe<>(client, settings, Failures.REDACTOR, "/models", "?pageSize=1",
                (current, headers) -> {
                    headers.put(KEY_HEADER, current.apiKey());
                    current.extraHeaders().forEach(headers::put);
                }, (status, body) -> status == 401 || status == 403 || status == 400
                        && body != null && (body.contains("API_KEY_")
                                || body.toLowerCase(Locale.ROOT).contains("api key")));
    }
}
