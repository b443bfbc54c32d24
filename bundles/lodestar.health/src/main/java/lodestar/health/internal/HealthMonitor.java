package lodestar.health.internal;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import lodestar.api.event.RequestEvent;
import lodestar.api.event.RequestListener;
import lodestar.api.health.Alert;
import lodestar.api.health.AlertSink;
import lodestar.api.health.Availability;
import lodestar.api.health.HealthContributor;
import lodestar.api.health.HealthResult;
import lodestar.api.health.Severity;
import org.osgi.framework.BundleContext;
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
 * The health monitor: runs every {@link HealthContributor} and its own machine and traffic
 * checks on a schedule, each contributor with a time limit; turns the results into alerts for
 * the log and every {@link AlertSink}; tells routing which providers are down.
 */
@Component(service = {HealthMonitor.class, Availability.class, RequestListener.class},
        configurationPid = "lodestar.health", configurationPolicy = ConfigurationPolicy.OPTIONAL,
        immediate = true)
@Designate(ocd = HealthConfig.class)
public final class HealthMonitor implements Availability, RequestListener {

    private static final Logger LOG = LoggerFactory.getLogger(HealthMonitor.class);
    /** Alerts go to their own logger, so operators can route them (file, syslog). */
    private static final Logger ALERTS = LoggerFactory.getLogger("lodestar.alerts");

    private final List<HealthContributor> contributors = new CopyOnWriteArrayList<>();
    private final List<AlertSink> sinks = new CopyOnWriteArrayList<>();
    private final Map<HealthContributor, Future<List<HealthResult>>> running =
            new ConcurrentHashMap<>();
    private final AlertEngine engine = new AlertEngine();
    private final Deque<Alert> history = new ArrayDeque<>();
    private final Map<Severity, AtomicLong> alertCounts = new EnumMap<>(Severity.class);
    private final AtomicLong sinkFailures = new AtomicLong();
    private final AtomicLong rounds = new AtomicLong();
    private final ScheduledExecutorService scheduler;
    private final ThreadPoolExecutor checks;
    private final TrafficStats traffic;
    private final Path dataDir;
    private volatile HealthConfig config;
    private final boolean scheduled;
    private volatile ScheduledFuture<?> schedule;
    private volatile Map<String, HealthResult> latest = Map.of();
    private volatile Map<String, Severity> inForce = Map.of();
    private volatile Instant lastRound;

    /**
     * Activates: schedules the first round at once (on the monitor's thread).
     *
     * @param config the configuration
     * @param context the bundle context, for the data folder
     */
    @Activate
    public HealthMonitor(final HealthConfig config, final BundleContext context) {
        this(config, context, true);
    }

