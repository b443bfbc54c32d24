package lodestar.learning.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.util.converter.Converters;

class OpenAiBackendTest {

    @TempDir
    Path dir;
    private HttpServer server;
    private final List<String> calls = new CopyOnWriteArrayList<>();
    private final Map<String, String> bodies = new HashMap<>();
    private final AtomicInteger polls = new AtomicInteger();
    private volatile String finalStatus = "succeeded";
    private volatile int filesStatus = 200;

    @BeforeEach
    void setUp() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            final String path = exchange.getRequestURI().toString();
            final String body = new String(exchange.getRequestBody().readAllBytes(),
                    StandardCharsets.UTF_8);
            calls.add(exchange.getRequestMethod() + " " + path + " "
                    + exchange.getRequestHeaders().getFirst("Authorization"));
            bodies.put(exchange.getRequestMethod() + " " + path, body);
            int status = 200;
            String out;
            if (path.equals("/v1/files")) {
                status = filesStatus;
                out = status == 200 ? "{\"id\":\"file-" + (body.contains("validation.jsonl")
                        ? "v" : "t") + "\"}" : "{\"error\":{\"message\":\"bad key\"}}";
            } else if (path.equals("/v1/fine_tuning/jobs")) {
                out = "{\"id\":\"ftjob-1\",\"status\":\"validating_files\"}";
            } else if (path.endsWith("/events?limit=50")) {
                out = "{\"data\":[{\"type\":\"metrics\",\"data\":{\"step\":2,\"train_loss\":0.9,"
                        + "\"valid_loss\":1.1}},{\"type\":\"message\",\"message\":\"hi\"},"
                        + "{\"type\":\"metrics\",\"data\":{\"step\":1,\"train_loss\":1.5}}]}";
            } else if (path.endsWith("/cancel")) {
                out = "{\"id\":\"ftjob-1\",\"status\":\"cancelled\"}";
            } else {
                final int n = polls.incrementAndGet();
                out = n < 2 ? "{\"id\":\"ftjob-1\",\"status\":\"running\"}"
                        : "{\"id\":\"ftjob-1\",\"status\":\"" + finalStatus + "\","
                        + "\"fine_tuned_model\":\"ft:gpt-4o-mini:org:lodestar:abc\","
                        + "\"trained_tokens\":1234,\"error\":{\"message\":\"bad data\"}}";
            }
            final byte[] bytes = out.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void tearDown() {
        server.stop(0);
    }

    private OpenAiBackend backend(final AtomicLong clock) {
        final OpenAiBackendConfig config = Converters.standardConverter().convert(Map.of(
                "baseUrl", "http://127.0.0.1:" + server.getAddress().getPort() + "/",
                ".apiKey", "sk-test", "timeoutMinutes", "1")).to(OpenAiBackendConfig.class);
        return new OpenAiBackend(config, HttpClient.newHttpClient(), clock::get, 1);
    }

    private TrainingBackend.Job job() throws IOException {
        Files.writeString(dir.resolve("train.jsonl"), "{\"messages\":[]}\n");
        Files.writeString(dir.resolve("validation.jsonl"), "{\"messages\":[]}\n");
        return new TrainingBackend.Job("job-1", "ds-1", dir.resolve("train.jsonl"),
                dir.resolve("validation.jsonl"), dir, dir.resolve("out"), "gpt-4o-mini",
                Map.of("epochs", "3", "learning_rate_multiplier", "0.5", "batch_size", "x"));
    }

