package lodestar.provider.common;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import lodestar.api.health.HealthContributor;
import lodestar.api.health.HealthResult;
import lodestar.api.health.Severity;
import org.eclipse.jetty.client.BufferingResponseListener;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * The provider's health check {@code provider.<id>}: every {@code probeSeconds} a
 * {@code GET <baseUrl><path><query>} with the key (listing models is free of charge), judged
 * as: answers (OK), key rejected or server/connection failure (WARNING, {@code down=true}: routing
 * skips the provider), rate limited (WARNING), no model list at that URL (INFO, probe not
 * supported). {@link #check()} answers from the last probe. Never a completion.
 *
 * <p>The provider gives the path, the headers that carry its key and what counts as a rejected
 * key.
 *
 * @param <S> the settings type of the provider
 */
public final class Probe<S extends ProviderSettings> implements HealthContributor {

    /** A rejected key: HTTP 401 or 403. */
    public static final KeyCheck UNAUTHORIZED = (status, body) -> status == 401 || status == 403;

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final int BODY_LIMIT = 1 << 20;

    private final HttpClient client;
    private final Supplier<? extends S> settings;
    private final Redactor redactor;
    private final String path;
    private final String query;
    private final BiConsumer<? super S, HttpFields.Mutable> headers;
    private final KeyCheck keyRejected;
    private volatile HealthResult last;
    private volatile Scheduler.Task next;
    private volatile boolean stopped;

    /**
     * A probe, not started.
     *
     * @param client the HTTP client of the provider
     * @param settings the settings in force, read at every probe
     * @param redactor makes failure messages safe
     * @param path the path below the base URL, shown in messages
     * @param query appended to the path when sending ({@code ?...}), or empty
     * @param headers sets the headers that carry the key ({@code Accept} is set already)
     * @param keyRejected whether an answer means that the key is rejected
     */
    public Probe(final HttpClient client, final Supplier<? extends S> settings,
            final Redactor redactor, final String path, final String query,
            final BiConsumer<? super S, HttpFields.Mutable> headers, final KeyCheck keyRejected) {
        this.client = client;
        this.settings = settings;
        this.redactor = redactor;
        this.path = path;
        this.query = query;
        this.headers = headers;
        this.keyRejected = keyRejected;
        final S current = settings.get();
        this.last = new HealthResult(name(current), Severity.INFO, current.hasKey()
                ? "not probed yet" : inert(current), Map.of("down", false), null);
    }

    /** Tells from an answer whether the key was rejected. */
    @FunctionalInterface
    public interface KeyCheck {

        /**
         * Judges an answer.
         *
         * @param status the HTTP status
         * @param body the answer body, or {@code null}
         * @return {@code true} when the key is rejected
         */
        boolean rejected(int status, String body);
    }

    private static String name(final ProviderSettings current) {
        return "provider." + current.id();
    }

    private static String inert(final ProviderSettings current) {
        return "provider " + current.id() + " is inert: no API key"
                + (current.keyHint() == null || current.keyHint().isEmpty() ? ""
                        : " (set " + current.keyHint() + ")");
    }

    @Override
    public String name() {
        return name(settings.get());
    }

    @Override
    public List<HealthResult> check() {
        final S current = settings.get();
        if (!current.hasKey()) {
            return List.of(new HealthResult(name(current), Severity.INFO, inert(current),
                    Map.of("down", false), null));
        }
        if (current.probeInterval().isZero()) {
            return List.of(new HealthResult(name(current), Severity.OK, "provider "
                    + current.id() + ": health probe off (probeSeconds=0)", Map.of("down",
                            false), null));
        }
        return List.of(last);
    }

    /** Starts probing: the first probe now, then every {@code probeSeconds}. */
    public void start() {
        schedule(Duration.ZERO);
    }

    /** Stops probing; a probe in flight is left to finish and ignored. */
    public void stop() {
        stopped = true;
        final Scheduler.Task task = next;
        if (task != null) {
            task.cancel();
        }
    }

    private void schedule(final Duration delay) {
        if (stopped) {
            return;
        }
        try {
            next = client.getScheduler().schedule(this::probe, delay.toMillis(),
                    TimeUnit.MILLISECONDS);
        } catch (final RuntimeException e) {
            // the client is stopping
            stopped = true;
        }
    }

    /** Sends one probe (when a key is set and probing is on) and schedules the next. */
    public void probe() {
        final S current = settings.get();
        final Duration interval = current.probeInterval().isZero() ? Duration.ofSeconds(60)
                : current.probeInterval();
        if (stopped) {
            return;
        }
        if (!current.hasKey() || current.probeInterval().isZero()) {
            schedule(interval);
            return;
        }
        final long started = System.nanoTime();
        try {
            client.newRequest(URI.create(current.baseUrl() + path + query))
                    .headers(h -> headers.accept(current,
                            h.put(HttpHeader.ACCEPT, "application/json")))
                    .timeout(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                    .send(new BufferingResponseListener(BODY_LIMIT) {
                        @Override
                        public void onComplete(final Result result) {
                            last = judge(current, result.getFailure() == null
                                    ? result.getResponse().getStatus() : 0,
                                    result.getFailure(), getContentAsString(),
                                    Duration.ofNanos(System.nanoTime() - started));
                            schedule(interval);
                        }
                    });
        } catch (final RuntimeException e) {
            last = judge(current, 0, e, null, Duration.ZERO);
            schedule(interval);
        }
    }

    /**
     * Judges one probe.
     *
     * @param current the settings probed with
     * @param status the HTTP status, 0 when there was no answer
     * @param failure the exception, or {@code null} when an answer came
     * @param body the answer body, or {@code null}
     * @param took how long the probe took
     * @return the health result
     */
    public HealthResult judge(final S current, final int status, final Throwable failure,
            final String body, final Duration took) {
        final String name = name(current);
        final Map<String, Object> details = new LinkedHashMap<>();
        details.put("status", status);
        details.put("millis", took.toMillis());
        final String where = current.id() + " (" + current.baseUrl() + path + ")";
        final Instant now = Instant.now();
        if (failure != null) {
            details.put("down", true);
            return new HealthResult(name, Severity.WARNING, "provider " + where
                    + " does not answer: " + redactor.sanitize(String.valueOf(
                            failure.getMessage() == null ? failure.getClass().getSimpleName()
                                    : failure.getMessage()), current.apiKey())
                    + "; skipped until it does", details, now);
        }
        if (status >= 200 && status < 300) {
            details.put("down", false);
            return new HealthResult(name, Severity.OK, "provider " + where + " answers ("
                    + took.toMillis() + " ms)", details, now);
        }
        if (keyRejected.rejected(status, body)) {
            details.put("down", true);
            return new HealthResult(name, Severity.WARNING, "provider " + where
                    + " rejects the API key (HTTP " + status + "); skipped until it is fixed",
                    details, now);
        }
        if (status == 429) {
            details.put("down", false);
            return new HealthResult(name, Severity.WARNING, "provider " + where
                    + " is rate limiting (HTTP 429)", details, now);
        }
        if (status >= 500) {
            details.put("down", true);
            return new HealthResult(name, Severity.WARNING, "provider " + where
                    + " fails (HTTP " + status + "); skipped until it answers", details, now);
        }
        details.put("down", false);
        return new HealthResult(name, Severity.INFO, "provider " + where + " does not list "
                + "models (HTTP " + status + "): probe not supported there", details, now);
    }
}
