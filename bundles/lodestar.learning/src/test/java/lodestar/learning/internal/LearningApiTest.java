package lodestar.learning.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP API and the training/model Gogo commands, end to end over a stand-in trainer. */
class LearningApiTest {

    @TempDir
    Path dir;
    private final AtomicLong clock = new AtomicLong(1_700_000_000_000L);
    private OllamaStub ollama;
    private LearningStore store;
    private ModelRegistry registry;
    private TrainingService training;
    private String keys = "admin:k-admin,dev:k-dev";

    @BeforeEach
    void setUp() throws Exception {
        ollama = new OllamaStub();
        store = new LearningStore(Fixtures.config("collect", "true", "ollamaUrl", ollama.url()),
                dir, Fixtures.database(), () -> clock.addAndGet(10));
        registry = new ModelRegistry(store, new OllamaDeployer(HttpClient.newHttpClient(),
                Duration.ofSeconds(5)));
        training = new TrainingService(store, registry);
        training.addBackend((job, monitor) -> {
            monitor.log("fake");
            monitor.progress(1, 0.5, null);
            Files.createDirectories(job.outputDir());
            Files.writeString(job.outputDir().resolve("adapter_model.safetensors"), job.id());
            Files.writeString(job.outputDir().resolve("adapter_config.json"), "{}");
            return new TrainingBackend.Result(job.outputDir(), Map.of("loss", 0.5));
        }, Map.of(TrainingBackend.PROPERTY, "command"));
        final List<LearningStore.Exchange> rows = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            rows.add(Fixtures.exchange("r" + i, i, "question " + i * 13, "answer " + i * 7,
                    "stop"));
        }
        store.insert(rows);
    }

    @AfterEach
    void tearDown() {
        training.deactivate();
        ollama.close();
    }

    private FakeHttp.Response call(final String method, final String path, final String body,
            final String key) throws Exception {
        final LearningServlet servlet = new LearningServlet(store, registry, training,
                new ProxyKeys(() -> keys));
        final FakeHttp.Response response = new FakeHttp.Response();
        servlet.service(key == null ? FakeHttp.request(method, path, body)
                : FakeHttp.request(method, path, body, "Authorization", "Bearer " + key),
                response.proxy);
        return response;
    }

    private JsonNode ok(final String method, final String path, final String body)
            throws Exception {
        final FakeHttp.Response r = call(method, path, body, "k-admin");
        assertThat(r.status).as(method + " " + path + ": " + r.text()).isEqualTo(200);
        return r.json();
    }

    private JsonNode awaitJob(final String id) throws Exception {
        final long end = System.currentTimeMillis() + 10_000;
        while (System.currentTimeMillis() < end) {
            final JsonNode job = ok("GET", "/jobs/" + id, null);
            if (job.path("state").asText().matches("SUCCEEDED|FAILED|CANCELLED")) {
                return job;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("job " + id + " did not finish");
    }

    @Test
    void theWholeLoopOverHttpNeedsTheAdminKey() throws Exception {
        assertThat(call("GET", "/models", null, null).status).isEqualTo(401);
        assertThat(call("GET", "/models", null, "k-dev").status).isEqualTo(403);
        assertThat(call("GET", "/models", null, "wrong").status).isEqualTo(401);

        final JsonNode state = ok("GET", null, null);
        assertThat(state.path("storedExchanges").asLong()).isEqualTo(6);
        assertThat(state.path("collect").asBoolean()).isFalse();

        final JsonNode built = ok("POST", "/datasets", null);
        final String dataset = built.path("id").asText();
        assertThat(built.path("manifest").path("counts").path("kept").asLong()).isEqualTo(6);
        assertThat(ok("GET", "/datasets", null).get(0).path("id").asText()).isEqualTo(dataset);
        assertThat(ok("GET", "/datasets/" + dataset, null).path("id").asText())
                .isEqualTo(dataset);

        final JsonNode job = ok("POST", "/jobs", "{\"dataset\":\"" + dataset
                + "\",\"params\":{\"epochs\":2}}");
        final JsonNode done = awaitJob(job.path("id").asText());
        assertThat(done.path("state").asText()).isEqualTo("SUCCEEDED");
        assertThat(done.path("params").path("epochs").asText()).isEqualTo("2");
        assertThat(ok("GET", "/jobs", null)).hasSize(1);
        final String second = ok("POST", "/jobs", "{\"dataset\":\"" + dataset + "\"}")
                .path("id").asText();
        awaitJob(second);

        final JsonNode models = ok("GET", "/models", null);
        assertThat(models).hasSize(2);
        assertThat(models.get(0).path("state").asText()).isEqualTo("candidate");
        assertThat(models.get(0).path("metrics").path("loss").asDouble()).isEqualTo(0.5);

        assertThat(call("POST", "/models/coder/1/promote", null, "k-admin").status)
                .isEqualTo(409);
        final JsonNode approved = ok("POST", "/models/coder/1/approve", "{\"by\":\"alice\"}");
        assertThat(approved.path("approvedBy").asText()).isEqualTo("http:admin (alice)");
        assertThat(approved.path("deployedAs").asText()).isEqualTo("lodestar-coder:v1");
        assertThat(ollama.calls).extracting(OllamaStub.Call::path).contains("/api/create");
        assertThat(ok("POST", "/models/coder/v1/promote", null).path("state").asText())
                .isEqualTo("live");
        ok("POST", "/models/coder/2/approve", null);
        ok("POST", "/models/coder/2/promote", null);
        final JsonNode back = ok("POST", "/models/coder/rollback", null);
        assertThat(back.path("version").asInt()).isEqualTo(1);
        assertThat(back.path("state").asText()).isEqualTo("live");
        assertThat(ok("GET", "/models/coder", null)).hasSize(2);
        assertThat(ok("GET", "/models/coder/history", null).toString()).contains("rolled back",
                "http:admin");
    }

    @Test
    void mistakesAreAnsweredPlainly() throws Exception {
        keys = null;
        assertThat(call("GET", "/nothing", null, null).status).isEqualTo(404);
        assertThat(call("POST", null, null, null).status).isEqualTo(404);
        assertThat(call("DELETE", "/models", null, null).status).isEqualTo(405);
        assertThat(call("GET", "/datasets/ds-none", null, null).status).isEqualTo(404);
        assertThat(call("GET", "/jobs/job-none", null, null).status).isEqualTo(404);
        assertThat(call("POST", "/jobs", "{}", null).status).isEqualTo(400);
        assertThat(call("POST", "/jobs", "{\"dataset\":\"ds-x\"}", null).status)
                .isEqualTo(400);
        assertThat(call("POST", "/models/coder/x/approve", null, null).status).isEqualTo(400);
        assertThat(call("POST", "/models/coder/1/approve", null, null).status).isEqualTo(409);
        assertThat(call("POST", "/models/a/b/c/d", null, null).status).isEqualTo(404);
        assertThat(call("POST", "/jobs/job-none/cancel", null, null).json().path("cancelling")
                .asBoolean()).isFalse();
        final ContentCollector collector = new ContentCollector(store.config(), store);
        final LearningServlet servlet = new LearningServlet(store, registry, training,
                new ProxyKeys(() -> null));
        servlet.setCollector(collector);
        final FakeHttp.Response r = new FakeHttp.Response();
        servlet.service(FakeHttp.request("GET", "/", null), r.proxy);
        collector.deactivate();
        assertThat(r.json().path("collect").asBoolean()).isTrue();
        assertThat(r.json().path("collector").path("received").asLong()).isZero();
        try (var connection = store.dataSource().getConnection();
                var statement = connection.createStatement()) {
            statement.execute("DROP TABLE learning_dataset");
        }
        assertThat(call("GET", "/datasets", null, null).status).isEqualTo(503);
    }

    @Test
    void gogoTrainsAndManagesModels() throws Exception {
        final TrainingCommands commands = new TrainingCommands(training, registry);
        final String dataset = new DatasetBuilder(store).build().id();
        assertThat(commands.train()).startsWith("usage");
        assertThat(commands.train("start")).startsWith("usage");
        assertThat(commands.train("start", dataset, "oops")).startsWith("not key=value");
        assertThat(commands.train("start", "ds-none")).startsWith("no dataset ds-none");
        final String queued = commands.train("start", dataset, "backend=command", "name=coder",
                "base=tiny", "epochs=2");
        assertThat(queued).startsWith("queued job-").contains("base tiny");
        final String id = queued.substring(7, queued.indexOf(' ', 7));
        final long end = System.currentTimeMillis() + 10_000;
        while (!commands.train("status", id).contains("SUCCEEDED")
                && System.currentTimeMillis() < end) {
            Thread.sleep(20);
        }
        assertThat(commands.train("status", id)).contains("SUCCEEDED", "coder v1", "0.5000");
        assertThat(commands.train("status")).contains(id, "SUCCEEDED");
        assertThat(commands.train("status", "job-none")).isEqualTo("no job job-none\n");
        assertThat(commands.train("cancel", id)).contains("not queued or running");
        assertThat(commands.train("cancel")).startsWith("usage");
        assertThat(commands.train("dance")).startsWith("usage");

        assertThat(commands.model()).contains("coder", "candidate");
        assertThat(commands.model("list", "coder")).contains("candidate");
        assertThat(commands.model("promote", "coder", "1")).startsWith("refused:");
        assertThat(commands.model("approve", "coder", "x")).startsWith("not a version");
        assertThat(commands.model("approve", "coder", "v1")).startsWith("approved coder v1")
                .contains("lodestar-coder:v1");
        assertThat(commands.model("promote", "coder", "1")).startsWith("live: coder v1");
        assertThat(commands.model("rollback", "coder")).startsWith("refused:");
        assertThat(commands.model("history", "coder")).contains("approved", "gogo:");
        assertThat(commands.model("dance")).startsWith("usage");
        assertThat(commands.model("list")).contains("gogo:");
    }
}