    /**
     * Creates the monitor; without {@code scheduled} rounds run only when {@link #round()} is
     * called (tests drive it).
     */
    HealthMonitor(final HealthConfig config, final BundleContext context,
            final boolean scheduled) {
        this.scheduled = scheduled;
        this.config = config;
        final String data = context.getProperty("lodestar.data.dir");
        this.dataDir = Path.of(data == null || data.isBlank() ? "data" : data);
        for (final Severity severity : Severity.values()) {
            alertCounts.put(severity, new AtomicLong());
        }
        this.traffic = new TrafficStats(Duration.ofSeconds(Math.max(10,
                config.windowSeconds())));
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> thread(r,
                "lodestar-health"));
        final AtomicInteger count = new AtomicInteger();
        this.checks = new ThreadPoolExecutor(0, 32, 30, TimeUnit.SECONDS,
                new SynchronousQueue<>(), r -> thread(r, "lodestar-health-check-"
                        + count.incrementAndGet()));
        reschedule(config);
    }

    private static Thread thread(final Runnable runnable, final String name) {
        final Thread thread = new Thread(runnable, name);
        thread.setDaemon(true);
        return thread;
    }

    /**
     * Takes a new configuration live.
     *
     * @param next the configuration
     */
    @Modified
    void modified(final HealthConfig next) {
        final boolean intervalChanged = next.intervalSeconds() != config.intervalSeconds();
        this.config = next;
        traffic.window(Duration.ofSeconds(Math.max(10, next.windowSeconds())));
        if (intervalChanged) {
            reschedule(next);
        }
        LOG.info("Health monitor configuration updated (every {} s)", next.intervalSeconds());
    }

    private synchronized void reschedule(final HealthConfig current) {
        if (!scheduled) {
            return;
        }
        final ScheduledFuture<?> previous = schedule;
        if (previous != null) {
            previous.cancel(false);
        }
        schedule = scheduler.scheduleWithFixedDelay(this::safeRound, 0,
                Math.max(1, current.intervalSeconds()), TimeUnit.SECONDS);
    }

    /** Stops the schedule and abandons checks still running. */
    @Deactivate
    void deactivate() {
        scheduler.shutdownNow();
        checks.shutdownNow();
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addContributor(final HealthContributor contributor) {
        contributors.add(contributor);
    }

    void removeContributor(final HealthContributor contributor) {
        contributors.remove(contributor);
        running.remove(contributor);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addSink(final AlertSink sink) {
        sinks.add(sink);
    }

    void removeSink(final AlertSink sink) {
        sinks.remove(sink);
    }

    @Override
    public void onRequest(final RequestEvent event) {
        traffic.record(event);
    }

    @Override
    public Optional<String> unavailable(final String providerId, final String modelId) {
        if (!config.skipDownProviders()) {
            return Optional.empty();
        }
        final Map<String, HealthResult> now = latest;
        final HealthResult provider = now.get("provider." + providerId);
        if (isDown(provider)) {
            return Optional.of("health: " + provider.message());
        }
        final HealthResult model = now.get("provider." + providerId + ".model." + modelId);
        if (isDown(model)) {
            return Optional.of("health: " + model.message());
        }
        return Optional.empty();
    }

    /**
     * Whether a provider's own check says its target cannot serve: detail {@code down=true}.
     *
     * @param result the result, or {@code null}
     * @return {@code true} when down
     */
    static boolean isDown(final HealthResult result) {
        return result != null && Boolean.TRUE.equals(result.details().get("down"));
    }

    private void safeRound() {
        try {
            round();
        } catch (final RuntimeException e) {
            LOG.warn("Health round failed: {}", e.toString(), e);
        }
    }

    /** Runs every check once, updates the alerts and delivers them; one round at a time. */
    synchronized void round() {
        final HealthConfig current = config;
        final Instant now = Instant.now();
        final List<HealthResult> results = new ArrayList<>(contributorResults(current, now));
        results.addAll(SystemChecks.run(dataDir, current, now));
        results.addAll(trafficResults(current, now));
        final Map<String, HealthResult> byName = new TreeMap<>();
        results.forEach(r -> byName.put(r.name(), r));
        if (!byName.containsKey("router")) {
            byName.put("router", new HealthResult("router", Severity.CRITICAL, "router not "
                    + "running (its bundle is stopped or missing): nothing is served",
                    Map.of(), now));
        }
        latest = Map.copyOf(byName);
        lastRound = now;
        rounds.incrementAndGet();
        final List<Alert> alerts = engine.update(byName.values(), now,
                Duration.ofMinutes(Math.max(0, current.repeatMinutes())),
                current.confirmRounds());
        inForce = Map.copyOf(engine.inForce());
        alerts.forEach(this::deliver);
    }

    private List<HealthResult> contributorResults(final HealthConfig current, final Instant now) {
        final Map<HealthContributor, Future<List<HealthResult>>> started = new LinkedHashMap<>();
        final List<HealthResult> results = new ArrayList<>();
        for (final HealthContributor contributor : contributors) {
            if (contributor instanceof MonitorChecks) {
                continue;
            }
            final Future<List<HealthResult>> previous = running.get(contributor);
            if (previous != null && !previous.isDone()) {
                results.add(new HealthResult(safeName(contributor), Severity.WARNING,
                        "check " + safeName(contributor) + " is still running from an earlier "
                                + "round (hung?)", Map.of(), now));
                continue;
            }
            try {
                final Future<List<HealthResult>> future = checks.submit(contributor::check);
                running.put(contributor, future);
                started.put(contributor, future);
            } catch (final RejectedExecutionException e) {
                results.add(new HealthResult(safeName(contributor), Severity.WARNING,
                        "too many checks running; " + safeName(contributor) + " skipped",
                        Map.of(), now));
            }
        }
        final long deadline = System.nanoTime()
                + TimeUnit.MILLISECONDS.toNanos(Math.max(100, current.checkTimeoutMs()));
        for (final Map.Entry<HealthContributor, Future<List<HealthResult>>> entry
                : started.entrySet()) {
            final String name = safeName(entry.getKey());
            try {
                final List<HealthResult> answer = entry.getValue().get(
                        Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (answer != null) {
                    results.addAll(answer);
                }
            } catch (final TimeoutException e) {
                results.add(new HealthResult(name, Severity.WARNING, "check " + name
                        + " did not answer within " + current.checkTimeoutMs() + " ms",
                        Map.of(), now));
            } catch (final ExecutionException e) {
                results.add(new HealthResult(name, Severity.WARNING, "check " + name
                        + " failed: " + e.getCause(), Map.of(), now));
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                return results;
            }
        }
        return results;
    }

    private static String safeName(final HealthContributor contributor) {
        try {
            return contributor.name();
        } catch (final RuntimeException e) {
            return contributor.getClass().getName();
        }
    }

    private List<HealthResult> trafficResults(final HealthConfig current, final Instant now) {
        final List<HealthResult> results = new ArrayList<>();
        traffic.byProvider(now).forEach((provider, window) -> results.add(judge(
                "traffic.provider." + provider, "provider " + provider, window, current, now)));
        traffic.byModel(now).forEach((model, window) -> results.add(judge(
                "traffic.model." + model, "model " + model, window, current, now)));
        return results;
    }

    static HealthResult judge(final String name, final String what,
            final TrafficStats.Window window, final HealthConfig config, final Instant now) {
        final Map<String, Object> details = new LinkedHashMap<>();
        details.put("requests", window.requests());
        details.put("errors", window.errors());
        details.put("errorRate", Math.round(window.errorRate() * 1000) / 1000.0);
        final double p95 = window.p95Seconds();
        details.put("p95Seconds", Double.isInfinite(p95) ? "+Inf" : p95);
        final String figures = String.format(Locale.ROOT, "%d request(s), %.0f%% errors, p95 "
                + "<= %s s in the last %d s", window.requests(), window.errorRate() * 100,
                Double.isInfinite(p95) ? "+Inf" : Double.toString(p95), config.windowSeconds());
        if (window.requests() < Math.max(1, config.minRequests())) {
            return new HealthResult(name, Severity.OK, what + ": " + figures
                    + " (too few to judge)", details, now);
        }
        if (window.errorRate() >= config.errorRateCritical()) {
            return new HealthResult(name, Severity.CRITICAL, what + " failing: " + figures,
                    details, now);
        }
        if (window.errorRate() >= config.errorRateWarn()) {
            return new HealthResult(name, Severity.WARNING, what + " error rate high: "
                    + figures, details, now);
        }
        if (p95 * 1000 >= config.latencyP95WarnMs()) {
            return new HealthResult(name, Severity.WARNING, what + " slow: " + figures,
                    details, now);
        }
        return new HealthResult(name, Severity.OK, what + ": " + figures, details, now);
    }

    private void deliver(final Alert alert) {
        synchronized (history) {
            history.addFirst(alert);
            while (history.size() > Math.max(1, config.historySize())) {
                history.removeLast();
            }
        }
        alertCounts.get(alert.severity()).incrementAndGet();
        final String line = "[" + alert.severity() + "] " + alert.key() + ": " + alert.message();
        switch (alert.severity()) {
            case CRITICAL -> ALERTS.error(line);
            case WARNING -> ALERTS.warn(line);
            default -> ALERTS.info(line);
        }
        for (final AlertSink sink : sinks) {
            try {
                sink.deliver(alert);
            } catch (final RuntimeException e) {
                if (sinkFailures.incrementAndGet() % 100 == 1) {
                    LOG.warn("Alert sink {} failed ({} failures so far): {}",
                            sink.getClass().getName(), sinkFailures.get(), e.toString());
                }
            }
        }
    }

    /** @return the latest result of every check, by name */
    Map<String, HealthResult> latest() {
        return latest;
    }

    /** @return the alerts in force, by check name */
    Map<String, Severity> inForce() {
        return inForce;
    }

    /** @return when the latest round ran, or {@code null} before the first */
    Instant lastRound() {
        return lastRound;
    }

    long rounds() {
        return rounds.get();
    }

    /**
     * The most recent alerts, newest first.
     *
     * @param limit the most to return
     * @return the alerts
     */
    List<Alert> recentAlerts(final int limit) {
        synchronized (history) {
            return history.stream().limit(Math.max(0, limit)).toList();
        }
    }

    Map<Severity, Long> alertCounts() {
        final Map<Severity, Long> out = new EnumMap<>(Severity.class);
        alertCounts.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }

    long sinkFailures() {
        return sinkFailures.get();
    }

    TrafficStats traffic() {
        return traffic;
    }

    /**
     * The worst severity among the latest results.
     *
     * @return the worst, OK before the first round
     */
    Severity worst() {
        Severity worst = Severity.OK;
        for (final HealthResult result : latest.values()) {
            worst = worst.worst(result.severity());
        }
        return worst;
    }
}
