package lodestar.learning.internal;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs an untrusted program (a model's code and its unit test) as a separate process: a fresh
 * temporary folder as working directory (deleted afterwards), an environment with only
 * {@code PATH}, {@code HOME}/{@code TMPDIR} (the folder) and {@code LANG}, standard input
 * closed, output and error captured together and capped, and a wall-clock limit after which the
 * process and every descendant still attached to it are killed.
 *
 * <p>Behind {@link #NO_NETWORK} it has no network. What it does <b>not</b> isolate: the program
 * runs as Lodestar's user, can read and write whatever that user can, can open network connections
 * when run without that prefix, and is not limited in memory or CPU; a descendant that detaches
 * itself (double fork, {@code setsid}) before the limit can survive the kill. Run the benchmark
 * under a dedicated user, a container or a {@code firejail}/{@code bwrap}/{@code nsjail} prefix in
 * the command template where that matters.
 */
final class Sandbox {

    /**
     * The prefix that runs a program in new user and network namespaces: it sees no network
     * interface but a loopback that is down, so it can neither reach another host nor a service
     * of this one (util-linux {@code unshare}; needs unprivileged user namespaces).
     */
    static final List<String> NO_NETWORK = List.of("unshare", "--user", "--map-root-user",
            "--net", "--");

    /**
     * The outcome of a run.
     *
     * @param exitCode the exit status, -1 when killed
     * @param timedOut whether the limit was reached
     * @param output the first characters of output and error
     * @param millis how long it ran
     */
    record Outcome(int exitCode, boolean timedOut, String output, long millis) {
        boolean passed() {
            return !timedOut && exitCode == 0;
        }
    }

    private Sandbox() {
    }

    /**
     * Whether {@link #NO_NETWORK} works on this machine: runs {@code true} under it.
     *
     * @return whether a program can be run without network
     * @throws InterruptedException when interrupted
     */
    static boolean canIsolateNetwork() throws InterruptedException {
        try {
            final List<String> command = new ArrayList<>(NO_NETWORK);
            command.add("true");
            final Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                kill(process);
                return false;
            }
            return process.exitValue() == 0;
        } catch (final IOException e) {
            return false;
        }
    }

    /**
     * Writes a program into a fresh temporary folder and runs it behind a command prefix.
     *
     * @param prefix words put before the command (e.g. {@link #NO_NETWORK}), may be empty
     * @param template the command template, split at spaces, {@code {file}} and {@code {dir}}
     *     replaced
     * @param fileName the program file's name
     * @param program the program text
     * @param timeout the wall-clock limit
     * @param maxChars the output kept
     * @return the outcome
     * @throws IOException when the folder cannot be written or the command cannot start
     * @throws InterruptedException when interrupted (the process tree is killed first)
     */
    static Outcome run(final List<String> prefix, final String template, final String fileName,
            final String program, final Duration timeout, final int maxChars)
            throws IOException, InterruptedException {
        final Path dir = Files.createTempDirectory("lodestar-bench-");
        try {
            final Path file = dir.resolve(fileName);
            Files.writeString(file, program, StandardCharsets.UTF_8);
            final List<String> command = Stream.concat(prefix.stream(), Stream.of(template
                    .trim().split("\\s+")).map(t -> t.replace("{file}", file.toString())
                    .replace("{dir}", dir.toString()))).toList();
            final ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
                    .redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(
                            nullFile()));
            final Map<String, String> env = builder.environment();
            final String path = env.getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin");
            env.clear();
            env.put("PATH", path);
            env.put("HOME", dir.toString());
            env.put("TMPDIR", dir.toString());
            env.put("LANG", "C.UTF-8");
            final long start = System.nanoTime();
            final Process process = builder.start();
            final StringBuilder output = new StringBuilder();
            final Thread reader = new Thread(() -> read(process.getInputStream(), output,
                    Math.max(0, maxChars)), "lodestar-benchmark-output");
            reader.setDaemon(true);
            reader.start();
            boolean timedOut = false;
            try {
                if (!process.waitFor(Math.max(1, timeout.toMillis()), TimeUnit.MILLISECONDS)) {
                    timedOut = true;
                    kill(process);
                }
            } catch (final InterruptedException e) {
                kill(process);
                throw e;
            } finally {
                reader.join(2_000);
                process.getInputStream().close();
            }
            final long millis = (System.nanoTime() - start) / 1_000_000;
            final String text;
            synchronized (output) {
                text = output.toString();
            }
            return new Outcome(timedOut ? -1 : process.exitValue(), timedOut, text, millis);
        } finally {
            delete(dir);
        }
    }

    private static File nullFile() {
        return new File(System.getProperty("os.name", "").startsWith("Windows")
                ? "NUL" : "/dev/null");
    }

    /** Kills the process and every descendant found now (they are listed before the parent). */
    static void kill(final Process process) throws InterruptedException {
        final List<ProcessHandle> descendants = process.descendants().toList();
        process.destroyForcibly();
        descendants.forEach(ProcessHandle::destroyForcibly);
        process.waitFor(5, TimeUnit.SECONDS);
    }

    private static void read(final InputStream in, final StringBuilder output,
            final int maxChars) {
        final byte[] buffer = new byte[8192];
        final ByteArrayOutputStream kept = new ByteArrayOutputStream();
        long dropped = 0;
        try {
            int n;
            while ((n = in.read(buffer)) != -1) {
                final int room = Math.max(0, maxChars * 4 - kept.size());
                kept.write(buffer, 0, Math.min(room, n));
                dropped += n - Math.min(room, n);
                publish(output, kept, maxChars, dropped);
            }
        } catch (final IOException e) {
            // stream closed after a kill: keep what was read
        }
        publish(output, kept, maxChars, dropped);
    }

    private static void publish(final StringBuilder output,
            final ByteArrayOutputStream kept, final int maxChars, final long dropped) {
        String text = kept.toString(StandardCharsets.UTF_8);
        final boolean cut = text.length() > maxChars || dropped > 0;
        if (text.length() > maxChars) {
            text = text.substring(0, maxChars);
        }
        synchronized (output) {
            output.setLength(0);
            output.append(text).append(cut ? "\n[output truncated]" : "");
        }
    }

    private static void delete(final Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (final IOException e) {
                    // best effort: a file held open by a survivor stays in the temp folder
                }
            });
        } catch (final IOException e) {
            // best effort
        }
    }
}
