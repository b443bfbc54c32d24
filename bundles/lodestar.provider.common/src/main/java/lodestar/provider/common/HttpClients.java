package lodestar.provider.common;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.ProxyAuthenticationProtocolHandler;
import org.eclipse.jetty.client.RedirectProtocolHandler;
import org.eclipse.jetty.client.WWWAuthenticationProtocolHandler;
import org.eclipse.jetty.http.HttpCookieStore;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.ScheduledExecutorScheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Jetty HTTP client every HTTP provider uses, and the small rules around it: one client per
 * provider configuration, its own daemon threads, steps run on its threads, a quiet stop.
 */
public final class HttpClients {

    /** Most threads of the HTTP client (selector, reading answers, running listeners). */
    public static final int MAX_THREADS = 256;
    /** Most connections to the upstream; further requests queue in the client. */
    public static final int MAX_CONNECTIONS = 256;
    /** How long an unused pooled connection stays open. */
    public static final long IDLE_TIMEOUT_MS = 60_000L;
    /** Sent as {@code User-Agent} unless a forwarded header replaces it. */
    public static final String USER_AGENT = "Lodestar";

    private static final Logger LOG = LoggerFactory.getLogger(HttpClients.class);
    private static final int MIN_THREADS = 2;
    private static final int MAX_RESPONSE_HEADERS_BYTES = 32 * 1024;
    private static final int THREAD_IDLE_MS = 30_000;
    private static final long STOP_TIMEOUT_MS = 2_000L;

    private HttpClients() {
    }

    /**
     * A started HTTP/1.1 client with its own daemon threads {@code <prefix>-http-N} and timer
     * {@code <prefix>-timer}: no redirects, no cookies, no content decoding, no authentication
     * handling (a 401 is an answer like any other), TLS with host name verification.
     *
     * @param prefix thread name prefix, e.g. {@code lodestar-openai-<id>}
     * @param connectTimeout the connect timeout
     * @return the started client
     * @throws IllegalStateException when it cannot start
     */
    public static HttpClient start(final String prefix, final Duration connectTimeout) {
        final QueuedThreadPool threads = new QueuedThreadPool(MAX_THREADS, MIN_THREADS,
                THREAD_IDLE_MS);
        threads.setName(prefix + "-http");
        threads.setDaemon(true);
        threads.setStopTimeout(STOP_TIMEOUT_MS);
        final HttpClient http = new HttpClient();
        http.setExecutor(threads);
        http.setScheduler(new ScheduledExecutorScheduler(prefix + "-timer", true,
                HttpClients.class.getClassLoader()));
        http.setConnectTimeout(connectTimeout.toMillis());
        http.setIdleTimeout(IDLE_TIMEOUT_MS);
        http.setMaxConnectionsPerDestination(MAX_CONNECTIONS);
        http.setMaxResponseHeadersSize(MAX_RESPONSE_HEADERS_BYTES);
        http.setFollowRedirects(false);
        http.setUserAgentField(new HttpField(HttpHeader.USER_AGENT, USER_AGENT));
        http.setHttpCookieStore(new HttpCookieStore.Empty());
        // Jetty looks up optional services through the thread context class loader
        final Thread thread = Thread.currentThread();
        final ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(HttpClient.class.getClassLoader());
        try {
            http.start();
        } catch (final Exception e) {
            throw new IllegalStateException("cannot start the HTTP client: " + e.getMessage(), e);
        } finally {
            thread.setContextClassLoader(previous);
        }
        // the handlers and the gzip decoder are installed by start()
        http.getProtocolHandlers().remove(WWWAuthenticationProtocolHandler.NAME);
        http.getProtocolHandlers().remove(ProxyAuthenticationProtocolHandler.NAME);
        http.getProtocolHandlers().remove(RedirectProtocolHandler.NAME);
        http.getContentDecoderFactories().clear();
        return http;
    }

    /**
     * Stops a client; a failure is logged, not thrown.
     *
     * @param client the client
     * @param providerId the provider, for the log
     */
    public static void stop(final HttpClient client, final String providerId) {
        try {
            client.stop();
        } catch (final Exception e) {
            LOG.debug("provider {}: HTTP client did not stop cleanly", providerId, e);
        }
    }

    /**
     * Runs a step on a client thread: never inside a provider's {@code chat()} /
     * {@code forward()}, and never on the timer thread, which Jetty needs for its own timeouts.
     * Runs it on the calling thread when the client is stopped.
     *
     * @param client the client
     * @param step the step
     */
    public static void later(final HttpClient client, final Runnable step) {
        try {
            client.getExecutor().execute(step);
        } catch (final RejectedExecutionException e) {
            step.run();
        }
    }

    /**
     * A duration, or a fallback when it is missing, zero or negative.
     *
     * @param given the configured duration, or {@code null}
     * @param fallback used otherwise
     * @return the duration in force
     */
    public static Duration positive(final Duration given, final Duration fallback) {
        return given == null || given.isZero() || given.isNegative() ? fallback : given;
    }

    /**
     * Whether a header is among configured headers, ignoring case.
     *
     * @param configured the configured headers
     * @param name the header name
     * @return {@code true} when configured
     */
    public static boolean isConfigured(final Map<String, String> configured, final String name) {
        for (final String key : configured.keySet()) {
            if (key.equalsIgnoreCase(name)) {
                return true;
            }
        }
        return false;
    }
}
