package lodestar.learning.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The {@code openai-finetune} backend: uploads the dataset's files ({@code POST /v1/files},
 * purpose {@code fine-tune}), creates a job ({@code POST /v1/fine_tuning/jobs}) on the base
 * model, and polls it ({@code GET /v1/fine_tuning/jobs/{id}}, metrics from its
 * {@code /events}) until it succeeds, fails or is cancelled ({@code POST .../cancel} on cancel
 * or timeout). The result is the fine-tuned model's name, written to
 * {@code fine_tuned_model.json} in the output folder; there is no adapter to deploy to Ollama.
 * Hyper-parameters {@code epochs}, {@code batch_size} and {@code learning_rate_multiplier} are
 * passed on.
 */
@Component(service = TrainingBackend.class, configurationPid = "lodestar.learning.openai",
        configurationPolicy = ConfigurationPolicy.REQUIRE,
        property = TrainingBackend.PROPERTY + "=openai-finetune")
@Designate(ocd = OpenAiBackendConfig.class)
public final class OpenAiBackend implements TrainingBackend {

    private final ObjectMapper mapper = new ObjectMapper();
    private final OpenAiBackendConfig config;
    private final HttpClient client;
    private final LongSupplier clock;
    private final long pollMillis;

    /**
     * Activates.
     *
     * @param config the configuration
     */
    @Activate
    public OpenAiBackend(final OpenAiBackendConfig config) {
        this(config, HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(20)).build(),
                System::currentTimeMillis, Math.max(1, config.pollSeconds()) * 1000L);
    }

    OpenAiBackend(final OpenAiBackendConfig config, final HttpClient client,
            final LongSupplier clock, final long pollMillis) {
        this.config = config;
        this.client = client;
        this.clock = clock;
        this.pollMillis = pollMillis;
    }

    @Override
    public Result train(final Job job, final Monitor monitor) throws Exception {
        final String train = upload(job.trainFile(), monitor);
        final String validation = Files.exists(job.validationFile())
                && Files.size(job.validationFile()) > 0 ? upload(job.validationFile(), monitor)
                : null;
        final ObjectNode create = mapper.createObjectNode();
        create.put("model", job.baseModel());
        create.put("training_file", train);
        if (validation != null) {
            create.put("validation_file", validation);
        }
        create.put("suffix", config.suffix());
        final ObjectNode hyper = create.putObject("hyperparameters");
        putNumber(hyper, "n_epochs", job.params().get("epochs"));
        putNumber(hyper, "batch_size", job.params().get("batch_size"));
        putNumber(hyper, "learning_rate_multiplier",
                job.params().get("learning_rate_multiplier"));
        JsonNode state = call("POST", "/v1/fine_tuning/jobs", mapper.writeValueAsString(create));
        final String id = state.path("id").asText();
        monitor.log("OpenAI fine-tuning job " + id + " created");
        final long deadline = clock.getAsLong() + Duration.ofMinutes(
                Math.max(1, config.timeoutMinutes())).toMillis();
        final Map<String, Object> metrics = new LinkedHashMap<>();
        String seen = "";
        while (true) {
            final String status = state.path("status").asText();
            if (!status.equals(seen)) {
                monitor.log("status " + status);
                seen = status;
            }
            events(id, monitor, metrics);
            switch (status) {
                case "succeeded" -> {
                    return finish(job, state, metrics);
                }
                case "failed" -> throw new IOException("OpenAI fine-tuning failed: "
                        + state.path("error").path("message").asText("no reason given"));
                case "cancelled" -> throw new Cancelled("cancelled at OpenAI");
                default -> {
                    // validating_files, queued, running
                }
            }
            if (monitor.cancelled() || clock.getAsLong() > deadline) {
                call("POST", "/v1/fine_tuning/jobs/" + id + "/cancel", "{}");
                if (monitor.cancelled()) {
                    throw new Cancelled("cancelled");
                }
                throw new TimeoutException("timed out after " + config.timeoutMinutes()
                        + " minute(s)");
            }
            Thread.sleep(pollMillis);
            state = call("GET", "/v1/fine_tuning/jobs/" + id, null);
        }
    }

    private Result finish(final Job job, final JsonNode state, final Map<String, Object> metrics)
            throws IOException {
        final String model = state.path("fine_tuned_model").asText();
        metrics.put("fine_tuned_model", model);
        metrics.put("openai_job", state.path("id").asText());
        if (state.path("trained_tokens").isNumber()) {
            metrics.put("trained_tokens", state.get("trained_tokens").asLong());
        }
        Files.createDirectories(job.outputDir());
        Files.writeString(job.outputDir().resolve("fine_tuned_model.json"),
                mapper.writeValueAsString(metrics));
        return new Result(job.outputDir(), metrics);
    }

    private void events(final String id, final Monitor monitor,
            final Map<String, Object> metrics) throws IOException, InterruptedException {
        final JsonNode events = call("GET", "/v1/fine_tuning/jobs/" + id + "/events?limit=50",
                null).path("data");
        for (int i = events.size() - 1; i >= 0; i--) {
            final JsonNode event = events.get(i);
            final JsonNode data = event.path("data");
            if ("metrics".equals(event.path("type").asText()) && data.path("step").isNumber()) {
                final long step = data.get("step").asLong();
                if (metrics.get("steps") instanceof Long last && last >= step) {
                    continue;
                }
                final Double loss = data.path("train_loss").isNumber()
                        ? data.get("train_loss").asDouble() : null;
                final Double evalLoss = data.path("valid_loss").isNumber()
                        ? data.get("valid_loss").asDouble() : null;
                metrics.put("steps", step);
                if (loss != null) {
                    metrics.put("loss", loss);
                }
                if (evalLoss != null) {
                    metrics.put("eval_loss", evalLoss);
                }
                monitor.progress(step, loss, evalLoss);
            }
        }
    }

    private String upload(final Path file, final Monitor monitor)
            throws IOException, InterruptedException {
        final String boundary = "lodestar-" + UUID.randomUUID();
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\n"
                + "fine-tune\r\n--" + boundary + "\r\nContent-Disposition: form-data; "
                + "name=\"file\"; filename=\"" + file.getFileName() + "\"\r\nContent-Type: "
                + "application/jsonl\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        body.write(Files.readAllBytes(file));
        body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        final HttpResponse<String> response = client.send(request("/v1/files")
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build(),
                HttpResponse.BodyHandlers.ofString());
        final JsonNode answer = check(response, "/v1/files");
        monitor.log("uploaded " + file.getFileName() + " as " + answer.path("id").asText());
        return answer.path("id").asText();
    }

    private JsonNode call(final String method, final String path, final String json)
            throws IOException, InterruptedException {
        final HttpRequest.Builder builder = request(path);
        if (json == null) {
            builder.GET();
        } else {
            builder.header("Content-Type", "application/json").method(method,
                    HttpRequest.BodyPublishers.ofString(json));
        }
        return check(client.send(builder.build(), HttpResponse.BodyHandlers.ofString()), path);
    }

    private HttpRequest.Builder request(final String path) {
        final String base = config.baseUrl().replaceAll("/+$", "");
        return HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofMinutes(5))
                .header("Authorization", "Bearer " + config._apiKey());
    }

    private JsonNode check(final HttpResponse<String> response, final String path)
            throws IOException {
        if (response.statusCode() / 100 != 2) {
            String message = response.body();
            try {
                message = mapper.readTree(response.body()).path("error").path("message")
                        .asText(message);
            } catch (final IOException e) {
                // keep the raw body
            }
            throw new IOException("OpenAI " + path + ": HTTP " + response.statusCode() + " "
                    + message);
        }
        return mapper.readTree(response.body());
    }

    private static void putNumber(final ObjectNode node, final String field, final String value) {
        if (value == null || value.isBlank()) {
            return;
        }
        try {
            if (value.contains(".")) {
                node.put(field, Double.parseDouble(value));
            } else {
                node.put(field, Long.parseLong(value));
            }
        } catch (final NumberFormatException e) {
            node.put(field, value);
        }
    }
}
