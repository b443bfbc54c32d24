package lodestar.provider.common;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.time.Duration;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.Predicate;
import java.util.function.Supplier;
import lodestar.api.health.HealthContributor;
import lodestar.api.provider.CallOptions;
import lodestar.api.provider.FailureKind;
import lodestar.api.provider.ModelInfo;
import lodestar.api.provider.ModelProvider;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.util.thread.Scheduler;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every HTTP provider component does the same way, whatever its wire dialect: one Jetty
 * client, the settings in force (swapped whole on a configuration change), the
 * {@link ModelProvider} and health-probe service registrations, the calls in flight (ended with
 * {@value #STOPPED} on deactivation), and the path of a call from its checks to the sent request
 * with its first-byte and total timers.
 *
 * <p>A provider component owns one core, creates it when activated and calls {@link #stop()}
 * when deactivated; what differs per dialect (request translation, the upstream request's URL
 * and headers, the exchange parsing the answer) stays in the component.
 *
 * @param <S> the provider's settings
 */
public final class ProviderCore<S extends ProviderSettings> {

    /** Message of calls ended because the provider stopped. */
    public static final String STOPPED = "provider stopped";
    /** Service property naming the dialect. */
    public static final String DIALECT_PROPERTY = "lodestar.provider.dialect";

    private static final Logger LOG = LoggerFactory.getLogger(ProviderCore.class);
    /** Added to a request's idle timeout so that the call's total deadline fires first. */
    private static final long IDLE_MARGIN_MS = 1_000L;

    /**
     * Builds the upstream request of a call.
     *
     * @param <S> the provider's settings
     */
    @FunctionalInterface
    public interface RequestFactory<S> {

        /**
         * Creates the request (not sent).
         *
         * @param client the provider's HTTP client
         * @param settings the settings the call started with
         * @param options the call's options (never {@code null})
         * @return the request; its idle timeout is set by {@link #send}
         * @throws IllegalArgumentException when no valid request can be made (bad URL, header)
         */
        Request create(HttpClient client, S settings, CallOptions options);
    }

    private final String dialect;
    private final Redactor redactor;
    private final HttpClient client;
    private final Probe<S> probe;
    private final Set<Exchange<?>> inFlight = ConcurrentHashMap.newKeySet();
    private final Object configLock = new Object();
    private volatile S settings;
    private volatile boolean active;
    private volatile ServiceRegistration<ModelProvider> registration;
    private volatile ServiceRegistration<HealthContributor> health;

    /**
     * Starts the HTTP client and takes the first settings; registers nothing yet.
     *
     * @param dialect the wire dialect, in thread names and the service property
     * @param initial the first settings
     * @param redactor makes upstream failure messages safe
     * @param probes creates the health probe from the client and the settings in force
     */
    public ProviderCore(final String dialect, final S initial, final Redactor redactor,
            final BiFunction<HttpClient, Supplier<S>, Probe<S>> probes) {
        this.dialect = dialect;
        this.redactor = redactor;
        this.client = HttpClients.start("lodestar-" + dialect + "-" + initial.id(),
                initial.connectTimeout());
        this.settings = initial;
        this.probe = probes.apply(client, () -> settings);
        this.active = true;
        report(initial, null);
    }

    /**
     * A JSON mapper that ignores unknown properties and resolves types with the provider
     * bundle's class loader.
     *
     * @param owner a class of the provider bundle
     * @return the mapper
     */
    public static ObjectMapper mapper(final Class<?> owner) {
        final ObjectMapper mapper = new ObjectMapper();
        mapper.configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
        mapper.setTypeFactory(mapper.getTypeFactory().withClassLoader(owner.getClassLoader()));
        return mapper;
    }

    /**
     * Registers the provider service (with exactly the provider id and the dialect as service
     * properties) and the health probe, and starts probing. On failure (e.g. the bundle is
     * stopping, so DS will not deactivate) what was registered is unregistered and the client
     * stopped before the error is rethrown.
     *
     * @param context the bundle context
     * @param provider the provider component
     */
    public void register(final BundleContext context, final ModelProvider provider) {
        try {
            registration = context.registerService(ModelProvider.class, provider,
                    serviceProperties(settings));
            health = context.registerService(HealthContributor.class, probe, null);
            probe.start();
        } catch (final RuntimeException e) {
            active = false;
            unregister(registration);
            registration = null;
            unregister(health);
            health = null;
            HttpClients.stop(client, settings.id());
            throw e;
        }
    }

    /**
     * Puts new settings in force: connections opened from now on use the new connect timeout,
     * the service properties follow a new id, and calls in flight finish with the settings they
     * started with.
     *
     * @param next the new settings
     */
    public void update(final S next) {
        final S previous;
        synchronized (configLock) {
            previous = settings;
            if (!next.connectTimeout().equals(previous.connectTimeout())) {
                client.setConnectTimeout(next.connectTimeout().toMillis());
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
     * Unregisters both services, ends every call in flight with {@value #STOPPED} and stops the
     * HTTP client (its connections and threads).
     */
    public void stop() {
        active = false;
        final ServiceRegistration<ModelProvider> current = registration;
        registration = null;
        unregister(current);
        final ServiceRegistration<HealthContributor> checks = health;
        health = null;
        unregister(checks);
        probe.stop();
        for (final Exchange<?> call : List.copyOf(inFlight)) {
            call.fail(FailureKind.CONNECTION, 0, STOPPED);
        }
        HttpClients.stop(client, settings.id());
        LOG.info("provider {}: stopped", settings.id());
    }

    private static void unregister(final ServiceRegistration<?> registration) {
        if (registration != null) {
            try {
                registration.unregister();
            } catch (final IllegalStateException ignored) {
                // already unregistered with the bundle
            }
        }
    }

    /**
     * The settings in force.
     *
     * @return the settings
     */
    public S settings() {
        return settings;
    }

    /**
     * The models offered: none once stopped or without an API key.
     *
     * @return the models
     */
    public List<ModelInfo> models() {
        final S current = settings;
        return active && current.hasKey() ? current.models() : List.of();
    }

    /**
     * Whether calls can be made: running and with an API key.
     *
     * @return whether the provider is available
     */
    public boolean isAvailable() {
        return active && settings.hasKey();
    }

    /**
     * Sends a call: fails it (on a client thread, never on the caller's) when the provider is
     * stopped, has no key or the request cannot be built; otherwise tracks it, arms its total
     * and first-byte timers (the call's options before the settings' values) and sends it.
     *
     * @param call the exchange that will receive the answer
     * @param current the settings the call started with
     * @param given the call's options, may be {@code null}
     * @param factory builds the upstream request
     */
    public void send(final Exchange<?> call, final S current, final CallOptions given,
            final RequestFactory<S> factory) {
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
        final Duration firstByte = HttpClients.positive(options.firstByteTimeout(),
                current.firstByteTimeout());
        final Duration total = HttpClients.positive(options.totalTimeout(), current.totalTimeout());
        final Request request;
        try {
            request = factory.create(client, current, options)
                    .idleTimeout(total.toMillis() + IDLE_MARGIN_MS, TimeUnit.MILLISECONDS);
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
        final Scheduler scheduler = client.getScheduler();
        try {
            call.attachDeadline(scheduler.schedule(() -> later(() -> call.expire(
                    "total timeout of " + total.toMillis() + " ms exceeded")),
                    total.toMillis(), TimeUnit.MILLISECONDS));
            if (firstByte.compareTo(total) < 0) {
                call.attachFirstByteTimer(scheduler.schedule(() -> later(() -> call.fail(
                        FailureKind.TIMEOUT, 0, UpstreamFailures.firstByteTimeout(firstByte))),
                        firstByte.toMillis(), TimeUnit.MILLISECONDS));
            }
        } catch (final RejectedExecutionException e) {
            failLater(call, FailureKind.CONNECTION, STOPPED);
            return;
        }
        call.attachRequest(request);
        try {
            request.send(call);
        } catch (final RuntimeException e) {
            later(() -> call.fail(UpstreamFailures.ofThrowable(e, current, false, redactor)));
        }
    }

    /**
     * A JSON {@code POST}, its {@code Content-Type} and {@code Accept} (an event stream or JSON)
     * set; the dialect adds its key and other headers.
     *
     * @param client the provider's HTTP client
     * @param url the URL
     * @param body the JSON body
     * @param stream whether the answer is streamed
     * @return the request
     * @throws IllegalArgumentException when the URL is invalid
     */
    public static Request jsonPost(final HttpClient client, final String url, final byte[] body,
            final boolean stream) {
        return client.newRequest(URI.create(url)).method(HttpMethod.POST)
                .body(new BytesRequestContent("application/json", body))
                .headers(headers -> headers.put(HttpHeader.CONTENT_TYPE, "application/json")
                        .put(HttpHeader.ACCEPT, stream ? "text/event-stream"
                                : "application/json"));
    }

    /**
     * Adds the headers a client asked to forward, except those configured in
     * {@code extraHeaders} (the configuration wins), those the dialect refuses and invalid ones
     * (logged at debug level, made safe).
     *
     * @param headers the upstream request's headers
     * @param current the settings of the call
     * @param options the call's options
     * @param refused whether a header (lower-case name) may not be forwarded
     */
    public void forward(final HttpFields.Mutable headers, final S current,
            final CallOptions options, final Predicate<String> refused) {
        options.forwardHeaders().forEach((name, value) -> {
            if (HttpClients.isConfigured(current.extraHeaders(), name)
                    || refused.test(name.toLowerCase(Locale.ROOT))) {
                return;
            }
            if (Configs.isValidHeader(name, value)) {
                headers.put(name, value);
            } else {
                LOG.debug("provider {}: forwarded header {} not sent: invalid name or value",
                        current.id(), redactor.sanitize(name, current.apiKey()));
            }
        });
    }

    /**
     * Runs a step on a client thread ({@link HttpClients#later}).
     *
     * @param step the step
     */
    public void later(final Runnable step) {
        HttpClients.later(client, step);
    }

    /**
     * Fails a call on a client thread.
     *
     * @param call the call
     * @param kind the failure kind
     * @param message the message for the client
     */
    public void failLater(final Exchange<?> call, final FailureKind kind, final String message) {
        later(() -> call.fail(kind, 0, message));
    }

    /**
     * Calls in flight.
     *
     * @return the number of calls not yet finished
     */
    public int callsInFlight() {
        return inFlight.size();
    }

    /**
     * The HTTP client.
     *
     * @return the client
     */
    public HttpClient client() {
        return client;
    }

    private Dictionary<String, Object> serviceProperties(final S current) {
        final Dictionary<String, Object> properties = new Hashtable<>();
        properties.put(ModelProvider.PROVIDER_ID, current.id());
        properties.put(DIALECT_PROPERTY, dialect);
        return properties;
    }

    private static void report(final ProviderSettings next, final ProviderSettings previous) {
        for (final String warning : next.warnings()) {
            LOG.warn("Configuration {}: {}", next.source(), warning);
        }
        if (!next.hasKey()) {
            if (previous == null || previous.hasKey() || !previous.id().equals(next.id())
                    || !String.valueOf(previous.keyHint()).equals(String.valueOf(next.keyHint()))) {
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
}
