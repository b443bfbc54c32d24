package lodestar.provider.anthropic.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
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

/** The free {@code GET /v1/models} health probe against a real HTTP server. */
class ProbeTest {

    private HttpServer server;
    private HttpClient client;
    private final AtomicInteger status = new AtomicInteger(200);
    private final AtomicReference<String> key = new AtomicReference<>();
    private final AtomicReference<String> version = new AtomicReference<>();

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/models", exchange -> {
            key.set(exchange.getRequestHeaders().getFirst("x-api-key"));
            version.set(exchange.getRequestHeaders().getFirst("anthropic-version"));
            final byte[] body = "{\"data\":[],\"has_more\":false}".getBytes();
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

    private Settings settings(final String apiKey, final long probeSeconds) {
        return settings("http://127.0.0.1:" + server.getAddress().getPort(), apiKey,
                probeSeconds);
    }

    private static Settings settings(final String baseUrl, final String apiKey,
            final long probeSeconds) {
        final Map<String, Object> props = new HashMap<>();
        props.put("id", "paid");
        props.put("baseUrl", baseUrl);
        props.put(".apiKey", apiKey);
        props.put("models", "m");
        props.put("probeSeconds", probeSeconds);
        return Fixtures.settings(props);
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
        final Settings settings = settings("sk-ant-probe-secret", 1);
        final Probe<Settings> probe = AnthropicProvider.probe(client, () -> settings);
        assertThat(probe.name()).isEqualTo("provider.paid");
        assertThat(probe.check().get(0).message()).contains("not probed yet");
        probe.start();
        final HealthResult ok = await(probe, "answers");
        assertThat(ok.severity()).isEqualTo(Severity.OK);
        assertThat(ok.details()).containsEntry("down", false);
        assertThat(ok.message()).contains("/v1/models");
        assertThat(key.get()).isEqualTo("sk-ant-probe-secret");
        assertThat(version.get()).isEqualTo("2023-06-01");

        status.set(401);
        final HealthResult rejected = await(probe, "rejects the API key");
        assertThat(rejected.severity()).isEqualTo(Severity.WARNING);
        assertThat(rejected.details()).containsEntry("down", true);
        assertThat(rejected.message()).doesNotContain("sk-ant-probe-secret");

        status.set(529);
        assertThat(await(probe, "fails (HTTP 529)").details()).containsEntry("down", true);
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
    void theFakeUpstreamListsModelsInAnthropicShape() throws Exception {
        try (FakeUpstream fake = FakeUpstream.start()) {
            final Settings settings = settings(fake.baseUrl(), "sk-ant-x", 1);
            final Probe<Settings> probe = AnthropicProvider.probe(client, () -> settings);
            probe.start();
            assertThat(await(probe, "answers").severity()).isEqualTo(Severity.OK);
            probe.stop();
            final FakeUpstream.Recorded sent = fake.requests().get(0);
            assertThat(sent.method()).isEqualTo("GET");
            assertThat(sent.path()).isEqualTo("/v1/models");
            assertThat(sent.headers().get("x-api-key")).isEqualTo("sk-ant-x");
            assertThat(fake.served()).isZero();
        }
    }

    @Test
    void withoutAKeyOrWithTheProbeOffNothingIsSent() throws Exception {
        final Probe<Settings> inert = AnthropicProvider.probe(client, () -> settings("", 1));
        inert.start();
        Thread.sleep(300);
        assertThat(inert.check().get(0).message()).contains("inert: no API key");
        assertThat(key.get()).isNull();
        inert.stop();

        final Probe<Settings> off = AnthropicProvider.probe(client, () -> settings("sk-x", 0));
        off.start();
        Thread.sleep(300);
        assertThat(off.check().get(0).message()).contains("probe off");
        assertThat(key.get()).isNull();
        off.stop();
    }
}
