package lodestar.learning.it;

import static lodestar.test.support.Framework.endpoint;
import static lodestar.test.support.Framework.gogo;
import static lodestar.test.support.Framework.waitFor;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.UUID;
import javax.sql.DataSource;
import lodestar.test.upstream.FakeUpstream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * The quality benchmark in a real framework: without its configuration the benchmark servlet
 * (not the general /api/learning one) answers 409 and approval is not gated; with a
 * configuration arriving through ConfigAdmin, a Gogo-started run goes over real HTTP to the
 * fake upstream standing in for the router, its result is listed over HTTP and Gogo, and the
 * gate refuses an unbenchmarked candidate until {@code --override} is given in the shell.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BenchmarkIT {

    /** How long {@code waitFor} polls before the test fails. */
    private static final Duration WAIT = Duration.ofSeconds(20);

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String name = "it" + UUID.randomUUID().toString().substring(0, 8);
    private final HttpClient http = HttpClient.newHttpClient();
    private BundleContext context;
    private Configuration config;
    private FakeUpstream fake;
    private String base;
    private Path set;

    @BeforeAll
    void setUp() throws Exception {
        context = FrameworkUtil.getBundle(BenchmarkIT.class).getBundleContext();
        final ConfigurationAdmin admin = context.getService(
                context.getServiceReference(ConfigurationAdmin.class));
        config = admin.getConfiguration("lodestar.learning.benchmark", "?");
        fake = FakeUpstream.start();
        base = endpoint(context);
        set = Files.createTempFile("benchmark-it", ".jsonl");
        Files.writeString(set, "{\"id\":\"hello\",\"prompt\":\"Say hello\",\"check\":{\"type\":"
                + "\"regex\",\"pattern\":\"^Hello from lodestar-" + name + ":v1$\"}}\n");
        waitFor(WAIT, "the benchmark commands",
                () -> gogo(context, "lodestar:benchmarks").contains("RUN"));
    }

    @AfterAll
    void tearDown() throws Exception {
        config.delete();
        fake.close();
        Files.deleteIfExists(set);
    }

    @Test
    void benchmarksThroughTheRouterAndGatesApproval() throws Exception {
        insertCandidate(1);
        assertThat(gogo(context, "lodestar:benchmark " + name + " 1")).contains("not configured");
        final HttpResponse<String> off = post("/api/learning/benchmarks/" + name + "/1");
        assertThat(off.statusCode()).isEqualTo(409);
        assertThat(off.body()).contains("not_configured");

        final Dictionary<String, Object> on = new Hashtable<>();
        on.put("evaluationSet", set.toString());
        on.put("routerUrl", fake.baseUrl() + "/v1");
        on.put("concurrency", "1");
        config.update(on);
        // the session's output also holds the log lines of the command's thread: contains
        waitFor(WAIT, "a queued benchmark", () -> gogo(context, "lodestar:benchmark " + name
                + " 1").contains("queued bench-"));
        waitFor(WAIT, "the benchmark to finish", () -> gogo(context, "lodestar:benchmarks "
                + name + " 1").contains(" done "));
        assertThat(gogo(context, "lodestar:benchmarks " + name)).contains("1/1");

        final HttpResponse<String> started = post("/api/learning/benchmarks/" + name + "/v1");
        assertThat(started.statusCode()).isEqualTo(202);
        final String run = JSON.readTree(started.body()).path("run").asText();
        waitFor(WAIT, "the HTTP-started run", () -> get("/api/learning/benchmarks/" + name
                + "/1?run=" + run).path(0).path("state").asText().equals("done"));
        final JsonNode row = get("/api/learning/benchmarks/" + name + "/1?run=" + run).path(0);
        assertThat(row.path("score").asDouble()).isEqualTo(1.0);
        assertThat(row.path("model").asText()).isEqualTo("lodestar-" + name + ":v1");

        assertThat(gogo(context, "lodestar:model approve " + name + " 1"))
                .contains("approved " + name + " v1");
        insertCandidate(2);
        assertThat(gogo(context, "lodestar:model approve " + name + " 2"))
                .contains("refused: " + name + " v2 has no benchmark result");
        assertThat(gogo(context, "lodestar:model approve " + name + " 2 --override")).contains(
                "approved " + name + " v2");
        assertThat(gogo(context, "lodestar:model history " + name)).contains("benchmarked",
                "benchmark gate OVERRIDDEN");
    }

    private void insertCandidate(final int version) throws Exception {
        final ServiceReference<DataSource> ref = context.getServiceReferences(DataSource.class,
                "(dataSourceName=lodestar)").iterator().next();
        final DataSource source = context.getService(ref);
        try (Connection c = source.getConnection(); PreparedStatement s = c.prepareStatement(
                "INSERT INTO learning_model (name, version, state, base_model, dataset_id, "
                + "backend, params, metrics, created_ms) VALUES (?, ?, 'CANDIDATE', 'b', 'ds', "
                + "'command', '{}', '{}', ?)")) {
            s.setString(1, name);
            s.setInt(2, version);
            s.setLong(3, System.currentTimeMillis());
            s.executeUpdate();
        } finally {
            context.ungetService(ref);
        }
    }

    private HttpResponse<String> post(final String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type",
                "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode get(final String path) throws Exception {
        return JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(base + path)).build(),
                HttpResponse.BodyHandlers.ofString()).body());
    }
}
