package lodestar.provider.openai.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import lodestar.api.health.HealthResult;
import lodestar.api.health.Severity;
import lodestar.provider.common.Probe;
import org.eclipse.jetty.client.HttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The free {@code GET /models} health probe against a real HTTP server. */
class ProbeTest {

    private HttpServer server;
    private HttpClient client;
    private final AtomicInteger status = new AtomicInteger(200);
    private final AtomicReference<String> authorization = new AtomicReference<>();

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/models", exchange -> {
            authorization.set(exchange.getRequestHeaders().getFirst("Authorization"));
            final byte[] body = "{\"data\":[]}".getBytes();
            exchange.sendResponseHeaders(status.get(), body.length);
            exchange.getResponseBody().write(body);
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

    private Settings settings(final String key, final long probeSeconds) {
        final Map<String, Object> props = new java.util.HashMap<>();
        props.put("id", "paid");
        props.put("baseUrl", "http://127.0.0.1:" + server.getAddress().getPort() + "/v1");
        props.put(".apiKey", key);
        props.put("models", "m");
        props.put("probeSeconds", probeSeconds);
        return Settings.parse(Fixtures.config(props), props, name -> null);
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
        final Settings settings = settings("sk-probe-secret", 1);
        final Probe<Settings> probe = OpenAiProvider.probe(client, () -> settings);
        assertThat(probe.name()).isEqualTo("provider.paid");
        assertThat(probe.check().get(0).message()).contains("not probed yet");
        probe.start();
        final HealthResult ok = await(probe, "answers");
        assertThat(ok.severity()).isEqualTo(Severity.OK);
        assertThat(ok.details()).containsEntry("down", false);
        assertThat(authorization.get()).isEqualTo("Bearer sk-probe-secret");

        status.set(401);
        final HealthResult rejected = await(probe, "rejects the API key");
        assertThat(rejected.severity()).isEqualTo(Severity.WARNING);
        assertThat(rejected.details()).containsEntry("down", true);
        assertThat(rejected.message()).doesNotContain("sk-probe-secret");

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
    }

    @Test
    void withoutAKeyOrWithTheProbeOffNothingIsSent() throws Exception {
        final Probe<Settings> inert = OpenAiProvider.probe(client, () -> settings("", 1));
        inert.start();
        Thread.sleep(300);
        assertThat(inert.check().get(0).message()).contains("inert: no API key");
        assertThat(authorization.get()).isNull();
        inert.stop();

        final Probe<Settings> off = OpenAiProvider.probe(client, () -> settings("sk-x", 0));
        off.start();
        Thread.sleep(300);
        assertThat(off.check().get(0).message()).contains("probe off");
        assertThat(authorization.get()).isNull();
        off.stop();
    }
}
