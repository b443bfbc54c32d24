package lodestar.provider.anthropic.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Clock;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Matcher;
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
import lodestar.provider.common.Configs;
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
 * A {@link ModelProvider} for one Anthropic Messages upstream ({@code api.anthropic.com} or a
 * compatible gateway): one instance per factory configuration
 * {@code config/lodestar.provider.anthropic-<name>.cfg}.
 *
 * <p>{@link #chat} translates the canonical request ({@link RequestTranslator}) and calls
 * {@code POST {baseUrl}/v1/messages}; the answer is translated back ({@link ResponseTranslator},
 * {@link StreamTranslator}). {@link #forward} sends a client's Anthropic body unchanged to
 * {@code {baseUrl}/v1/messages} or {@code {baseUrl}/v1/messages/count_tokens} and relays the
 * bytes. Both go asynchronously through one Jetty {@link HttpClient} (HTTP/1.1, pooled
 * connections, ADR 0005): answers are parsed and delivered on the client's thread that read
 * them, streams event by event as the bytes arrive. Requests carry {@code x-api-key} and
 * {@code anthropic-version}. Without an API key the provider is inert: no models, not
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
@Designate(ocd = AnthropicConfig.class, factory = true)
public final class AnthropicProvider implements ModelProvider {

    /** The wire dialect. */
    static final String DIALECT = "anthropic";
    /** The path the health probe lists models at, below the base URL. */
    static final String PROBE_PATH = "/v1/models";
    /** The header carrying the key. */
    static final String API_KEY_HEADER = "x-api-key";
    /** The API version header. */
    static final String VERSION_HEADER = "anthropic-version";
    /** The beta-features header, a comma-separated list. */
    static final String BETA_HEADER = "anthropic-beta";
    /** The endpoints below {@code /v1/} that {@link #forward} accepts. */
    static final Set<String> FORWARD_ENDPOINTS = Set.of("messages", "messages/count_tokens");

    private static final Logger LOG = LoggerFactory.getLogger(AnthropicProvider.class);
    private static final Pattern ENDPOINT = Pattern.compile(
            "([A-Za-z0-9_-]+(?:/[A-Za-z0-9_.-]+)*)(\\?[A-Za-z0-9_.=&%-]*)?");
    private static final Pattern VERSION = Pattern.compile("[A-Za-z0-9._-]{1,64}");

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
    public AnthropicProvider(final BundleContext context, final AnthropicConfig config,
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
    AnthropicProvider(final AnthropicConfig config, final Map<String, Object> properties,
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
        this.mapper = ProviderCore.mapper(AnthropicProvider.class);
        this.core = new ProviderCore<>(DIALECT, initial, Failures.REDACTOR,
                AnthropicProvider::probe);
    }

    /**
     * Takes a new configuration; an invalid one is logged and the previous one stays in force.
     * Calls in flight finish with the configuration they started with.
     *
     * @param config the typed configuration
     * @param properties the component properties
     */
    @Modified
    void modified(final AnthropicConfig config, final Map<String, Object> properties) {
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
            body = mapper.writeValueAsBytes(RequestTranslator.toNative(request,
                    current.maxTokensDefault(), mapper));
        } catch (final TranslationException e) {
            core.failLater(call, FailureKind.BAD_REQUEST, "cannot translate the request for "
                    + "Anthropic: " + e.getMessage());
            return call;
        } catch (final JsonProcessingException e) {
            core.failLater(call, FailureKind.BAD_REQUEST, "cannot write the request as JSON: "
                    + e.getOriginalMessage());
            return call;
        }
        core.send(call, current, options, (client, settings, given) -> request(client, settings,
                "messages", body, call.isStream(), given, false));
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
        if (endpoint.startsWith("v1/")) {
            endpoint = endpoint.substring("v1/".length());
        }
        final Matcher parts = ENDPOINT.matcher(endpoint);
        if (!parts.matches() || parts.group(1).contains("..")) {
            core.failLater(call, FailureKind.BAD_REQUEST, "invalid endpoint '"
                    + Failures.sanitize(request.endpoint(), null) + "'");
            return call;
        }
        if (!FORWARD_ENDPOINTS.contains(parts.group(1))) {
            core.failLater(call, FailureKind.NOT_FOUND, "the Anthropic API has no endpoint /v1/"
                    + parts.group(1) + " that Lodestar forwards (messages, "
                    + "messages/count_tokens)");
            return call;
        }
        final String path = endpoint;
        core.send(call, current, options, (client, settings, given) -> request(client, settings,
                path, request.body(), call.isStream(), given, true));
        return call;
    }

    private Request request(final HttpClient client, final Settings current,
            final String endpoint, final byte[] body, final boolean stream,
            final CallOptions options, final boolean forwarded) {
        final String clientVersion = options.forwardHeaders().get(VERSION_HEADER);
        final String version = forwarded && clientVersion != null
                && VERSION.matcher(clientVersion.trim()).matches() ? clientVersion.trim()
                        : current.anthropicVersion();
        final String beta = beta(current, options.forwardHeaders().get(BETA_HEADER));
        return ProviderCore.jsonPost(client, current.baseUrl() + "/v1/" + endpoint, body, stream)
                .headers(headers -> {
                    headers.put(API_KEY_HEADER, current.apiKey());
                    headers.put(VERSION_HEADER, version);
                    current.extraHeaders().forEach((name, value) -> {
                        if (!name.equalsIgnoreCase(BETA_HEADER)) {
                            headers.put(name, value);
                        }
                    });
                    if (beta != null) {
                        headers.put(BETA_HEADER, beta);
                    }
                    core.forward(headers, current, options, name -> name.equalsIgnoreCase(
                            BETA_HEADER) || Settings.isReservedHeader(name));
                });
    }

    /** The configured and forwarded beta flags, each once, configured first; or null. */
    private static String beta(final Settings current, final String forwarded) {
        final Set<String> flags = new LinkedHashSet<>();
        current.extraHeaders().forEach((name, value) -> {
            if (name.equalsIgnoreCase(BETA_HEADER)) {
                addFlags(flags, value);
            }
        });
        if (forwarded != null && Configs.isValidHeader(BETA_HEADER, forwarded)) {
            addFlags(flags, forwarded);
        }
        return flags.isEmpty() ? null : String.join(",", flags);
    }

    private static void addFlags(final Set<String> flags, final String value) {
        for (final String flag : value.split(",")) {
            if (!flag.isBlank()) {
                flags.add(flag.trim());
            }
        }
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
     * The health probe {@code provider.<id>}: {@code GET <baseUrl>/v1/models} with
     * {@code x-api-key} and {@code anthropic-version} (Anthropic lists its models there, free of
     * charge).
     *
     * @param client the HTTP client
     * @param settings the settings in force
     * @return the probe, not started
     */
    static Probe<Settings> probe(final HttpClient client, final Supplier<Settings> settings) {
        return new Probe<>(client, settings, Failures.REDACTOR, PROBE_PATH, "",
                (current, headers) -> headers.put(API_KEY_HEADER, current.apiKey())
                        .put(VERSION_HEADER, current.anthropicVersion()), Probe.UNAUTHORIZED);
    }
}
