package lodestar.gpu.internal;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import lodestar.api.gpu.GpuProbe;
import lodestar.api.gpu.GpuSnapshot;
import lodestar.api.gpu.GpuSnapshot.GpuState;
import lodestar.api.health.HealthContributor;
import lodestar.api.health.HealthResult;
import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The GPU probe: reads the GPUs with nvidia-smi on one scheduled daemon thread and answers
 * {@link #latest()} and the {@code gpu} health checks from the last reading. Also the Gogo
 * command {@code lodestar:gpu}.
 *
 * <p>Configuration PID {@code lodestar.gpu}, optional: without it the defaults apply (this
 * machine's {@code nvidia-smi} every 15 s). Activation never blocks: the first reading is
 * scheduled at once and the snapshot is {@code UNKNOWN} until it is in. A configuration change
 * applies live: the reading is rescheduled at once with the new settings, and a reading still
 * running with the old settings is discarded.
 */
@Component(name = GpuProbeComponent.PID, configurationPid = GpuProbeComponent.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL,
        service = {GpuProbe.class, HealthContributor.class},
        property = {"osgi.command.scope=lodestar", "osgi.command.function=gpu"})
@Designate(ocd = GpuConfig.class)
public final class GpuProbeComponent implements GpuProbe, HealthContributor {

    /** The configuration PID, also the component name. */
    static final String PID = "lodestar.gpu";
    /** The name of the reading thread. */
    static final String THREAD_NAME = "lodestar-gpu-probe";

    private static final Logger LOG = LoggerFactory.getLogger(GpuProbeComponent.class);
    /** Time given to a running reading to end at deactivation, beyond the process timeout. */
    private static final long STOP_GRACE_MS = 3000;

    private final NvidiaSmi nvidiaSmi;
    private final Clock clock;
    private final ScheduledThreadPoolExecutor executor;
    private final AtomicReference<GpuSnapshot> latest = new AtomicReference<>();
    private final Object lock = new Object();
    /** Guarded by {@link #lock}. */
    private Setup setup;
    /** Guarded by {@link #lock}. */
    private ScheduledFuture<?> task;
    /** Guarded by {@link #lock}. */
    private boolean closed;

    /** The settings in force, and a number that changes with each configuration. */
    private record Setup(GpuSettings settings, long generation) {
    }

    /**
     * Activates with the configuration (or the defaults) and schedules the first reading.
     *
     * @param config the configuration
     * @param properties the component properties, to name the source in messages and to find
     *        unknown keys
     */
    @Activate
    public GpuProbeComponent(final GpuConfig config, final Map<String, Object> properties) {
        this(config, properties, new NvidiaSmi(), Clock.systemUTC());
    }

    /**
     * Activates with another reader or clock (for tests).
     *
     * @param config the configuration
     * @param properties the component properties
     * @param nvidiaSmi the reader
     * @param clock the clock
     */
    GpuProbeComponent(final GpuConfig config, final Map<String, Object> properties,
            final NvidiaSmi nvidiaSmi, final Clock clock) {
        this.nvidiaSmi = nvidiaSmi;
        this.clock = clock;
        executor = new ScheduledThreadPoolExecutor(1, runnable -> {
            final Thread thread = new Thread(runnable, THREAD_NAME);
            thread.setDaemon(true);
            return thread;
        });
        executor.setRemoveOnCancelPolicy(true);
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        apply(settings(config, properties, GpuSettings.DEFAULTS));
    }

    /**
     * Takes a new configuration and reschedules the readings.
     *
     * @param config the new configuration
     * @param properties the component properties
     */
    @Modified
    void modified(final GpuConfig config, final Map<String, Object> properties) {
        final GpuSettings current;
        synchronized (lock) {
            current = setup.settings();
        }
        apply(settings(config, properties, current));
    }

    /** Stops the readings; a running nvidia-smi is killed. */
    @Deactivate
    void deactivate() {
        final long timeoutMs;
        synchronized (lock) {
            closed = true;
            if (task != null) {
                task.cancel(false);
            }
            timeoutMs = setup.settings().timeoutSeconds() * 1000L;
        }
        executor.shutdownNow();
        try {
            if (!executor.awaitTermination(timeoutMs + STOP_GRACE_MS, TimeUnit.MILLISECONDS)) {
                LOG.warn("GPU probe: the reading thread did not stop");
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public GpuSnapshot latest() {
        return latest.get();
    }

    @Override
    public String name() {
        return GpuHealth.NAME;
    }

    @Override
    public List<HealthResult> check() {
        final GpuSettings settings;
        synchronized (lock) {
            settings = setup.settings();
        }
        return GpuHealth.check(latest(), settings);
    }

    /**
     * Gogo {@code lodestar:gpu}: the latest reading as a table.
     *
     * @return the table
     */
    @Descriptor("The GPUs serving local models: host, state, and per GPU temperature, "
            + "utilisation, memory, power and performance state (from the latest reading)")
    public String gpu() {
        return GpuTable.format(latest(), clock.instant());
    }

    /**
     * Gogo {@code lodestar:gpu refresh}: reads now, then prints the table.
     *
     * @param action {@code refresh}
     * @return the table, or a usage line
     */
    @Descriptor("lodestar:gpu refresh reads the GPUs now, then prints the table")
    public String gpu(@Descriptor("refresh") final String action) {
        if (!"refresh".equals(action)) {
            return "usage: lodestar:gpu [refresh]" + System.lineSeparator();
        }
        return GpuTable.format(refresh(), clock.instant());
    }

    /**
     * Reads now, on the reading thread (after a reading in progress), and waits for it.
     *
     * @return the new snapshot, or the latest one when the probe is disabled, stopped or the
     *         reading did not end in time
     */
    GpuSnapshot refresh() {
        final Setup current;
        synchronized (lock) {
            current = setup;
            if (closed || !current.settings().enabled()) {
                return latest();
            }
        }
        try {
            final Future<?> reading = executor.submit(() -> readOnce(current));
            reading.get(current.settings().timeoutSeconds() * 2000L + STOP_GRACE_MS,
                    TimeUnit.MILLISECONDS);
        } catch (final RejectedExecutionException | ExecutionException | TimeoutException e) {
            LOG.debug("GPU probe: refresh did not complete: {}", e.toString());
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return latest();
    }

    private static GpuSettings settings(final GpuConfig config,
            final Map<String, Object> properties, final GpuSettings current) {
        final String source = GpuSettings.source(properties);
        final List<String> errors = new ArrayList<>();
        final GpuSettings settings = GpuSettings.of(config, current, errors);
        errors.forEach(error -> LOG.error("Invalid configuration in {}: {}", source, error));
        for (final String key : GpuSettings.unknownKeys(properties)) {
            LOG.warn("Unknown key '{}' in {} (known keys: {})", key, source,
                    new TreeSet<>(GpuSettings.KEYS));
        }
        return settings;
    }

    private void apply(final GpuSettings next) {
        synchronized (lock) {
            if (closed) {
                return;
            }
            final Setup previous = setup;
            setup = new Setup(next, previous == null ? 1 : previous.generation() + 1);
            if (task != null) {
                task.cancel(false);
                task = null;
            }
            if (!next.enabled()) {
                latest.set(new GpuSnapshot(next.host(), clock.instant(), GpuState.UNKNOWN,
                        "GPU probe disabled (enabled=false)", List.of()));
                LOG.info("GPU probe disabled");
                return;
            }
            if (previous == null || !previous.settings().sameTarget(next)) {
                latest.set(new GpuSnapshot(next.host(), clock.instant(), GpuState.UNKNOWN,
                        "GPUs not read yet", List.of()));
            }
            final Setup current = setup;
            task = executor.scheduleWithFixedDelay(() -> readOnce(current), 0,
                    next.intervalSeconds(), TimeUnit.SECONDS);
            LOG.info("GPU probe reads {} with '{}' every {} s", next.remote()
                    ? next.sshHost() + " over SSH" : GpuSettings.LOCALHOST, next.command(),
                    next.intervalSeconds());
        }
    }

    private void readOnce(final Setup reading) {
        GpuSnapshot snapshot;
        try {
            snapshot = nvidiaSmi.read(reading.settings());
        } catch (final RuntimeException e) {
            snapshot = new GpuSnapshot(reading.settings().host(), clock.instant(),
                    GpuState.ERROR, "GPU probe failed: " + e, List.of());
        }
        final GpuSnapshot previous;
        synchronized (lock) {
            if (closed || setup.generation() != reading.generation()) {
                return;
            }
            previous = latest.getAndSet(snapshot);
        }
        logChange(previous, snapshot);
    }

    private static void logChange(final GpuSnapshot previous, final GpuSnapshot next) {
        final boolean same = previous != null && previous.state() == next.state()
                && (next.state() == GpuState.OK
                        || Objects.equals(previous.message(), next.message()));
        if (same) {
            return;
        }
        if (next.state() == GpuState.ERROR) {
            LOG.warn("GPU probe {}: {}: {}", next.host(), next.state(), next.message());
        } else {
            LOG.info("GPU probe {}: {}: {}", next.host(), next.state(), next.message());
        }
    }
}