    @Test
    void uploadsCreatesPollsAndReportsTheModel() throws Exception {
        final CommandBackendTest.Recorder monitor = new CommandBackendTest.Recorder();
        final TrainingBackend.Result result = backend(new AtomicLong()).train(job(), monitor);
        assertThat(result.metrics()).containsEntry("fine_tuned_model",
                "ft:gpt-4o-mini:org:lodestar:abc").containsEntry("trained_tokens", 1234L)
                .containsEntry("steps", 2L).containsEntry("loss", 0.9)
                .containsEntry("eval_loss", 1.1);
        assertThat(monitor.progress).containsExactly("1/1.5/null", "2/0.9/1.1");
        assertThat(calls.get(0)).isEqualTo("POST /v1/files Bearer sk-test");
        assertThat(bodies.get("POST /v1/files")).contains("name=\"purpose\"", "fine-tune");
        assertThat(Fixtures.json(bodies.get("POST /v1/fine_tuning/jobs")).toString()).isEqualTo(
                "{\"model\":\"gpt-4o-mini\",\"training_file\":\"file-t\",\"validation_file\":"
                + "\"file-v\",\"suffix\":\"lodestar\",\"hyperparameters\":{\"n_epochs\":3,"
                + "\"batch_size\":\"x\",\"learning_rate_multiplier\":0.5}}");
        assertThat(Files.readString(dir.resolve("out/fine_tuned_model.json")))
                .contains("ft:gpt-4o-mini");
        assertThat(CommandBackend.hasAdapter(result.adapterDir())).isFalse();
        assertThat(monitor.lines).contains("status running", "status succeeded");
    }

    @Test
    void failuresCancellationAndTimeoutsAreReported() throws Exception {
        finalStatus = "failed";
        assertThatThrownBy(() -> backend(new AtomicLong()).train(job(),
                new CommandBackendTest.Recorder())).hasMessageContaining("bad data");
        polls.set(0);
        finalStatus = "cancelled";
        assertThatThrownBy(() -> backend(new AtomicLong()).train(job(),
                new CommandBackendTest.Recorder())).isInstanceOf(TrainingBackend.Cancelled.class);
        polls.set(-100);
        final CommandBackendTest.Recorder cancel = new CommandBackendTest.Recorder();
        cancel.cancel.set(true);
        assertThatThrownBy(() -> backend(new AtomicLong()).train(job(), cancel))
                .isInstanceOf(TrainingBackend.Cancelled.class);
        assertThat(calls).anyMatch(c -> c.startsWith("POST /v1/fine_tuning/jobs/ftjob-1/cancel"));
        final AtomicLong clock = new AtomicLong();
        final OpenAiBackend slow = backend(clock);
        clock.set(0);
        final CommandBackendTest.Recorder late = new CommandBackendTest.Recorder() {
            @Override
            public boolean cancelled() {
                clock.addAndGet(120_000);
                return false;
            }
        };
        assertThatThrownBy(() -> slow.train(job(), late)).isInstanceOf(TimeoutException.class);
        filesStatus = 401;
        assertThatThrownBy(() -> backend(new AtomicLong()).train(job(),
                new CommandBackendTest.Recorder())).hasMessage("OpenAI /v1/files: HTTP 401 "
                + "bad key");
    }

    @Test
    void aJobWithoutAnAdapterRegistersWithoutAnOllamaBase() throws Exception {
        final LearningStore store = Fixtures.store(dir.resolve("db"), new AtomicLong(1));
        store.insert(List.of(Fixtures.exchange("a", 1, "question", "answer", "stop")));
        final String dataset = new DatasetBuilder(store).build().id();
        final ModelRegistry registry = new ModelRegistry(store, new OllamaDeployer(
                HttpClient.newHttpClient(), java.time.Duration.ofSeconds(1)));
        final TrainingService training = new TrainingService(store, registry);
        training.addBackend(backend(new AtomicLong()), Map.of(TrainingBackend.PROPERTY,
                "openai-finetune"));
        try {
            final String id = training.start(new TrainingService.Request(dataset,
                    "openai-finetune", null, "gpt-4o-mini", null)).id();
            TrainingServiceTest.await(training, id, TrainingService.State.SUCCEEDED,
                    TrainingService.State.FAILED);
            final ModelRegistry.Version v = registry.get("coder", 1).orElseThrow();
            assertThat(v.ollamaFrom()).isNull();
            assertThat(v.metrics()).contains("ft:gpt-4o-mini");
            assertThat(registry.approve("coder", 1, "alice").deployedAs()).isNull();
        } finally {
            training.deactivate();
        }
    }
}
