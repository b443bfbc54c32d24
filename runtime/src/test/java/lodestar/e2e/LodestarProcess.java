package lodestar.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

/**
 * The assembled runtime started as a separate process through {@code scripts/start-router.sh},
 * on a free port, with temporary config, deploy and data folders.
 */
final class LodestarProcess implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient CLIENT = HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(2)).build();

    final Path home = Paths.get(System.getProperty("lodestar.home", "..")).toAbsolutePath()
            .normalize();
    final Path jar = Paths.get(System.getProperty("lodestar.jar", "target/lodestar.jar"))
            .toAbsolutePath();
    final Path root;
    final Path config;
    final Path deploy;
    final Path data;
    final Path log;
    final int port;
    private Process process;
    Duration startTime;

    LodestarProcess() throws IOException {
        root = Files.createTempDirectory("lodestar-e2e");
        config = Files.createDirectories(root.resolve("config"));
        deploy = Files.createDirectories(root.resolve("deploy"));
        data = Files.createDirectories(root.resolve("data"));
        log = root.resolve("lodestar.log");
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        try (Stream<Path> shipped = Files.list(home.resolve("config"))) {
            for (final Path file : shipped.toList()) {
                Files.copy(file, config.resolve(file.getFileName()));
            }
        }
    }

    Map<String, String> environment() {
        return Map.of("LODESTAR_PORT", Integer.toString(port),
                "LODESTAR_BIND", "127.0.0.1",
                "LODESTAR_CONFIG_DIR", config.toString(),
                "LODESTAR_DEPLOY_DIR", deploy.toString(),
                "LODESTAR_DATA_DIR", data.toString(),
                "LODESTAR_JAR", jar.toString());
    }

    void start() throws Exception {
        final ProcessBuilder builder = new ProcessBuilder(
                home.resolve("scripts/start-router.sh").toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Paths.get("/dev/null").toFile()));
        builder.environment().putAll(environment());
        final long begin = System.nanoTime();
        process = builder.start();
        waitFor(() -> {
            if (!process.isAlive()) {
                throw new AssertionError("Lodestar exited with " + process.exitValue() + ":\n"
                        + log());
            }
            // 503 is an answer too: DOWN when no provider can serve (no Ollama, no keys)
            final HttpResponse<String> response = get("/health");
            return response != null && (response.statusCode() == 200
                    || response.statusCode() == 503 && response.body().contains("\"status\""));
        }, Duration.ofSeconds(60), "first answer from /health");
        startTime = Duration.ofNanos(System.nanoTime() - begin);
    }

    /** Sends SIGTERM and waits for the exit. */
    Duration stop() throws Exception {
        final long begin = System.nanoTime();
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("Lodestar did not exit within 10 s of SIGTERM");
        }
        return Duration.ofNanos(System.nanoTime() - begin);
    }

    boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** GET on the instance; {@code null} while nothing listens on the port. */
    HttpResponse<String> get(final String path) throws IOException, InterruptedException {
        try {
            return CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + path)).timeout(Duration.ofSeconds(10)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (final java.net.ConnectException e) {
            return null;
        }
    }

    JsonNode health() throws Exception {
        final HttpResponse<String> response = get("/health");
        return JSON.readTree(response.body());
    }

    /** Polls /health until the condition holds; answers how long it took. */
    Duration healthUntil(final Predicate<JsonNode> condition, final String what)
            throws Exception {
        final long begin = System.nanoTime();
        waitFor(() -> {
            final HttpResponse<String> response = get("/health");
            // the report comes with 503 while the instance is DOWN (e.g. providers switched off)
            return response != null && (response.statusCode() == 200
                    || response.statusCode() == 503)
                    && condition.test(JSON.readTree(response.body()));
        }, Duration.ofSeconds(15), what);
        return Duration.ofNanos(System.nanoTime() - begin);
    }

    /** Runs a project script with this instance's environment; answers exit code and output. */
    ScriptResult script(final String name, final String... args) throws Exception {
        final List<String> command = new ArrayList<>();
        command.add(home.resolve("scripts").resolve(name).toString());
        command.addAll(List.of(args));
        final ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(environment());
        final Process script = builder.start();
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        script.getInputStream().transferTo(out);
        if (!script.waitFor(60, TimeUnit.SECONDS)) {
            script.destroyForcibly();
            throw new AssertionError(name + " did not finish");
        }
        return new ScriptResult(script.exitValue(), out.toString(StandardCharsets.UTF_8));
    }

    /** Writes a manifest-only bundle next to deploy/ and moves it in atomically. */
    void deploy(final String fileName, final String symbolicName, final String version)
            throws IOException {
        final Manifest manifest = new Manifest();
        final Attributes main = manifest.getMainAttributes();
        main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        main.putValue("Bundle-ManifestVersion", "2");
        main.putValue("Bundle-SymbolicName", symbolicName);
        main.putValue("Bundle-Version", version);
        final Path temp = root.resolve(fileName + ".tmp");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(temp), manifest)) {
            out.flush();
        }
        Files.move(temp, deploy.resolve(fileName), StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
    }

    /** Replaces a config file atomically, as an editor saving it would. */
    void writeConfig(final String fileName, final String text) throws IOException {
        final Path temp = root.resolve(fileName + ".tmp");
        Files.writeString(temp, text);
        Files.move(temp, config.resolve(fileName), StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
    }

    String log() {
        try {
            return Files.readString(log);
        } catch (final IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    long rssKib() throws IOException {
        final Path status = Paths.get("/proc", Long.toString(process.pid()), "status");
        for (final String line : Files.readAllLines(status)) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    @Override
    public void close() throws Exception {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        try (Stream<Path> files = Files.walk(root)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    interface Check {
        boolean ok() throws Exception;
    }

    static void waitFor(final Check check, final Duration timeout, final String what)
            throws Exception {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (check.ok()) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for "
                + what);
    }

    static String bundleState(final JsonNode health, final String symbolicName) {
        for (final JsonNode bundle : health.path("bundles")) {
            if (symbolicName.equals(bundle.path("symbolicName").asText())) {
                return bundle.path("state").asText() + " " + bundle.path("version").asText();
            }
        }
        return null;
    }

    record ScriptResult(int exitCode, String output) {
    }
}
