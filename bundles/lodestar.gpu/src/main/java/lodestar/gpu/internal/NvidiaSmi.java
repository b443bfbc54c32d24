package lodestar.gpu.internal;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import lodestar.api.gpu.GpuSnapshot;
import lodestar.api.gpu.GpuSnapshot.GpuState;
import lodestar.api.gpu.GpuStatus;
import lodestar.gpu.internal.NvidiaSmiParser.UnexpectedOutputException;

/**
 * Takes one reading: runs nvidia-smi (on this machine or over SSH), then turns its output, exit
 * status or failure into a {@link GpuSnapshot} with a clear message. Never throws.
 */
final class NvidiaSmi {

    /** The message of the driver/library version mismatch. */
    static final String NVML_MISMATCH =
            "Failed to initialize NVML: Driver/library version mismatch";
    /** The ssh program of the system. */
    static final String SSH = "ssh";

    private static final int MAX_LINE = 200;

    private final String ssh;
    private final Clock clock;

    /** A reader with the system's {@code ssh} and clock. */
    NvidiaSmi() {
        this(SSH, Clock.systemUTC());
    }

    /**
     * A reader with another ssh program or clock (for tests).
     *
     * @param ssh the ssh program
     * @param clock the clock that dates snapshots
     */
    NvidiaSmi(final String ssh, final Clock clock) {
        this.ssh = ssh;
        this.clock = clock;
    }

    /**
     * The command line of a reading.
     *
     * @param settings the settings
     * @return the program and its arguments
     */
    List<String> commandLine(final GpuSettings settings) {
        final List<String> line = new ArrayList<>();
        if (settings.remote()) {
            line.add(ssh);
            line.add("-o");
            line.add("BatchMode=yes");
            line.add("-o");
            line.add("ConnectTimeout=" + settings.timeoutSeconds());
            line.addAll(settings.sshOptions());
            line.add(settings.sshHost());
        }
        line.add(settings.command());
        line.add(NvidiaSmiParser.QUERY_ARGUMENT);
        line.add(NvidiaSmiParser.FORMAT_ARGUMENT);
        return line;
    }

