package lodestar.provider.gemini.internal;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import lodestar.api.health.HealthContributor;
import lodestar.api.health.HealthResult;
import lodestar.api.health.Severity;
import org.eclipse.jetty.client.BufferingResponseListener;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * The provider's health check {@code provider.<id>}: every {@code probeSeconds} a
 * {@code GET <baseUrl>/models?pageSize=1} with the key in {@code x-goog-api-key} (listing models
 * is free of charge), judged as: answers (OK), key rejected (401, 403, or Google's 400
 * {@code API_KEY_INVALID}) or server/connection failure (WARNING, {@code down=true}: routing skips
 * the provider), rate limited (WARNING), no model list at that URL (INFO, probe not supported).
 * {@link #check()} answers from the last probe. Never a completion.
 */
final class Probe implements HealthContributor {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final int BODY_LIMIT = 1 << 20;
    /** What is asked for: one model is enough to know that the key works. */
    static final String PATH = "/models?pageSize=1";

    private final HttpClient client;
    private final Supplier<Settings> settings;
    private volatile HealthResult last;
    private volatile Scheduler.Task next;
    private volatile boolean stopped;

    Probe(final HttpClient client, final Supplier<Settings> settings) {
        this.client = client;
        this.settings = settings;
        final Settings current = settings.get();
        this.last = new HealthResult(name(current), Severity.INFO, current.hasKey()
                ? "not probed yet" : inert(current), Map.of("down", false), null);
    }

    private static String name(final Settings current) {
        return "provider." + current.id();
    }

    private static String inert(final Settings current) {
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
        final Settings current = settings.get();
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
    void start() {
        schedule(Duration.ZERO);
    }

    /** Stops probing; a probe in flight is left to finish and ignored. */
    void stop() {
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
    void probe() {
        final Settings current = settings.get();
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
            client.newRequest(URI.create(current.baseUrl() + PATH))
                    .headers(h -> {
                        h.put(GeminiProvider.KEY_HEADER, current.apiKey());
                        h.put(HttpHeader.ACCEPT, "application/json");
                        current.extraHeaders().forEach(h::put);
                    })
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
    static HealthResult judge(final Settings current, final int status, final Throwable failure,
            final String body, final Duration took) {
        final String name = name(current);
        final Map<String, Object> details = new LinkedHashMap<>();
        details.put("status", status);
        details.put("millis", took.toMillis());
        final String where = current.id() + " (" + current.baseUrl() + "/models)";
        final boolean keyRejected = status == 401 || status == 403 || status == 400
                && body != null && (body.contains("API_KEY_") || body.toLowerCase(Locale.ROOT)
                        .contains("api key"));
        final Instant now = Instant.now();
        if (failure != null) {
            details.put("down", true);
            return new HealthResult(name, Severity.WARNING, "provider " + where
                    + " does not answer: " + Failures.sanitize(String.valueOf(
                            failure.getMessage() == null ? failure.getClass().getSimpleName()
                                    : failure.getMessage()), current.apiKey())
                    + "; skipped until it does", details, now);
        }
        if (status >= 200 && status < 300) {
            details.put("down", false);
            return new HealthResult(name, Severity.OK, "provider " + where + " answers ("
                    + took.toMillis() + " ms)", details, now);
        }
        if (keyRejected) {
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
