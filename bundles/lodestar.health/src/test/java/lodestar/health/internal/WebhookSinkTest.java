package lodestar.health.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import lodestar.api.health.Alert;
import lodestar.api.health.Severity;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The webhook sink against a real HTTP receiver on loopback. */
class WebhookSinkTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private HttpServer server;
    private final BlockingQueue<String> bodies = new LinkedBlockingQueue<>();
    private final BlockingQueue<String> types = new LinkedBlockingQueue<>();
    private final AtomicInteger failuresLeft = new AtomicInteger();
    private final AtomicInteger status = new AtomicInteger(204);
    private final AtomicInteger delayMs = new AtomicInteger();
    private WebhookSink sink;

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/hook", exchange -> {
            final String body = new String(exchange.getRequestBody().readAllBytes(),
                    StandardCharsets.UTF_8);
            try {
                Thread.sleep(delayMs.get());
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            final int answer = failuresLeft.getAndDecrement() > 0 ? 503 : status.get();
            if (answer < 300) {
                types.add(exchange.getRequestHeaders().getFirst("Content-Type"));
                bodies.add(body);
            }
            exchange.sendResponseHeaders(answer, -1);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        if (sink != null) {
            sink.deactivate();
        }
        server.stop(0);
    }

    private String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook?token=secret";
    }

    private WebhookSink sink(final Object... keyValues) {
        final Object[] all = new Object[keyValues.length + 4];
        all[0] = ".url";
        all[1] = url();
        all[2] = "backoffMs";
        all[3] = 20;
        System.arraycopy(keyValues, 0, all, 4, keyValues.length);
        sink = new WebhookSink(Configs.webhook(all));
        return sink;
    }

    private static Alert alert(final String key, final Severity severity,
            final boolean recovery) {
        return new Alert(key, severity, key + " message", recovery, Map.of("n", 1),
                Instant.parse("2026-11-26T10:00:00Z"));
    }

    @Test
    void postsJsonRetriesOn5xxAndPairsRecoveries() throws Exception {
        sink();
        failuresLeft.set(2);
        sink.deliver(alert("provider.openai", Severity.WARNING, false));
        final JsonNode body = JSON.readTree(bodies.poll(5, TimeUnit.SECONDS));
        assertThat(body.path("key").asText()).isEqualTo("provider.openai");
        assertThat(body.path("severity").asText()).isEqualTo("WARNING");
        assertThat(body.path("recovery").asBoolean()).isFalse();
        assertThat(body.path("details").path("n").asInt()).isEqualTo(1);
        assertThat(types.poll()).isEqualTo("application/json");

        sink.deliver(alert("info.only", Severity.INFO, false));
        sink.deliver(alert("never.announced", Severity.INFO, true));
        sink.deliver(alert("provider.openai", Severity.INFO, true));
        final JsonNode recovery = JSON.readTree(bodies.poll(5, TimeUnit.SECONDS));
        assertThat(recovery.path("key").asText()).isEqualTo("provider.openai");
        assertThat(recovery.path("recovery").asBoolean()).isTrue();
        assertThat(bodies.poll(300, TimeUnit.MILLISECONDS)).as("below minSeverity").isNull();
        assertThat(sink.delivered()).isEqualTo(2);
    }

    @Test
    void slackAndTextFormats() throws Exception {
        sink("format", "slack");
        sink.deliver(alert("disk", Severity.CRITICAL, false));
        assertThat(JSON.readTree(bodies.poll(5, TimeUnit.SECONDS)).path("text").asText())
                .isEqualTo("[Lodestar] CRITICAL disk: disk message");
        assertThat(types.poll(1, TimeUnit.SECONDS)).isEqualTo("application/json");
        sink.deactivate();

        sink("format", "text", "minSeverity", "critical");
        sink.deliver(alert("heap", Severity.WARNING, false));
        sink.deliver(alert("disk", Severity.CRITICAL, false));
        assertThat(bodies.poll(5, TimeUnit.SECONDS)).isEqualTo("CRITICAL disk: disk message");
        assertThat(types.poll(1, TimeUnit.SECONDS)).startsWith("text/plain");
    }

    @Test
    void aReceiverThatRefusesIsNotRetriedForeverAndIsCounted() throws Exception {
        status.set(400);
        sink("retries", 5);
        sink.deliver(alert("a", Severity.WARNING, false));
        final long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (sink.failed() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(sink.failed()).isEqualTo(1);
        assertThat(sink.delivered()).isZero();
    }

    @Test
    void aFullQueueDropsAndCounts() throws Exception {
        delayMs.set(300);
        sink("queueSize", 1, "retries", 0);
        for (int i = 0; i < 20; i++) {
            sink.deliver(alert("k" + i, Severity.CRITICAL, false));
        }
        assertThat(sink.dropped()).isGreaterThanOrEqualTo(17);
        delayMs.set(0);
    }

    @Test
    void invalidConfigurationsAreRefusedClearly() {
        assertThatThrownBy(() -> new WebhookSink(Configs.webhook(".url", "")))
                .hasMessageContaining("http(s) URL");
        assertThatThrownBy(() -> new WebhookSink(Configs.webhook(".url", url(), "format",
                "xml"))).hasMessageContaining("json, slack or text");
    }
}
