package lodestar.provider.gemini.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import lodestar.api.health.HealthResult;
import lodestar.api.health.Severity;
import lodestar.provider.common.Probe;
import lodestar.test.upstream.FakeUpstream;
import org.eclipse.jetty.client.HttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The free {@code GET /models} health probe against a real HTTP server. */
class ProbeTest {

    private static final String INVALID_KEY = "{\"error\":{\"code\":400,\"message\":\"API key "
            + "not valid. Please pass a valid API key.\",\"status\":\"INVALID_ARGUMENT\","
            + "\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.ErrorInfo\",\"reason\":"
            + "\"API_KEY_INVALID\"}]}}";

    private HttpServer server;
    private HttpClient client;
    private final AtomicInteger status = new AtomicInteger(200);
    private final AtomicReference<String> body = new AtomicReference<>("{\"models\":[]}");
    private final AtomicReference<String> key = new AtomicReference<>();
    private final AtomicReference<String> query = new AtomicReference<>();

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1beta/models", exchange -> {
            key.set(exchange.getRequestHeaders().getFirst("x-goog-api-key"));
            query.set(exchange.getRequestURI().getRawQuery());
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

    private Settings settings(final String apiKey, final long probeSeconds, final String base) {
        final Map<String, Object> props = new HashMap<>();
        props.put("id", "paid");
        props.put("baseUrl", base);
        props.put(".apiKey", apiKey);
        props.put("models", "m");
        props.put("probeSeconds", probeSeconds);
        return Settings.parse(Fixtures.config(props), props, name -> null);
    }

    private Settings settings(final String apiKey, final long probeSeconds) {
        return settings(apiKey, probeSeconds, "http://127.0.0.1:" + server.getAddress().getPort()
                + "/v1beta");
    }

    private static HealthResult await(final Probe<Settings> probe, final String text)
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
        final String secret = "AIzaSyProbe-secret-0123456789abcdefgh";
        final Settings settings = settings(secret, 1);
        final Probe<Settings> probe = GeminiProvider.probe(client, () -> settings);
        assertThat(probe.name()).isEqualTo("provider.paid");
        assertThat(probe.check().get(0).message()).contains("not probed yet");
        probe.start();
        final HealthResult ok = await(probe, "answers");
        assertThat(ok.severity()).isEqualTo(Severity.OK);
        assertThat(ok.details()).containsEntry("down", false);
        assertThat(key.get()).isEqualTo(secret);
        assertThat(query.get()).isEqualTo("pageSize=1").doesNotContain(secret);

        // Google answers a bad key with 400 INVALID_ARGUMENT, reason API_KEY_INVALID
        status.set(400);
        body.set(INVALID_KEY);
        final HealthResult rejected = await(probe, "rejects the API key");
        assertThat(rejected.severity()).isEqualTo(Severity.WARNING);
        assertThat(rejected.details()).containsEntry("down", true);
        assertThat(rejected.message()).doesNotContain(secret);

        body.set("{}");
        status.set(403);
        assertThat(await(probe, "rejects the API key (HTTP 403)").details())
                .containsEntry("down", true);
        status.set(503);
        assertThat(await(probe, "fails (HTTP 503)").details()).containsEntry("down", true);
        status.set(429);
        assertThat(await(probe, "rate limiting").details()).containsEntry("down", false);
        status.set(404);
        assertThat(await(probe, "probe not supported").severity()).isEqualTo(Severity.INFO);
        status.set(400);
        assertThat(await(probe, "(HTTP 400): probe not supported").severity())
                .isEqualTo(Severity.INFO);

        server.stop(0);
        final HealthResult gone = await(probe, "does not answer");
        assertThat(gone.details()).containsEntry("down", true);
        probe.stop();
    }

    @Test
    void theFakeUpstreamAnswersTheProbe() throws Exception {
        try (FakeUpstream fake = FakeUpstream.start()) {
            final Settings settings = settings("AIza-fake", 60, fake.baseUrl() + "/v1beta");
            final Probe<Settings> probe = GeminiProvider.probe(client, () -> settings);
            probe.start();
            assertThat(await(probe, "answers").severity()).isEqualTo(Severity.OK);
            assertThat(fake.requests().get(0).method()).isEqualTo("GET");
            assertThat(fake.requests().get(0).path()).isEqualTo("/v1beta/models");
            assertThat(fake.served()).as("never a completion").isZero();
            probe.stop();
        }
    }

    @Test
    void withoutAKeyOrWithTheProbeOffNothingIsSent() throws Exception {
        final Probe<Settings> inert = GeminiProvider.probe(client, () -> settings("", 1));
        inert.start();
        Thread.sleep(300);
        assertThat(inert.check().get(0).message()).contains("inert: no API key");
        assertThat(key.get()).isNull();
        inert.stop();

        final Probe<Settings> off = GeminiProvider.probe(client, () -> settings("AIza-x", 0));
        off.start();
        Thread.sleep(300);
        assertThat(off.check().get(0).message()).contains("probe off");
        assertThat(key.get()).isNull();
        off.stop();
    }
}
