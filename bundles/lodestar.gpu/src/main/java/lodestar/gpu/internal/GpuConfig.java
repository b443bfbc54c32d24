package lodestar.gpu.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Configuration of the GPU probe, PID {@code lodestar.gpu} ({@code config/lodestar.gpu.cfg}).
 * Optional: without it every key has its default.
 */
@ObjectClassDefinition(name = "Lodestar GPU probe",
        description = "Reads the GPUs serving local models from nvidia-smi, on this machine or "
                + "over SSH.")
@interface GpuConfig {

    /**
     * Whether the probe reads the GPUs.
     *
     * @return {@code false} to stop reading
     */
    @AttributeDefinition(name = "Enabled",
            description = "false stops the readings; the probe then reports UNKNOWN.")
    boolean enabled() default true;

    /**
     * The nvidia-smi program.
     *
     * @return a program name looked up on the PATH, or a path
     */
    @AttributeDefinition(name = "Command",
            description = "The nvidia-smi program: a name looked up on the PATH or a path (one "
                    + "program, no arguments). Over SSH it is run by the remote shell.")
    String command() default GpuSettings.DEFAULT_COMMAND;

    /**
     * Seconds between two readings.
     *
     * @return the period
     */
    @AttributeDefinition(name = "Interval (s)", min = "1", max = "86400")
    int intervalSeconds() default GpuSettings.DEFAULT_INTERVAL_SECONDS;

    /**
     * Longest wait for one reading (and the SSH connect timeout).
     *
     * @return seconds
     */
    @AttributeDefinition(name = "Timeout (s)", min = "1", max = "3600")
    int timeoutSeconds() default GpuSettings.DEFAULT_TIMEOUT_SECONDS;

    /**
     * The host to read over SSH.
     *
     * @return {@code [user@]host}; empty reads this machine
     */
    @AttributeDefinition(name = "SSH host", required = false,
            description = "[user@]host to read over SSH (BatchMode, the user's keys); empty "
                    + "reads this machine.")
    String sshHost() default "";

    /**
     * Extra arguments for ssh.
     *
     * @return arguments separated by spaces
     */
    @AttributeDefinition(name = "SSH options", required = false,
            description = "Extra ssh arguments separated by spaces, placed before the host, "
                    + "e.g. -p 2222 -i /home/me/.ssh/gpu_ed25519")
    String sshOptions() default "";

    /**
     * Temperature from which a GPU is reported as a warning.
     *
     * @return degrees Celsius
     */
    @AttributeDefinition(name = "Temperature warning (C)", min = "1", max = "200")
    int temperatureWarnC() default GpuSettings.DEFAULT_TEMPERATURE_WARN_C;

    /**
     * Share of GPU memory in use from which a GPU is reported as a warning.
     *
     * @return percent
     */
    @AttributeDefinition(name = "Memory warning (%)", min = "1", max = "100")
    int memoryWarnPercent() default GpuSettings.DEFAULT_MEMORY_WARN_PERCENT;
}
