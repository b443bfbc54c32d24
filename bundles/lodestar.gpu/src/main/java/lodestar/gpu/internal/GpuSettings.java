package lodestar.gpu.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The checked configuration of the probe.
 *
 * @param enabled whether readings run
 * @param command the nvidia-smi program
 * @param intervalSeconds seconds between two readings
 * @param timeoutSeconds longest wait for one reading, also the SSH connect timeout
 * @param sshHost {@code [user@]host} to read over SSH; empty for this machine
 * @param sshOptions extra ssh arguments, placed before the host
 * @param temperatureWarnC temperature from which a GPU is a warning
 * @param memoryWarnPercent memory use from which a GPU is a warning
 * @param problem why readings cannot run with this configuration, else {@code null}
 */
record GpuSettings(
        boolean enabled,
        String command,
        int intervalSeconds,
        int timeoutSeconds,
        String sshHost,
        List<String> sshOptions,
        int temperatureWarnC,
        int memoryWarnPercent,
        String problem) {

    /** Default of {@code command}. */
    static final String DEFAULT_COMMAND = "nvidia-smi";
    /** Default of {@code intervalSeconds}. */
    static final int DEFAULT_INTERVAL_SECONDS = 15;
    /** Default of {@code timeoutSeconds}. */
    static final int DEFAULT_TIMEOUT_SECONDS = 5;
    /** Default of {@code temperatureWarnC}. */
    static final int DEFAULT_TEMPERATURE_WARN_C = 85;
    /** Default of {@code memoryWarnPercent}. */
    static final int DEFAULT_MEMORY_WARN_PERCENT = 95;
    /** The property in which FileInstall names the file of a configuration. */
    static final String FILE_PROPERTY = "felix.fileinstall.filename";
    /** The host name of readings on this machine. */
    static final String LOCALHOST = "localhost";

    /** Normalises. */
    GpuSettings {
        sshHost = sshHost == null ? "" : sshHost;
        sshOptions = sshOptions == null ? List.of() : List.copyOf(sshOptions);
    }

    /** The settings without configuration. */
    static final GpuSettings DEFAULTS = new GpuSettings(true, DEFAULT_COMMAND,
            DEFAULT_INTERVAL_SECONDS, DEFAULT_TIMEOUT_SECONDS, "", List.of(),
            DEFAULT_TEMPERATURE_WARN_C, DEFAULT_MEMORY_WARN_PERCENT, null);

    /** The configuration keys. */
    static final Set<String> KEYS = Set.of("enabled", "command", "intervalSeconds",
            "timeoutSeconds", "sshHost", "sshOptions", "temperatureWarnC", "memoryWarnPercent");

    /**
     * Checks a configuration. A number out of range or an empty {@code command} keeps the
     * value of {@code current} (the defaults at activation), with an error; an unusable
     * {@code sshHost} becomes the {@link #problem()} that every reading reports.
     *
     * @param config the typed configuration
     * @param current the settings in force, whose values replace invalid ones
     * @param errors receives one line per invalid value
     * @return the settings
     */
    static GpuSettings of(final GpuConfig config, final GpuSettings current,
            final List<String> errors) {
        String command = trim(config.command());
        if (command.isEmpty()) {
            errors.add("command is empty; keeping '" + current.command() + "'");
            command = current.command();
        }
        final int interval = range("intervalSeconds", config.intervalSeconds(), 1, 86_400,
                current.intervalSeconds(), errors);
        final int timeout = range("timeoutSeconds", config.timeoutSeconds(), 1, 3600,
                current.timeoutSeconds(), errors);
        final int temperature = range("temperatureWarnC", config.temperatureWarnC(), 1, 200,
                current.temperatureWarnC(), errors);
        final int memory = range("memoryWarnPercent", config.memoryWarnPercent(), 1, 100,
                current.memoryWarnPercent(), errors);
        final String host = trim(config.sshHost());
        String problem = null;
        if (!host.isEmpty() && (host.startsWith("-") || !host.matches("[\\x21-\\x7e]+"))) {
            problem = "invalid sshHost '" + printable(host) + "': expected [user@]host, without "
                    + "spaces, not starting with '-'";
            errors.add(problem);
        }
        final String options = trim(config.sshOptions());
        final List<String> sshOptions = options.isEmpty() ? List.of()
                : new ArrayList<>(Arrays.asList(options.split("\\s+")));
        return new GpuSettings(config.enabled(), command, interval, timeout, host, sshOptions,
                temperature, memory, problem);
    }

    /**
     * Where a configuration comes from, for messages.
     *
     * @param properties the component properties
     * @return the file FileInstall read, else {@code configuration <pid>}
     */
    static String source(final Map<String, ?> properties) {
        final Object file = properties == null ? null : properties.get(FILE_PROPERTY);
        if (file != null) {
            final String text = file.toString();
            return text.startsWith("file:") ? text.substring("file:".length()) : text;
        }
        final Object pid = properties == null ? null : properties.get("service.pid");
        return "configuration " + (pid == null ? GpuProbeComponent.PID : pid);
    }

    /**
     * Keys that are neither configuration keys nor properties set by the framework (those all
     * contain a dot: {@code service.pid}, {@code component.name},
     * {@code felix.fileinstall.filename}, ...).
     *
     * @param properties the component properties
     * @return the unknown keys, sorted
     */
    static Set<String> unknownKeys(final Map<String, ?> properties) {
        final Set<String> unknown = new TreeSet<>();
        if (properties != null) {
            for (final String key : properties.keySet()) {
                if (!KEYS.contains(key) && key.indexOf('.') < 0) {
                    unknown.add(key);
                }
            }
        }
        return unknown;
    }

    /**
     * The host that readings describe.
     *
     * @return {@code localhost} or the SSH host
     */
    String host() {
        return sshHost.isEmpty() ? LOCALHOST : sshHost;
    }

    /**
     * Whether readings go over SSH.
     *
     * @return {@code true} when {@code sshHost} is set
     */
    boolean remote() {
        return !sshHost.isEmpty();
    }

    /**
     * Whether two configurations read the same GPUs the same way, so that a reading taken with
     * one still describes the other.
     *
     * @param other the other settings
     * @return {@code true} when both read the same target
     */
    boolean sameTarget(final GpuSettings other) {
        return other != null && enabled == other.enabled && command.equals(other.command)
                && sshHost.equals(other.sshHost) && sshOptions.equals(other.sshOptions)
                && Objects.equals(problem, other.problem);
    }

    private static int range(final String key, final int value, final int min, final int max,
            final int fallback, final List<String> errors) {
        if (value < min || value > max) {
            errors.add(key + " " + value + " is outside " + min + ".." + max + "; keeping "
                    + fallback);
            return fallback;
        }
        return value;
    }

    private static String trim(final String value) {
        return value == null ? "" : value.trim();
    }

    private static String printable(final String value) {
        return value.replaceAll("\\p{Cntrl}", "?");
    }
}
