package lodestar.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import lodestar.test.upstream.FakeUpstream;
import org.junit.jupiter.api.Test;

/**
 * Usage tracking in the assembled runtime: requests sent through the router are read back from
 * {@code /api/usage}, its sessions and its savings against the baseline model.
 */
class UsageE2E {

    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> chat(final LodestarProcess lodestar, final String model,
            final String session) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + lodestar.port
                + "/v1/chat/completions")).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").header("x-lodestar-session", session)
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + model + "\","
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"refactor this loop "
                        + "please\"}]}")).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void requestsThroughTheRouterAreReadBackFromTheUsageApi() throws Exception {
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
                    + upstream.baseUrl() + "/v1\n.apiKey=sk-e2e\nmodels=fake-small,fake-large\n"
                    + "model.fake-small=context=8000,input=0.1,output=0.2\n"
                    + "model.fake-large=context=128000,input=2.5,output=10\n");
            lodestar.writeConfig("lodestar.router.cfg", "baselineModel=fake-large\n");
            lodestar.start();
            LodestarProcess.waitFor(() -> chat(lodestar, "fake-small", "warm").statusCode()
                    == 200, Duration.ofSeconds(20), "the provider to serve");
            // events published before the usage bundle listens are not recorded: wait for it
            LodestarProcess.waitFor(() -> lodestar.get("/api/usage").statusCode() == 200,
                    Duration.ofSeconds(20), "usage tracking to start");
            final int before = LodestarProcess.JSON.readTree(lodestar.get("/api/usage")
                    .body()).path("total").path("requests").asInt();

            for (int i = 0; i < 3; i++) {
                assertThat(chat(lodestar, "fake-small", "alice").statusCode()).isEqualTo(200);
            }
            assertThat(chat(lodestar, "fake-large", "alice").statusCode()).isEqualTo(200);
            assertThat(chat(lodestar, "fake-small", "bob").statusCode()).isEqualTo(200);

            try {
                LodestarProcess.waitFor(() -> {
                    final HttpResponse<String> usage = lodestar.get("/api/usage?groupBy=model");
                    return usage.statusCode() == 200 && LodestarProcess.JSON.readTree(
                            usage.body()).path("total").path("requests").asInt() >= before + 5;
                }, Duration.ofSeconds(15), "5 more requests in /api/usage");
            } catch (final AssertionError e) {
                throw new AssertionError(e.getMessage() + "; /api/usage: "
                        + lodestar.get("/api/usage").body() + "; usage health: "
                        + lodestar.get("/health").body().replaceAll(".*(\"usage[^}]*}).*",
                                "$1") + "; log tail:\n" + lodestar.log().substring(Math.max(0,
                                lodestar.log().length() - 4000)), e);
            }
            final JsonNode byModel = LodestarProcess.JSON.readTree(
                    lodestar.get("/api/usage?groupBy=model").body());
            System.out.println("[e2e] /api/usage?groupBy=model " + byModel);
            assertThat(byModel.path("rows").toString()).contains("fake-small")
                    .contains("fake-large");
            assertThat(byModel.path("total").path("tokens").path("output").asLong()).isPositive();

            final JsonNode savings = LodestarProcess.JSON.readTree(
                    lodestar.get("/api/usage/savings").body());
            System.out.println("[e2e] /api/usage/savings " + savings);
            // the warm-up request may or may not have been written when 'before' was read
            assertThat(savings.path("requests").asInt()).isBetween(before + 5, before + 6);
            assertThat(savings.path("savedPercent").asDouble()).as("5 of 6 on the cheap model")
                    .isGreaterThan(50);

            final JsonNode sessions = LodestarProcess.JSON.readTree(
                    lodestar.get("/api/usage/sessions").body());
            System.out.println("[e2e] /api/usage/sessions " + sessions);
            assertThat(sessions.toString()).as("session ids are stored as keyed hashes")
                    .doesNotContain("alice").doesNotContain("bob");
            assertThat(sessions.path("sessions").size()).isBetween(2, 3);
            assertThat(sessions.path("sessions")).anySatisfy(s -> {
                assertThat(s.path("requests").asInt()).isEqualTo(4);
                assertThat(s.path("modelSwitches").asInt()).isEqualTo(1);
            });

            final HttpResponse<String> bad = lodestar.get("/api/usage?groupBy=planet");
            assertThat(bad.statusCode()).isEqualTo(400);
            assertThat(LodestarProcess.JSON.readTree(bad.body()).path("error").path("param")
                    .asText()).isEqualTo("groupBy");
            assertThat(lodestar.script("shell.sh", "lodestar:savings").output())
                    .containsIgnoringCase("saved");
            lodestar.stop();
        }
    }
}
