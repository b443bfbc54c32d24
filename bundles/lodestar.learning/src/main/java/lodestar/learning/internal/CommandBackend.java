package lodestar.learning.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import java.util.stream.Stream;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The {@code command} backend: runs an external trainer (by default
 * {@code scripts/train/lora_train.py}) from a command template, without a shell. Every output
 * line goes to the job's log; lines that are JSON objects are the progress protocol:
 * <ul>
 * <li>{@code {"step": 10, "loss": 1.23, "eval_loss": 1.4}} — progress;</li>
 * <li>{@code {"event": "done", "adapter_dir": "...", "metrics": {...}}} — where the adapter is
 *   and the final figures (optional: the output folder and the last progress are used);</li>
 * <li>{@code {"event": "error", "message": "..."}} — why it failed.</li>
 * </ul>
 * The trainer must exit 0 and leave an adapter ({@code adapter_config.json},
 * {@code *.safetensors} or {@code *.gguf}). Cancel and timeout stop it (and its children), then
 * kill it after a grace period.
 */
@Component(service = TrainingBackend.class, configurationPid = "lodestar.learning.command",
        configurationPolicy = ConfigurationPolicy.OPTIONAL,
        property = TrainingBackend.PROPERTY + "=command")
@Designate(ocd = CommandBackendConfig.class)
public final class CommandBackend implements TrainingBackend {

    private final ObjectMapper mapper = new ObjectMapper();
    private final CommandBackendConfig config;
    private final LongSupplier clock;

    /**
     * Activates.
     *
     * @param config the configuration
     */
    @Activate
    public CommandBackend(final CommandBackendConfig config) {
        this(config, System::currentTimeMillis);
    }

    CommandBackend(final CommandBackendConfig config, final LongSupplier clock) {
        this.config = config;
        this.clock = clock;
    }

    /**
     * The command line of a job.
     *
     * @param job the job
     * @param params the parameters file
     * @return the arguments
     */
    List<String> command(final Job job, final Path params) {
        final Map<String, String> values = new LinkedHashMap<>();
        values.put("{train}", job.trainFile().toString());
        values.put("{validation}", job.validationFile().toString());
        values.put("{output}", job.outputDir().toString());
        values.put("{baseModel}", job.baseModel());
        values.put("{params}", params.toString());
        values.put("{job}", job.id());
        values.put("{dataset}", job.datasetId());
        values.put("{workDir}", job.workDir().toString());
        final List<String> args = new ArrayList<>();
        for (final String token : config.command().trim().split("\\s+")) {
            String arg = token;
            for (final Map.Entry<String, String> v : values.entrySet()) {
                arg = arg.replace(v.getKey(), v.getValue());
            }
            args.add(arg);
        }
        return args;
    }

    @Override
    public Result train(final Job job, final Monitor monitor) throws Exception {
        Files.createDirectories(job.workDir());
        Files.createDirectories(job.outputDir());
        final Path params = job.workDir().resolve("params.json");
        Files.writeString(params, mapper.writerWithDefaultPrettyPrinter()
                .writeValueAsString(job.params()));
        final ProcessBuilder builder = new ProcessBuilder(command(job, params))
                .redirectErrorStream(true);
        if (!config.workingDirectory().isBlank()) {
            builder.directory(Path.of(config.workingDirectory()).toFile());
        }
        builder.environment().put("PYTHONUNBUFFERED", "1");
        monitor.log("$ " + String.join(" ", builder.command()));
        final Process process = builder.start();
        final AtomicReference<JsonNode> done = new AtomicReference<>();
        final AtomicReference<String> error = new AtomicReference<>();
        final Map<String, Object> last = new LinkedHashMap<>();
        final Thread reader = new Thread(() -> read(process, monitor, done, error, last),
                "lodestar-learning-trainer-log");
        reader.setDaemon(true);
        reader.start();
        final long deadline = clock.getAsLong() + Duration.ofMinutes(
                Math.max(1, config.timeoutMinutes())).toMillis();
        while (!process.waitFor(100, TimeUnit.MILLISECONDS)) {
            if (monitor.cancelled()) {
                stop(process);
                reader.join(2_000);
                throw new Cancelled("cancelled");
            }
            if (clock.getAsLong() > deadline) {
                stop(process);
                reader.join(2_000);
                throw new TimeoutException("timed out after " + config.timeoutMinutes()
                        + " minute(s)");
            }
        }
        reader.join(5_000);
        if (process.exitValue() != 0) {
            throw new IOException("trainer exited with code " + process.exitValue()
                    + (error.get() == null ? "" : ": " + error.get()));
        }
        final JsonNode finish = done.get();
        final Path adapter = finish != null && finish.hasNonNull("adapter_dir")
                ? Path.of(finish.get("adapter_dir").asText()) : job.outputDir();
        if (!hasAdapter(adapter)) {
            throw new IOException("trainer left no adapter in " + adapter);
        }
        final Map<String, Object> metrics = new LinkedHashMap<>(last);
        if (finish != null && finish.path("metrics").isObject()) {
            finish.get("metrics").fields().forEachRemaining(e -> metrics.put(e.getKey(),
                    e.getValue().isNumber() ? e.getValue().numberValue() : e.getValue().asText()));
        }
        return new Result(adapter, metrics);
    }

    private void read(final Process process, final Monitor monitor,
            final AtomicReference<JsonNode> done, final AtomicReference<String> error,
            final Map<String, Object> last) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(
                process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                monitor.log(line);
                final String trimmed = line.trim();
                if (!trimmed.startsWith("{")) {
                    continue;
                }
                final JsonNode node;
                try {
                    node = mapper.readTree(trimmed);
                } catch (final IOException e) {
                    continue;
                }
                final String event = node.path("event").asText("");
                if ("done".equals(event)) {
                    done.set(node);
                } else if ("error".equals(event)) {
                    error.set(node.path("message").asText("error"));
                } else if (node.path("step").isNumber()) {
                    final Double loss = number(node, "loss");
                    final Double evalLoss = number(node, "eval_loss");
                    synchronized (last) {
                        last.put("steps", node.get("step").asLong());
                        if (loss != null) {
                            last.put("loss", loss);
                        }
                        if (evalLoss != null) {
                            last.put("eval_loss", evalLoss);
                        }
                    }
                    monitor.progress(node.get("step").asLong(), loss, evalLoss);
                }
            }
        } catch (final IOException e) {
            monitor.log("(log stream ended: " + e.getMessage() + ")");
        }
    }

    private static Double number(final JsonNode node, final String field) {
        return node.path(field).isNumber() ? node.get(field).asDouble() : null;
    }

    private void stop(final Process process) throws InterruptedException {
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        if (!process.waitFor(Math.max(0, config.killGraceSeconds()), TimeUnit.SECONDS)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
    }

    static boolean hasAdapter(final Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).anyMatch(n ->
                    "adapter_config.json".equals(n) || n.endsWith(".safetensors")
                    || n.endsWith(".gguf"));
        }
    }
}