    /**
     * Takes a reading.
     *
     * @param settings the settings
     * @return the snapshot; never {@code null}
     */
    GpuSnapshot read(final GpuSettings settings) {
        if (settings.problem() != null) {
            return snapshot(settings, GpuState.ERROR, settings.problem(), List.of());
        }
        final ProcessRunner.Result result;
        try {
            result = ProcessRunner.run(commandLine(settings),
                    Duration.ofSeconds(settings.timeoutSeconds()));
        } catch (final IOException e) {
            return startFailed(settings, e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return snapshot(settings, GpuState.ERROR, "reading interrupted", List.of());
        }
        return interpret(settings, result);
    }

    /**
     * Turns the result of a run into a snapshot.
     *
     * @param settings the settings of the run
     * @param result what the run gave
     * @return the snapshot
     */
    GpuSnapshot interpret(final GpuSettings settings, final ProcessRunner.Result result) {
        final String on = settings.remote() ? " on " + settings.sshHost() : "";
        if (result.timedOut()) {
            return snapshot(settings, GpuState.ERROR, "nvidia-smi" + on + " did not answer within "
                    + settings.timeoutSeconds() + " s", List.of());
        }
        final String all = result.stdout() + "\n" + result.stderr();
        final String first = firstLine(result.stdout(), result.stderr());
        final int code = result.exitCode();
        if (all.contains(NVML_MISMATCH)) {
            return snapshot(settings, GpuState.ERROR, NVML_MISMATCH + on + ": the NVIDIA kernel "
                    + "module and the user-space driver libraries have different versions "
                    + "(usually after a driver update); reboot the machine", List.of());
        }
        if (settings.remote() && code == 255) {
            final String why = sshError(result.stderr(), result.stdout());
            return snapshot(settings, GpuState.ERROR, "ssh to " + settings.sshHost() + " failed: "
                    + (why.isEmpty() ? "exit 255 without a message" : why), List.of());
        }
        if (code == 0) {
            return parsed(settings, result.stdout());
        }
        return failed(settings, code, first, on);
    }

    private GpuSnapshot parsed(final GpuSettings settings, final String stdout) {
        final List<GpuStatus> gpus;
        try {
            gpus = NvidiaSmiParser.parse(stdout);
        } catch (final UnexpectedOutputException e) {
            return snapshot(settings, GpuState.ERROR, "unexpected nvidia-smi output: "
                    + e.getMessage(), List.of());
        }
        if (gpus.isEmpty()) {
            return snapshot(settings, GpuState.NO_GPU, "nvidia-smi listed no GPU", List.of());
        }
        final String names = gpus.stream()
                .map(gpu -> gpu.name() == null ? "unnamed" : gpu.name())
                .collect(Collectors.joining(", "));
        return snapshot(settings, GpuState.OK, gpus.size() + (gpus.size() == 1 ? " GPU: " :
                " GPUs: ") + names, gpus);
    }

    private GpuSnapshot failed(final GpuSettings settings, final int code, final String first,
            final String on) {
        final GpuState state;
        final String message;
        switch (code) {
            case 2 -> {
                state = GpuState.ERROR;
                message = "nvidia-smi" + on + " rejected its arguments (exit 2)";
            }
            case 3 -> {
                state = GpuState.ERROR;
                message = "nvidia-smi" + on + ": a queried field is not supported by this GPU or "
                        + "driver (exit 3)";
            }
            case 4 -> {
                state = GpuState.ERROR;
                message = "nvidia-smi" + on + ": no permission to read the GPU (exit 4); run "
                        + "Lodestar as a user that may open /dev/nvidia*";
            }
            case 6 -> {
                state = GpuState.NO_GPU;
                message = "No devices were found" + on + " (exit 6)";
            }
            case 9 -> {
                state = GpuState.NO_GPU;
                message = "NVIDIA driver is not loaded" + on + " (exit 9)";
            }
            case 12 -> {
                state = GpuState.NO_GPU;
                message = "NVML library not found" + on + " (exit 12): the NVIDIA driver is not "
                        + "installed completely";
            }
            case 15 -> {
                state = GpuState.ERROR;
                message = "a GPU has fallen off the bus" + on + " (exit 15): check the card's "
                        + "power and seating; a reboot is needed";
            }
            case 127 -> {
                state = GpuState.NO_GPU;
                message = notFound(settings) + on + " (no NVIDIA driver installed)";
            }
            case 255 -> {
                state = GpuState.ERROR;
                message = "nvidia-smi" + on + " failed with an internal or unknown error "
                        + "(exit 255)";
            }
            default -> {
                state = GpuState.ERROR;
                message = "nvidia-smi" + on + " failed (exit " + code + ")";
            }
        }
        final boolean repeat = first.isEmpty()
                || message.toLowerCase(Locale.ROOT).contains(first.toLowerCase(Locale.ROOT));
        return snapshot(settings, state, repeat ? message : message + ": " + first, List.of());
    }

    private GpuSnapshot startFailed(final GpuSettings settings, final IOException e) {
        if (settings.remote()) {
            return snapshot(settings, GpuState.ERROR, "ssh could not be started to read "
                    + settings.sshHost() + ": " + oneLine(e.getMessage()), List.of());
        }
        final String message = String.valueOf(e.getMessage());
        if (message.contains("error=2,") || message.contains("No such file")) {
            return snapshot(settings, GpuState.NO_GPU, notFound(settings)
                    + " (no NVIDIA driver installed)", List.of());
        }
        return snapshot(settings, GpuState.ERROR, "nvidia-smi could not be started: "
                + oneLine(message), List.of());
    }

    private static String notFound(final GpuSettings settings) {
        return GpuSettings.DEFAULT_COMMAND.equals(settings.command()) ? "nvidia-smi not found"
                : "nvidia-smi not found at '" + settings.command() + "'";
    }

    private GpuSnapshot snapshot(final GpuSettings settings, final GpuState state,
            final String message, final List<GpuStatus> gpus) {
        return new GpuSnapshot(settings.host(), clock.instant(), state, message, gpus);
    }

    /**
     * The first non-blank line of the first text that has one, trimmed and shortened.
     *
     * @param texts texts in order of preference
     * @return the line, or an empty string
     */
    static String firstLine(final String... texts) {
        for (final String text : texts) {
            if (text == null) {
                continue;
            }
            for (final String line : text.split("\\R")) {
                if (!line.isBlank()) {
                    return oneLine(line.trim());
                }
            }
        }
        return "";
    }

    /**
     * The first line of ssh's complaint, skipping its {@code Warning:} lines (such as a host key
     * just added) when a later line says more.
     *
     * @param stderr ssh's standard error
     * @param stdout the standard output
     * @return the line, or an empty string
     */
    static String sshError(final String stderr, final String stdout) {
        for (final String line : stderr.split("\\R")) {
            if (!line.isBlank() && !line.trim().startsWith("Warning:")) {
                return oneLine(line.trim());
            }
        }
        return firstLine(stderr, stdout);
    }

    private static String oneLine(final String text) {
        final String clean = String.valueOf(text).replaceAll("\\p{Cntrl}", " ").trim();
        return clean.length() <= MAX_LINE ? clean : clean.substring(0, MAX_LINE) + "...";
    }
}
