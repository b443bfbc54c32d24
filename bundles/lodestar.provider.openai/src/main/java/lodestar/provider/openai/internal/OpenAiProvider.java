package lodestar.provider.openai.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Objects;
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
import lodestar.provider.common.InvalidConfigException;
import lodestar.provider.common.Probe;
import lodestar.provider.common.ProviderCore;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.http.HttpHeader;
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
 * A {@link ModelProvider} for one OpenAI-compatible upstream (OpenAI, xAI, DeepSeek, Groq,
 * Mistral, Together, OpenRouter, or any base URL): one instance per factory configuration
 * {@code config/lodestar.provider.openai-<name>.cfg}.
 *
 * <p>Calls {@code POST {baseUrl}/chat/completions} (and {@code {baseUrl}/<endpoint>} for
 * forwarded requests) asynchronously with one Jetty {@link HttpClient} (HTTP/1.1, pooled
 * connections): answers are parsed and delivered on the client's thread that read them, streams
 * event by event as the bytes arrive. Without an API key the provider is inert: no models, not
 * available. The key is never logged nor published as a service property.
 *
 * <p>The component registers its {@link ModelProvider} service itself, after a successful
 * activation, with exactly the service properties {@value ModelProvider#PROVIDER_ID} (the
 * provider id, which a configuration change may change) and {@value ProviderCore#DIALECT_PROPERTY}
 * ({@value #DIALECT}): DS could only publish configuration properties, and the id has a
 * computed default.
 */
@Component(service = {}, immediate = true, configurationPid = Settings.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = OpenAiConfig.class, factory = true)
public final class OpenAiProvider implements ModelProvider {

    /** The wire dialect. */
    static final String DIALECT = "openai";

    private static final Logger LOG = LoggerFactory.getLogger(OpenAiProvider.class);
    private static final Pattern ENDPOINT = Pattern.compile("[A-Za-z0-9_-]+(/[A-Za-z0-9_.-]+)*");

    private final Function<String, String> env;
    private final Clock clock;
    private final ObjectMapper mapper;
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
    public OpenAiProvider(final BundleContext context, final OpenAiConfig config,
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
    OpenAiProvider(final OpenAiConfig config, final Map<String, Object> properties,
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
        this.mapper = ProviderCore.mapper(OpenAiProvider.class);
        this.core = new ProviderCore<>(DIALECT, initial, Failures.REDACTOR,
                OpenAiProvider::probe);
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
        final ChatExchange call = new ChatExchange(current, mapper, clock,
                request.isStreaming(), listener);
        final byte[] body;
        try {
            body = mapper.writeValueAsBytes(request);
        } catch (final JsonProcessingException e) {
            core.failLater(call, FailureKind.BAD_REQUEST, "cannot write the request as JSON: "
                    + e.getOriginalMessage());
            return call;
        }
        core.send(call, current, options, (client, settings, given) -> request(client, settings,
                "chat/completions", body, call.isStream(), given));
        return call;
    }

    @Override
    public ChatCall forward(final ForwardRequest request, final CallOptions options,
            final ForwardListener listener) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(listener, "listener");
        final Settings current = core.settings();
        final ForwardExchange call = new ForwardExchange(current, mapper, clock,
                request.stream(), listener);
        String endpoint = request.endpoint().trim();
        while (endpoint.startsWith("/")) {
            endpoint = endpoint.substring(1);
        }
        if (!ENDPOINT.matcher(endpoint).matches()) {
            core.failLater(call, FailureKind.BAD_REQUEST, "invalid endpoint '"
                    + Failures.sanitize(request.endpoint(), null) + "'");
            return call;
        }
        final String path = endpoint;
        core.send(call, current, options, (client, settings, given) -> request(client, settings,
                path, request.body(), call.isStream(), given));
        return call;
    }

    private Request request(final HttpClient client, final Settings current,
            final String endpoint, final byte[] body, final boolean stream,
            final CallOptions options) {
        return ProviderCore.jsonPost(client, current.baseUrl() + "/" + endpoint, body, stream)
                .headers(headers -> {
                    headers.put(HttpHeader.AUTHORIZATION, "Bearer " + current.apiKey());
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
     * The health probe {@code provider.<id>}: {@code GET <baseUrl>/models} with the key as a
     * bearer token (free of charge at OpenAI-compatible APIs).
     *
     * @param client the HTTP client
     * @param settings the settings in force
     * @return the probe, not started
     */
    static Probe<Settings> probe(final HttpClient client, final Supplier<Settings> settings) {
        return new Probe<>(client, settings, Failures.REDACTOR, "/models", "",
                (current, headers) -> headers.put(HttpHeader.AUTHORIZATION,
                        "Bearer " + current.apiKey()), Probe.UNAUTHORIZED);
    }
}
