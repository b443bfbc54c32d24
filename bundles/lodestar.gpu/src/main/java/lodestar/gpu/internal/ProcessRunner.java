package lodestar.gpu.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a program with a time limit. Its standard output and error go to two temporary files
 * rather than pipes, so the program can never block on a full pipe, nothing is left reading a
 * pipe that a grandchild still holds open, and no extra thread is needed; the files are deleted
 * after each run. On timeout the program and its descendants are killed.
 */
final class ProcessRunner {

    /** At most this much of each stream is kept. */
    static final int MAX_OUTPUT_BYTES = 256 * 1024;
    /** How long to wait for a killed program to go away. */
    private static final long KILL_WAIT_MS = 2000;

    /**
     * What a run gave.
     *
     * @param exitCode the exit status; -1 when it timed out
     * @param stdout the standard output, at most {@link #MAX_OUTPUT_BYTES}
     * @param stderr the standard error, at most {@link #MAX_OUTPUT_BYTES}
     * @param timedOut whether it was killed for taking too long
     */
    record Result(int exitCode, String stdout, String stderr, boolean timedOut) {
    }

    private ProcessRunner() {
    }

    /**
     * Runs a program and waits for it, at most {@code timeout}.
     *
     * @param command the program and its arguments
     * @param timeout the longest wait
     * @return the result
     * @throws IOException when the program cannot be started (not found, not executable), or
     *         the temporary files cannot be written
     * @throws InterruptedException when interrupted while waiting; the program is killed
     */
    static Result run(final List<String> command, final Duration timeout)
            throws IOException, InterruptedException {
        final Path out = Files.createTempFile("lodestar-gpu-", ".out");
        Path err = null;
        try {
            err = Files.createTempFile("lodestar-gpu-", ".err");
            final Process process = new ProcessBuilder(command)
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile())
                    .start();
            process.getOutputStream().close();
            final boolean finished;
            try {
                finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (final InterruptedException e) {
                kill(process);
                throw e;
            }
            if (!finished) {
                kill(process);
                return new Result(-1, read(out), read(err), true);
            }
            return new Result(process.exitValue(), read(out), read(err), false);
        } finally {
            Files.deleteIfExists(out);
            if (err != null) {
                Files.deleteIfExists(err);
            }
        }
    }

    private static void kill(final Process process) throws InterruptedException {
        // descendants first: once the parent is gone they are no longer its descendants
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        process.waitFor(KILL_WAIT_MS, TimeUnit.MILLISECONDS);
    }

    private static String read(final Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return new String(in.readNBytes(MAX_OUTPUT_BYTES), StandardCharsets.UTF_8);
        }
    }
}
