package lodestar.provider.common;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import lodestar.api.health.HealthResult;
import lodestar.api.health.Severity;
import org.eclipse.jetty.client.HttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The health probe against a real HTTP server, with the judge every provider uses. */
class ProbeTest {

    private static final Redactor REDACTOR = new Redactor().and(Redactor.KEY_LIKE, "[redacted]");

    private HttpServer server;
    private HttpClient client;
    private final AtomicInteger status = new AtomicInteger(200);
    private final AtomicReference<String> body = new AtomicReference<>("{\"data\":[]}");
    private final AtomicReference<String> key = new AtomicReference<>();
    private final AtomicReference<String> query = new AtomicReference<>();

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/models", exchange -> {
            key.set(exchange.getRequestHeaders().getFirst("x-key"));
            query.set(exchange.getRequestURI().getQuery());
            final byte[] bytes = body.get().getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status.get(), bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        server.start();
        client = new HttpClient();
        client.start();
    }

    @AfterEach
    void stop() throws Exception {
        client.stop();
        server.stop(0);
    }

    private TestSettings settings(final String apiKey, final long probeSeconds) {
        return new TestSettings("paid", "http://127.0.0.1:" + server.getAddress().getPort(),
                apiKey, "PAID_KEY", Duration.ofSeconds(5), Duration.ofSeconds(probeSeconds));
    }

    private Probe<TestSettings> probe(final Supplier<TestSettings> settings) {
        return new Probe<>(client, settings, REDACTOR, "/v1/models", "?limit=1",
                (current, headers) -> headers.put("x-key", current.apiKey()),
                (code, text) -> Probe.UNAUTHORIZED.rejected(code, text)
                        || code == 400 && text != null && text.contains("API_KEY_INVALID"));
    }

    private static HealthResult await(final Probe<?> probe, final String text)
            throws InterruptedException {
        final long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (System.nanoTime() < deadline) {
            final HealthResult result = probe.check().get(0);
            if (result.message().contains(text)) {
                return result;
            }
            Thread.sleep(20);
        }
        return probe.check().get(0);
    }

    @Test
    void answersRejectedKeysAndServerErrorsAreJudged() throws Exception {
        final TestSettings settings = settings("sk-probe-secret", 1);
        final Probe<TestSettings> probe = probe(() -> settings);
        assertThat(probe.name()).isEqualTo("provider.paid");
        assertThat(probe.check().get(0).message()).contains("not probed yet");
        probe.start();
        final HealthResult ok = await(probe, "answers");
        assertThat(ok.severity()).isEqualTo(Severity.OK);
        assertThat(ok.details()).containsEntry("down", false);
        assertThat(ok.message()).contains("paid (http://127.0.0.1:"
                + server.getAddress().getPort() + "/v1/models)");
        assertThat(key.get()).isEqualTo("sk-probe-secret");
        assertThat(query.get()).isEqualTo("limit=1");

        status.set(401);
        final HealthResult rejected = await(probe, "rejects the API key (HTTP 401)");
        assertThat(rejected.severity()).isEqualTo(Severity.WARNING);
        assertThat(rejected.details()).containsEntry("down", true);
        assertThat(rejected.message()).doesNotContain("sk-probe-secret");

        status.set(400);
        body.set("{\"error\":{\"details\":[{\"reason\":\"API_KEY_INVALID\"}]}}");
        assertThat(await(probe, "rejects the API key (HTTP 400)").details())
                .containsEntry("down", true);
        body.set("{}");
        assertThat(await(probe, "probe not supported").severity()).isEqualTo(Severity.INFO);

        status.set(503);
        assertThat(await(probe, "fails (HTTP 503)").details()).containsEntry("down", true);
        status.set(429);
        assertThat(await(probe, "rate limiting").details()).containsEntry("down", false);
        status.set(404);
        assertThat(await(probe, "probe not supported").severity()).isEqualTo(Severity.INFO);

        server.stop(0);
        final HealthResult gone = await(probe, "does not answer");
        assertThat(gone.details()).containsEntry("down", true);
        probe.stop();
        probe.probe();
    }

    @Test
    void withoutAKeyOrWithTheProbeOffNothingIsSent() throws Exception {
        final Probe<TestSettings> inert = probe(() -> settings(null, 1));
        inert.start();
        Thread.sleep(300);
        assertThat(inert.check().get(0).message())
                .isEqualTo("provider paid is inert: no API key (set PAID_KEY)");
        assertThat(key.get()).isNull();
        inert.stop();

        final Probe<TestSettings> unhinted = probe(() -> new TestSettings("free", "http://h",
                null, null, Duration.ofSeconds(1), Duration.ofSeconds(1)));
        assertThat(unhinted.check().get(0).message())
                .isEqualTo("provider free is inert: no API key");

        final Probe<TestSettings> off = probe(() -> settings("sk-x", 0));
        off.start();
        Thread.sleep(300);
        assertThat(off.check().get(0).message()).contains("probe off");
        assertThat(key.get()).isNull();
        off.stop();
    }

    @Test
    void aFailureBeforeSendingIsReportedToo() throws Exception {
        final TestSettings settings = settings("sk-x", 1);
        final Probe<TestSettings> probe = probe(() -> settings);
        final HealthResult result = probe.judge(settings, 0, new IOException("refused"), null,
                Duration.ZERO);
        assertThat(result.message()).contains("does not answer: refused");
        assertThat(probe.judge(settings, 0, new IOException(), null, Duration.ZERO).message())
                .contains("does not answer: IOException");

        final TestSettings bad = new TestSettings("bad", "http://[", "sk-x", null,
                Duration.ofSeconds(1), Duration.ofSeconds(1));
        final Probe<TestSettings> unsendable = probe(() -> bad);
        unsendable.probe();
        assertThat(unsendable.check().get(0).message()).contains("provider bad")
                .contains("does not answer");
        unsendable.stop();

        client.stop();
        final Probe<TestSettings> stopped = probe(() -> settings);
        stopped.start();
        assertThat(stopped.check().get(0).message()).contains("not probed yet");
    }
}
