package lodestar.learning.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import lodestar.test.upstream.FakeUpstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code /api/learning/benchmarks}, {@code lodestar:benchmark(s)} and approve --override. */
class BenchmarkApiTest {

    @TempDir
    Path dir;
    private final AtomicLong clock = new AtomicLong(1_700_000_000_000L);
    private FakeUpstream fake;
    private LearningStore store;
    private ModelRegistry registry;
    private QualityBenchmark bench;
    private BenchmarkServlet servlet;
    private BenchmarkCommands commands;
    private String keys = "admin:k-admin,dev:k-dev";

    @BeforeEach
    void setUp() throws Exception {
        fake = FakeUpstream.start();
        store = new LearningStore(Fixtures.config(), dir, Fixtures.database(),
                () -> clock.addAndGet(10));
        registry = new ModelRegistry(store, new OllamaDeployer(HttpClient.newHttpClient(),
                Duration.ofSeconds(5)));
        registry.register(ModelRegistryTest.candidate(dir, null));
        final Path set = dir.resolve("set.jsonl");
        Files.writeString(set, "{\"id\":\"a\",\"prompt\":\"hi\",\"check\":{\"type\":\"contains\","
                + "\"value\":\"Hello\"}}\n");
        bench = new QualityBenchmark(QualityBenchmarkTest.config("evaluationSet", set.toString(),
                "routerUrl", fake.baseUrl() + "/v1"), store, registry, HttpClient.newHttpClient(),
                new OllamaDeployer(HttpClient.newHttpClient(), Duration.ofSeconds(5)), n -> null);
        servlet = new BenchmarkServlet(store, new ProxyKeys(() -> keys));
        servlet.setBenchmark(bench);
        commands = new BenchmarkCommands(store);
        commands.setBenchmark(bench);
    }

    @AfterEach
    void tearDown() {
        bench.deactivate();
        fake.close();
    }

    private FakeHttp.Response call(final String method, final String path, final String body,
            final String... headers) throws Exception {
        final FakeHttp.Response response = new FakeHttp.Response();
        servlet.service(FakeHttp.request(method, path, body, headers), response.proxy);
        return response;
    }

    private static final String[] ADMIN_JSON = {"Authorization", "Bearer k-admin",
        "Content-Type", "application/json"};

    private void awaitDone(final String run) throws Exception {
        for (int i = 0; i < 200; i++) {
            final JsonNode rows = call("GET", "/", null, "x-api-key", "k-admin").json();
            boolean done = rows.size() > 0;
            for (final JsonNode r : rows) {
                done &= !r.path("run").asText().equals(run)
                        || r.path("state").asText().matches("done|failed");
            }
            if (done) {
                return;
            }
            TimeUnit.MILLISECONDS.sleep(25);
        }
    }

    @Test
    void postStartsARunAndGetListsResults() throws Exception {
        final FakeHttp.Response started = call("POST", "/coder/v1", "{\"by\":\"dana\"}",
                ADMIN_JSON);
        assertThat(started.status).isEqualTo(202);
        final JsonNode body = started.json();
        final String run = body.path("run").asText();
        assertThat(run).startsWith("bench-20231114-");
        assertThat(body.path("model").asText()).isEqualTo("lodestar-coder:v1");
        assertThat(body.path("live").isNull()).isTrue();
        assertThat(body.path("results").asText()).isEqualTo("/api/learning/benchmarks/coder/1");
        awaitDone(run);

        final JsonNode rows = call("GET", "/coder/1", null, "x-api-key", "k-admin").json();
        assertThat(rows).hasSize(1);
        final JsonNode row = rows.get(0);
        assertThat(row.path("run").asText()).isEqualTo(run);
        assertThat(row.path("state").asText()).isEqualTo("done");
        assertThat(row.path("score").asDouble()).isEqualTo(1.0);
        assertThat(row.path("passed").asInt()).isEqualTo(1);
        assertThat(row.path("actor").asText()).isEqualTo("http:admin (dana)");
        assertThat(row.path("setSha256").asText()).hasSize(64);
        assertThat(row.path("durationMs").isNumber()).isTrue();
        assertThat(row.path("results").path("items").get(0).path("passed").asBoolean())
                .isTrue();
        assertThat(call("GET", "/coder", null, "x-api-key", "k-admin").json()).hasSize(1);
        assertThat(call("GET", "/other", null, "x-api-key", "k-admin").json()).isEmpty();
        assertThat(call("GET", null, null, "x-api-key", "k-admin").json()).hasSize(1);

        final String table = commands.benchmarks("coder");
        assertThat(table).contains(run).contains("done").contains("1/1");
        assertThat(commands.benchmarks("coder", "v1")).contains(run);
        assertThat(commands.benchmarks()).contains(run);
    }

