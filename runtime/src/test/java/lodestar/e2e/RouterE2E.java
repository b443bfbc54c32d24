package lodestar.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import lodestar.test.upstream.FakeUpstream;
import lodestar.test.upstream.Fault;
import org.junit.jupiter.api.Test;

/**
 * The router in the assembled runtime, driven by a real HTTP client, with an OpenAI-dialect
 * and an Ollama-dialect fake upstream: streaming, fallback after a 500, cooldown, a
 * rate-limited key, and a provider bundle uninstalled under load.
 */
class RouterE2E {

    private final HttpClient http = HttpClient.newHttpClient();

    private static void configure(final LodestarProcess lodestar, final FakeUpstream openai,
            final FakeUpstream ollama) throws Exception {
        try (Stream<Path> shipped = Files.list(lodestar.config)) {
            for (final Path file : shipped.toList()) {
                if (file.getFileName().toString().startsWith("lodestar.provider.")
                        || file.getFileName().toString().startsWith("lodestar.router")) {
                    Files.delete(file);
                }
            }
        }
        lodestar.writeConfig("lodestar.provider.openai-e2e.cfg", "id=paid\nbaseUrl="
                + openai.baseUrl() + "/v1\n.apiKey=sk-e2e\nmodels=fake-large\n"
                + "model.fake-large=context=128000,tools=true,input=2.5,output=10\n");
        lodestar.writeConfig("lodestar.provider.ollama-e2e.cfg", "id=local\nbaseUrl="
                + ollama.baseUrl() + "\nmodels=fake-small\n");
        lodestar.writeConfig("lodestar.router.cfg", "maxAttempts=1\ncooldownAfterFailures=2\n"
                + "cooldownSeconds=60\n.proxyKeys=alice:sk-alice\nrateLimitPerMinute=600\n"
                + "rateLimitBurst=200\nbaselineModel=fake-large\n");
        lodestar.writeConfig("lodestar.router.model-chain.cfg",
                "name=chain\nstrategy=fallback\ntargets=paid/fake-large,local/fake-small\n");
    }

    private HttpResponse<String> chat(final LodestarProcess lodestar, final String model,
            final boolean stream, final String key) throws Exception {
        final HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(
                "http://127.0.0.1:" + lodestar.port + "/v1/chat/completions"))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + model
                        + "\",\"stream\":" + stream + ",\"messages\":[{\"role\":\"user\","
                        + "\"content\":\"refactor this loop\"}]}"));
        if (key != null) {
            request.header("Authorization", "Bearer " + key);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void count(final HttpResponse<String> response, final AtomicInteger ok,
            final AtomicInteger failed) {
        if (response.statusCode() == 200) {
            ok.incrementAndGet();
        } else {
            failed.incrementAndGet();
            System.out.println("[e2e] failed under load: " + response.statusCode() + " "
                    + response.body());
        }
    }

    private static boolean isOk(final HttpResponse<String> response) {
        return response.statusCode() == 200;
    }

    @Test
    void routesStreamsFailsOverCoolsDownLimitsAndSurvivesAProviderRemoval() throws Exception {
        try (FakeUpstream openai = FakeUpstream.start();
                FakeUpstream ollama = FakeUpstream.start();
                LodestarProcess lodestar = new LodestarProcess()) {
            configure(lodestar, openai, ollama);
            lodestar.start();
            LodestarProcess.waitFor(() -> isOk(chat(lodestar, "chain", false, "sk-alice")),
                    Duration.ofSeconds(20), "the chain to serve");

            // streamed completion through the OpenAI-dialect provider
            final HttpResponse<String> sse = chat(lodestar, "chain", true, "sk-alice");
            assertThat(sse.statusCode()).isEqualTo(200);
            assertThat(sse.headers().firstValue("x-lodestar-model"))
                    .contains("paid/fake-large");
            assertThat(sse.body()).contains("\" fake-large\"").endsWith("data: [DONE]\n\n");

            // the Ollama-dialect provider streams NDJSON upstream, SSE to the client
            final HttpResponse<String> local = chat(lodestar, "fake-small", true, "sk-alice");
            assertThat(local.statusCode()).isEqualTo(200);
            assertThat(local.body()).contains("Hello").endsWith("data: [DONE]\n\n");
            assertThat(ollama.requests()).anyMatch(r -> r.path().equals("/api/chat"));

            // fallback after a 500
            openai.enqueue(Fault.status(500, null));
            final HttpResponse<String> fallback = chat(lodestar, "chain", false, "sk-alice");
            assertThat(fallback.statusCode()).isEqualTo(200);
            assertThat(fallback.headers().firstValue("x-lodestar-model"))
                    .contains("local/fake-small");

            // keys and rate limits
            assertThat(chat(lodestar, "chain", false, null).statusCode()).isEqualTo(401);
            assertThat(chat(lodestar, "chain", false, "sk-wrong").statusCode()).isEqualTo(401);

            // uninstall the OpenAI provider bundle under load: no request fails
            final AtomicBoolean running = new AtomicBoolean(true);
            final AtomicInteger ok = new AtomicInteger();
            final AtomicInteger failed = new AtomicInteger();
            final ExecutorService load = Executors.newFixedThreadPool(4);
            final List<Future<Void>> workers = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                workers.add(load.submit(() -> {
                    while (running.get()) {
                        count(chat(lodestar, "chain", false, "sk-alice"), ok, failed);
                    }
                    return null;
                }));
            }
            Thread.sleep(500);
            final String id = lodestar.script("shell.sh", "lb", "-s").output().lines()
                    .filter(line -> line.contains("|lodestar.provider.openai"))
                    .map(line -> line.substring(0, line.indexOf('|')).trim())
                    .findFirst().orElseThrow();
            assertThat(lodestar.script("shell.sh", "uninstall", id).exitCode()).isZero();
            Thread.sleep(1000);
            running.set(false);
            for (final Future<Void> worker : workers) {
                worker.get();
            }
            load.shutdown();
            System.out.printf("[e2e] provider uninstalled under load: %d ok, %d failed%n",
                    ok.get(), failed.get());
            assertThat(ok.get()).isGreaterThan(10);
            assertThat(failed.get()).isZero();
            assertThat(chat(lodestar, "fake-large", false, "sk-alice").statusCode())
                    .isEqualTo(404);

            // repeated failures put the remaining provider in cooldown: it is skipped
            ollama.enqueue(Fault.status(503, null));
            ollama.enqueue(Fault.status(503, null));
            chat(lodestar, "chain", false, "sk-alice");
            chat(lodestar, "chain", false, "sk-alice");
            final int before = ollama.served();
            final HttpResponse<String> cooled = chat(lodestar, "chain", false, "sk-alice");
            assertThat(cooled.statusCode()).isEqualTo(503);
            assertThat(cooled.body()).contains("no_provider_available");
            assertThat(ollama.served()).isEqualTo(before);
            assertThat(lodestar.script("shell.sh", "lodestar:providers").output())
                    .contains("open");

            // a rate-limited key gets 429 with Retry-After, live after a config edit
            lodestar.writeConfig("lodestar.router.cfg", ".proxyKeys=alice:sk-alice\n"
                    + "rateLimitPerMinute=1\nrateLimitBurst=1\n");
            LodestarProcess.waitFor(() -> {
                final HttpResponse<String> limited = chat(lodestar, "chain", false, "sk-alice");
                return limited.statusCode() == 429
                        && limited.headers().firstValue("Retry-After").isPresent()
                        && limited.body().contains("rate_limit_exceeded");
            }, Duration.ofSeconds(15), "a 429 for the rate-limited key");
            lodestar.stop();
        }
    }
}
