package lodestar.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import lodestar.test.upstream.FakeUpstream;
import lodestar.test.upstream.Fault;
import org.junit.jupiter.api.Test;

/**
 * The health monitor in the assembled runtime: the upstream starts failing, a warning alert
 * reaches a webhook, the upstream recovers, and the recovery is announced once.
 */
class HealthE2E {

    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> chat(final LodestarProcess lodestar) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + lodestar.port
                + "/v1/chat/completions")).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"fake-large\","
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static List<JsonNode> alerts(final List<String> bodies, final String key)
            throws Exception {
        final List<JsonNode> out = new java.util.ArrayList<>();
        for (final String body : bodies) {
            final JsonNode alert = LodestarProcess.JSON.readTree(body);
            if (key.equals(alert.path("key").asText())) {
                out.add(alert);
            }
        }
        return out;
    }

    @Test
    void aFailingUpstreamRaisesAWarningAtTheWebhookAndItsRecoveryIsAnnouncedOnce()
            throws Exception {
        final List<String> received = new CopyOnWriteArrayList<>();
        final HttpServer hook = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        hook.createContext("/hook", exchange -> {
            received.add(new String(exchange.getRequestBody().readAllBytes(),
                    StandardCharsets.UTF_8));
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        hook.start();
        try (FakeUpstream upstream = FakeUpstream.start();
                LodestarProcess lodestar = new LodestarProcess()) {
            try (Stream<Path> shipped = Files.list(lodestar.config)) {
                for (final Path file : shipped.toList()) {
                    if (file.getFileName().toString().startsWith("lodestar.provider.")
                            || file.getFileName().toString().startsWith("lodestar.router")) {
                        Files.delete(file);
                    }
                }
            }
            lodestar.writeConfig("lodestar.provider.openai-e2e.cfg", "id=paid\nbaseUrl="
                    + upstream.baseUrl() + "/v1\n.apiKey=sk-e2e\nmodels=fake-large\n");
            lodestar.writeConfig("lodestar.router.cfg", "maxAttempts=1\n"
                    + "cooldownAfterFailures=1000\n");
            lodestar.writeConfig("lodestar.health.cfg", "intervalSeconds=1\nconfirmRounds=1\n"
                    + "minRequests=4\nwindowSeconds=10\nerrorRateWarn=0.5\n"
                    + "errorRateCritical=1.01\n");
            lodestar.writeConfig("lodestar.health.webhook-e2e.cfg", ".url=http://127.0.0.1:"
                    + hook.getAddress().getPort() + "/hook\nformat=json\nbackoffMs=100\n");
            lodestar.start();
            LodestarProcess.waitFor(() -> chat(lodestar).statusCode() == 200,
                    Duration.ofSeconds(20), "the provider to serve");
            LodestarProcess.waitFor(() -> lodestar.get("/health/ready").statusCode() == 200,
                    Duration.ofSeconds(10), "/health/ready");
            assertThat(lodestar.get("/health/live").statusCode()).isEqualTo(200);

            for (int i = 0; i < 6; i++) {
                upstream.enqueue(Fault.status(500, null));
            }
            for (int i = 0; i < 6; i++) {
                assertThat(chat(lodestar).statusCode()).isEqualTo(502);
            }
            final long failedAt = System.nanoTime();
            LodestarProcess.waitFor(() -> !alerts(received, "traffic.provider.paid").isEmpty(),
                    Duration.ofSeconds(15), "the warning at the webhook");
            System.out.printf("[e2e] warning alert at the webhook %d ms after the failures%n",
                    Duration.ofNanos(System.nanoTime() - failedAt).toMillis());
            final JsonNode warning = alerts(received, "traffic.provider.paid").get(0);
            assertThat(warning.path("severity").asText()).isEqualTo("WARNING");
            assertThat(warning.path("recovery").asBoolean()).isFalse();
            assertThat(warning.path("message").asText()).contains("error rate high");
            assertThat(lodestar.script("shell.sh", "lodestar:alerts").output())
                    .contains("traffic.provider.paid");
            assertThat(lodestar.get("/metrics").body()).contains(
                    "lodestar_requests_total{provider=\"paid\",model=\"fake-large\","
                            + "status=\"502\"} 6");

            for (int i = 0; i < 20; i++) {
                assertThat(chat(lodestar).statusCode()).isEqualTo(200);
            }
            LodestarProcess.waitFor(() -> alerts(received, "traffic.provider.paid").stream()
                    .anyMatch(a -> a.path("recovery").asBoolean()), Duration.ofSeconds(15),
                    "the recovery at the webhook");
            Thread.sleep(2500);
            assertThat(alerts(received, "traffic.provider.paid")).as("one warning, one "
                    + "recovery").hasSize(2);
            assertThat(lodestar.script("status.sh").output()).contains("traffic.provider.paid");
            lodestar.stop();
        } finally {
            hook.stop(0);
        }
    }
}
