package lodestar.runtime.internal;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The identity of this instance: its name (PID {@code lodestar.runtime}, key
 * {@code instanceName}), start time and folders.
 *
 * <p>An invalid configuration is logged with the file it came from and the problem, and the last
 * good configuration stays in force.
 */
@Component(service = RuntimeState.class, configurationPid = RuntimeState.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL, immediate = true)
@Designate(ocd = RuntimeConfig.class)
public final class RuntimeState {

    /** The configuration PID. */
    static final String PID = "lodestar.runtime";
    static final int MAX_NAME_LENGTH = 128;
    private static final Set<String> KEYS = Set.of("instanceName");
    private static final Logger LOG = LoggerFactory.getLogger(RuntimeState.class);

    private final AtomicReference<String> instanceName = new AtomicReference<>();
    private final LodestarEnvironment environment;
    private final Instant startedAt;
    private final Clock clock;
    private final String hostName;

    /**
     * Activates with the current configuration.
     *
     * @param context the bundle context, for the environment
     * @param properties the component properties
     */
    @Activate
    public RuntimeState(final BundleContext context, final Map<String, Object> properties) {
        this(LodestarEnvironment.read(context::getProperty, System.getenv()), properties,
                Clock.systemUTC(), localHostName());
    }

    RuntimeState(final LodestarEnvironment environment, final Map<String, Object> properties,
            final Clock clock, final String hostName) {
        this.environment = environment;
        this.clock = clock;
        this.startedAt = clock.instant();
        this.hostName = hostName;
        instanceName.set(hostName);
        apply(properties);
    }

    /**
     * Takes a new configuration, or keeps the current one when the new one is invalid.
     *
     * @param properties the new component properties
     */
    @Modified
    void modified(final Map<String, Object> properties) {
        apply(properties);
    }

    private void apply(final Map<String, Object> properties) {
        final String source = ConfigReport.source(properties, PID);
        warnUnknownKeys(properties, source);
        final Object raw = properties == null ? null : properties.get("instanceName");
        final String name = raw == null ? "" : raw.toString().trim();
        final String problem = validate(name);
        if (problem != null) {
            LOG.error("Invalid configuration in {}: instanceName {}; keeping instanceName '{}'",
                    source, problem, instanceName.get());
            return;
        }
        final String effective = name.isEmpty() ? hostName : name;
        final String previous = instanceName.getAndSet(effective);
        if (!effective.equals(previous)) {
            LOG.info("Instance name is now '{}' (from {})", effective, source);
        }
    }

    static String validate(final String name) {
        if (name.length() > MAX_NAME_LENGTH) {
            return "is longer than " + MAX_NAME_LENGTH + " characters";
        }
        for (int i = 0; i < name.length(); i++) {
            if (Character.isISOControl(name.charAt(i))) {
                return "contains a control character at position " + i;
            }
        }
        return null;
    }

    private static void warnUnknownKeys(final Map<String, Object> properties,
            final String source) {
        if (properties == null) {
            return;
        }
        for (final String key : ConfigReport.redact(properties).keySet()) {
            if (!KEYS.contains(key)) {
                LOG.warn("Unknown key '{}' in {} (known keys: {})", key, source, KEYS);
            }
        }
    }

    private static String localHostName() {
        final String fromEnv = System.getenv("HOSTNAME");
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (final UnknownHostException e) {
            return fromEnv == null || fromEnv.isBlank() ? "localhost" : fromEnv;
        }
    }

    /**
     * The instance name in force.
     *
     * @return the name
     */
    public String instanceName() {
        return instanceName.get();
    }

    /**
     * When this component started.
     *
     * @return the start time
     */
    public Instant startedAt() {
        return startedAt;
    }

    /**
     * How long this component has been running.
     *
     * @return the uptime
     */
    public Duration uptime() {
        return Duration.between(startedAt, clock.instant());
    }

    /**
     * The folders and HTTP address of this instance.
     *
     * @return the environment
     */
    LodestarEnvironment environment() {
        return environment;
    }
}