    @Test
    void keysAndTheCsrfRuleApply() throws Exception {
        assertThat(call("GET", "/coder", null).status).isEqualTo(401);
        assertThat(call("GET", "/coder", null, "x-api-key", "k-dev").status).isEqualTo(403);
        assertThat(call("POST", "/coder/1", "{}", "Authorization", "Bearer k-admin").status)
                .isEqualTo(415);
        assertThat(call("POST", "/coder/1", "a=b", "Authorization", "Bearer k-admin",
                "Content-Type", "application/x-www-form-urlencoded").status).isEqualTo(415);
        final FakeHttp.Response foreign = call("POST", "/coder/1", "{}", "Authorization",
                "Bearer k-admin", "Content-Type", "application/json", "Origin",
                "https://evil.example", "Host", "127.0.0.1:4000");
        assertThat(foreign.status).isEqualTo(403);
        assertThat(foreign.json().path("error").path("code").asText()).isEqualTo(
                "cross_origin");
        final FakeHttp.Response same = call("POST", "/coder/1", "{}", "Authorization",
                "Bearer k-admin", "Content-Type", "application/json; charset=utf-8", "Origin",
                "http://127.0.0.1:4000", "Host", "127.0.0.1:4000");
        assertThat(same.status).isEqualTo(202);
        awaitDone(same.json().path("run").asText());
        keys = null;
        assertThat(call("GET", "/coder", null).status).isEqualTo(200);
    }

    @Test
    void errors() throws Exception {
        assertThat(call("POST", "/coder/9", "{}", ADMIN_JSON).status).isEqualTo(404);
        assertThat(call("POST", "/coder/x", "{}", ADMIN_JSON).status).isEqualTo(400);
        assertThat(call("POST", "/coder", "{}", ADMIN_JSON).status).isEqualTo(404);
        assertThat(call("POST", "/coder/1", "[1]", ADMIN_JSON).status).isEqualTo(400);
        assertThat(call("GET", "/a/1/b", null, ADMIN_JSON).status).isEqualTo(404);
        assertThat(call("GET", "/coder/x", null, ADMIN_JSON).status).isEqualTo(400);
        final FakeHttp.Response delete = call("DELETE", "/coder/1", null, ADMIN_JSON);
        assertThat(delete.status).isEqualTo(405);
        assertThat(delete.headers.get("Allow")).isEqualTo("GET, POST");
        servlet.setBenchmark(null);
        final FakeHttp.Response off = call("POST", "/coder/1", "{}", ADMIN_JSON);
        assertThat(off.status).isEqualTo(409);
        assertThat(off.json().path("error").path("message").asText()).contains(
                "not configured");
    }

    @Test
    void gogoCommands() throws Exception {
        assertThat(commands.benchmark()).startsWith("usage:");
        assertThat(commands.benchmark("coder", "x")).isEqualTo("not a version number: x\n");
        assertThat(commands.benchmark("coder", "7")).isEqualTo("no model coder v7\n");
        assertThat(commands.benchmarks("a", "b", "c")).startsWith("usage:");
        assertThat(commands.benchmarks("coder", "x")).isEqualTo("not a version number: x\n");
        final String queued = commands.benchmark("coder", "v1");
        assertThat(queued).startsWith("queued bench-").contains("coder v1 (lodestar-coder:v1)"
                + ", no live version").contains("results: lodestar:benchmarks coder 1");
        final String run = queued.substring(7, queued.indexOf(':'));
        awaitDone(run);
        commands.setBenchmark(null);
        assertThat(commands.benchmark("coder", "1")).contains("not configured");

        // approve --override through lodestar:model, with the gate refusing a failed result
        registry.setGate(new BenchmarkGate(QualityBenchmarkTest.config("evaluationSet",
                dir.resolve("other.jsonl").toString()), store));
        final TrainingService training = new TrainingService(store, registry);
        final TrainingCommands model = new TrainingCommands(training, registry);
        assertThat(model.model("approve", "coder", "1")).startsWith("refused: the benchmark "
                + "set").contains("--override");
        assertThat(model.model("approve", "coder", "1", "--force")).startsWith("usage:");
        assertThat(model.model("approve", "coder", "1", "--override")).startsWith(
                "approved coder v1");
        assertThat(model.model("history", "coder")).contains("benchmark gate OVERRIDDEN");
        training.deactivate();
    }
}
