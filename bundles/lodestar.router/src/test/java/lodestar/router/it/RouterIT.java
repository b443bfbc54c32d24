package lodestar.router.it;

import static lodestar.test.support.Framework.endpoint;
import static lodestar.test.support.Framework.gogo;
import static lodestar.test.support.Framework.waitFor;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import lodestar.api.event.RequestEvent;
import lodestar.api.event.RequestListener;
import lodestar.api.health.Availability;
import lodestar.api.health.HealthContributor;
import lodestar.api.health.HealthResult;
import lodestar.api.health.Severity;
import lodestar.test.upstream.Fault;
import lodestar.test.upstream.FakeUpstream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.test.junit5.context.BundleContextExtension;

/**
 * The router inside a real framework with the real OpenAI-compatible provider bundle, talking
 * HTTP to a fake upstream: streaming, fallback, retries, cooldown, keys, limits, live removal.
 */
@ExtendWith(BundleContextExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RouterIT {

    /** How long {@code waitFor} polls before the test fails. */
    private static final Duration WAIT = Duration.ofSeconds(10);

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient client = HttpClient.newHttpClient();
    private final List<RequestEvent> events = new CopyOnWriteArrayList<>();
    private final List<Configuration> configurations = new ArrayList<>();
    private BundleContext context;
    private ConfigurationAdmin configAdmin;
    private FakeUpstream fake;
    private FakeUpstream other;
    private FakeUpstream third;
    private ServiceRegistration<RequestListener> listener;
    private String base;

    @BeforeAll
    void setUp() throws Exception {
        context = FrameworkUtil.getBundle(RouterIT.class).getBundleContext();
        configAdmin = context.getService(context.getServiceReference(ConfigurationAdmin.class));
        fake = FakeUpstream.start();
        other = FakeUpstream.start();
        third = FakeUpstream.start();
        listener = context.registerService(RequestListener.class, events::add, null);
        router("maxAttempts", "2", "backoffBaseMs", "10", "backoffMaxMs", "1500",
                "cooldownAfterFailures", "5", "cooldownSeconds", "60", "baselineModel",
                "fake-large");
        provider("p1", fake, "fake-small,fake-large",
                "model.fake-small", "context=8000,tools=true,input=0.10,output=0.20",
                "model.fake-large", "context=128000,tools=true,vision=true,input=2.5,output=10");
        provider("p2", other, "fake-small");
        provider("p3", third, "backup-model");
        virtual("chain", "fallback", "p1/fake-small,p2/fake-small");
        virtual("cheap", "cheapest", "");
        virtual("gpt-3.5-turbo", "fixed", "p3/backup-model");
        base = endpoint(context);
        waitFor(WAIT, "providers and virtual models to appear",
                () -> models().contains("backup-model") && models().contains("chain"));
    }

    @AfterAll
    void tearDown() throws Exception {
        listener.unregister();
        for (final Configuration configuration : configurations) {
            try {
                configuration.delete();
            } catch (final IllegalStateException ignored) {
                // configured more than once (router settings): already deleted
            }
        }
        fake.close();
        other.close();
        third.close();
    }

    /** A success on p1 and p2 closes their circuits, so tests do not depend on each other. */
    @BeforeEach
    void reset() throws Exception {
        fake.reset();
        other.reset();
        post("/v1/chat/completions", chat("fake-large", false, ""));
        post("/v1/chat/completions", chat("p2/fake-small", false, ""));
        fake.reset();
        other.reset();
        third.reset();
        events.clear();
    }

    private Configuration configure(final Configuration configuration, final String... kv)
            throws Exception {
        final Dictionary<String, Object> properties = new Hashtable<>();
        for (int i = 0; i < kv.length; i += 2) {
            properties.put(kv[i], kv[i + 1]);
        }
        configuration.update(properties);
        configurations.add(configuration);
        return configuration;
    }

    private void router(final String... kv) throws Exception {
        configure(configAdmin.getConfiguration("lodestar.router", "?"), kv);
    }

    private void provider(final String id, final FakeUpstream upstream, final String models,
            final String... extra) throws Exception {
        final List<String> kv = new ArrayList<>(List.of("id", id, "baseUrl",
                upstream.baseUrl() + "/v1", ".apiKey", "sk-test-" + id, "models", models,
                "firstByteTimeoutMs", "3000"));
        kv.addAll(List.of(extra));
        configure(configAdmin.getFactoryConfiguration("lodestar.provider.openai", id, "?"),
                kv.toArray(new String[0]));
    }

    private void virtual(final String name, final String strategy, final String targets)
            throws Exception {
        configure(configAdmin.getFactoryConfiguration("lodestar.router.model", name, "?"),
                "name", name, "strategy", strategy, "targets", targets);
    }

    private String models() throws Exception {
        final HttpResponse<String> response = client.send(HttpRequest.newBuilder(
                URI.create(endpoint(context) + "/v1/models")).build(),
                HttpResponse.BodyHandlers.ofString());
        return response.statusCode() == 200 ? response.body() : "";
    }

    private HttpResponse<String> post(final String path, final String body, final String... hdr)
            throws Exception {
        final HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(base + path))
                .timeout(Duration.ofSeconds(20)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < hdr.length; i += 2) {
            builder.header(hdr[i], hdr[i + 1]);
        }
        return client.send(builder.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String chat(final String model, final boolean stream, final String extra) {
        return "{\"model\":\"" + model + "\",\"stream\":" + stream + ",\"messages\":[{\"role\":"
                + "\"user\",\"content\":\"write a haiku\"}]" + extra + "}";
    }

    private RequestEvent eventOf(final HttpResponse<String> response) throws Exception {
        final String id = response.headers().firstValue("x-lodestar-request-id").orElseThrow();
        waitFor(WAIT, "the event of request " + id,
                () -> events.stream().anyMatch(e -> e.requestId().equals(id)));
        return events.stream().filter(e -> e.requestId().equals(id)).findFirst().orElseThrow();
    }

    @Test
    void nonStreamingAnswerCarriesRouteHeadersAndPublishesAnEvent() throws Exception {
        final HttpResponse<String> response = post("/v1/chat/completions",
                chat("fake-large", false, ",\"seed\":7,\"tool_choice\":\"auto\",\"x_vendor\":1"),
                "x-lodestar-session", "s-1");
        final JsonNode json = JSON.readTree(response.body());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(json.at("/choices/0/message/content").asText()).isEqualTo(
                "Hello from fake-large");
        assertThat(response.headers().firstValue("x-lodestar-model")).contains("p1/fake-large");
        assertThat(response.headers().firstValue("x-lodestar-route").orElseThrow())
                .startsWith("direct;");
        assertThat(Double.parseDouble(response.headers().firstValue("x-lodestar-overhead-ms")
                .orElseThrow())).isGreaterThanOrEqualTo(0);
        final JsonNode sent = fake.requests().get(0).json();
        assertThat(sent.path("seed").asInt()).isEqualTo(7);
        assertThat(sent.path("tool_choice").asText()).isEqualTo("auto");
        assertThat(sent.path("x_vendor").asInt()).isEqualTo(1);
        assertThat(fake.requests().get(0).headers().get("Authorization"))
                .isEqualTo("Bearer sk-test-p1");
        final RequestEvent event = eventOf(response);
        assertThat(event.sessionId()).isEqualTo("s-1");
        assertThat(event.model()).isEqualTo("fake-large");
        assertThat(event.tokens().input()).isEqualTo(3);
        assertThat(event.tokens().output()).isEqualTo(3);
        assertThat(event.costUsd()).isEqualTo(3 * 2.5e-6 + 3 * 10e-6);
        assertThat(event.baselineCostUsd()).isEqualTo(event.costUsd());
    }

    @Test
    void streamingRelaysChunksAndStripsTheUsageChunkUnlessAsked() throws Exception {
        final HttpResponse<String> plain = post("/v1/chat/completions",
                chat("chain", true, ""));
        assertThat(plain.statusCode()).isEqualTo(200);
        assertThat(plain.headers().firstValue("content-type").orElseThrow())
                .startsWith("text/event-stream");
        assertThat(plain.body()).contains("\"content\":\" from\"").endsWith("data: [DONE]\n\n")
                .doesNotContain("usage");
        assertThat(fake.requests().get(0).json().at("/stream_options/include_usage").asBoolean())
                .isTrue();
        assertThat(eventOf(plain).tokens().estimated()).isFalse();
        assertThat(eventOf(plain).streamed()).isTrue();
        assertThat(eventOf(plain).timeToFirstToken()).isNotNull();

        final HttpResponse<String> withUsage = post("/v1/chat/completions",
                chat("chain", true, ",\"stream_options\":{\"include_usage\":true}"));
        assertThat(withUsage.body()).contains("\"usage\":{\"prompt_tokens\":3")
                .endsWith("data: [DONE]\n\n");
    }

    @Test
    void toolCallFragmentsArriveIntact() throws Exception {
        final String body = "{\"model\":\"fake-large\",\"stream\":true,\"tools\":[{\"type\":"
                + "\"function\",\"function\":{\"name\":\"open_file\",\"parameters\":{}}}],"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"please use the tool\"}]}";
        final String streamed = post("/v1/chat/completions", body).body();
        final StringBuilder arguments = new StringBuilder();
        for (final String event : streamed.split("\n\n")) {
            if (event.startsWith("data: {")) {
                final JsonNode call = JSON.readTree(event.substring(6))
                        .at("/choices/0/delta/tool_calls/0/function/arguments");
                if (call.isTextual()) {
                    arguments.append(call.asText());
                }
            }
        }
        assertThat(arguments.toString()).isEqualTo("{\"path\":\"src/Main.java\",\"line\":42}");
        assertThat(streamed).contains("\"finish_reason\":\"tool_calls\"");
    }

    @Test
    void aServerErrorIsRetriedThenFailsOverToTheNextCandidate() throws Exception {
        fake.enqueue(Fault.status(500, null));
        fake.enqueue(Fault.status(500, null));
        final HttpResponse<String> response = post("/v1/chat/completions",
                chat("chain", false, ""));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-lodestar-model")).contains("p2/fake-small");
        assertThat(response.headers().firstValue("x-lodestar-route").orElseThrow())
                .contains("attempts=3");
        assertThat(fake.requests()).hasSize(2);
        assertThat(other.requests()).hasSize(1);
        assertThat(eventOf(response).attempts()).isEqualTo(3);
    }

    @Test
    void retryAfterIsHonouredAndQuotaIsNotRetried() throws Exception {
        fake.enqueue(Fault.status(429, "1"));
        final long start = System.nanoTime();
        final HttpResponse<String> limited = post("/v1/chat/completions",
                chat("fake-large", false, ""));
        assertThat(limited.statusCode()).isEqualTo(200);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(
                Duration.ofMillis(900));
        assertThat(fake.requests()).hasSize(2);

        fake.reset();
        fake.enqueue(Fault.status(429, null,
                "{\"error\":{\"message\":\"You exceeded your current quota\","
                        + "\"code\":\"insufficient_quota\"}}"));
        final HttpResponse<String> quota = post("/v1/chat/completions",
                chat("chain", false, ""));
        assertThat(quota.statusCode()).isEqualTo(200);
        assertThat(fake.requests()).hasSize(1);
        assertThat(quota.headers().firstValue("x-lodestar-model")).contains("p2/fake-small");
    }

    @Test
    void upstreamBadRequestIsNotFailedOver() throws Exception {
        fake.enqueue(Fault.status(400, null,
                "{\"error\":{\"message\":\"max_tokens is too large\"}}"));
        final HttpResponse<String> response = post("/v1/chat/completions",
                chat("chain", false, ""));

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(response.body()).at("/error/message").asText())
                .contains("max_tokens is too large");
        assertThat(other.requests()).isEmpty();
    }

    @Test
    void aStreamCutMidwayEndsWithAnSseError() throws Exception {
        fake.enqueue(Fault.resetMidStream(2));
        final HttpResponse<String> response = post("/v1/chat/completions",
                chat("fake-large", true, ""));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("\"stream_interrupted\"")
                .endsWith("data: [DONE]\n\n");
        waitFor(WAIT, "an event recording the interrupted stream, among " + events,
                () -> events.stream().anyMatch(e -> "stream_interrupted".equals(e.errorType())));
    }

    @Test
    void repeatedFailuresPutAProviderInCooldown() throws Exception {
        for (int i = 0; i < 10; i++) {
            third.enqueue(Fault.status(503, null));
        }
        for (int i = 0; i < 3; i++) {
            post("/v1/chat/completions", chat("gpt-3.5-turbo", false, ""));
        }
        final HttpResponse<String> cooled = post("/v1/chat/completions",
                chat("gpt-3.5-turbo", false, ""));

        assertThat(cooled.statusCode()).isEqualTo(503);
        assertThat(cooled.body()).contains("no_provider_available");
        assertThat(third.requests()).hasSize(5);
        assertThat(gogo(context, "lodestar:providers")).contains("p3").contains("open");
        assertThat(gogo(context, "lodestar:route chain hello")).contains("1. p1/fake-small");
    }

    @Test
    void requestsAreValidatedWithOpenAiShapedErrors() throws Exception {
        final HttpResponse<String> unknown = post("/v1/chat/completions",
                chat("no-such-model", false, ""));
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(unknown.body()).at("/error/code").asText())
                .isEqualTo("model_not_found");

        final HttpResponse<String> notJson = post("/v1/chat/completions", "{nope");
        assertThat(notJson.statusCode()).isEqualTo(400);
        assertThat(notJson.body()).contains("not valid JSON");

        final HttpResponse<String> wrongType = post("/v1/chat/completions",
                chat("fake-large", false, ",\"temperature\":\"hot\""));
        assertThat(wrongType.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(wrongType.body()).at("/error/param").asText())
                .isEqualTo("temperature");

        final HttpResponse<String> noMessages = post("/v1/chat/completions",
                "{\"model\":\"fake-large\"}");
        assertThat(JSON.readTree(noMessages.body()).at("/error/param").asText())
                .isEqualTo("messages");
        assertThat(post("/v1/chat/completions", "[]").statusCode()).isEqualTo(400);
        assertThat(post("/v1/chat/completions", "{\"messages\":[]}").body())
                .contains("'model' is required");
    }

    @Test
    void keysAndRateLimitsProtectTheProxy() throws Exception {
        router(".proxyKeys", "alice:sk-alice", "rateLimitPerMinute", "1",
                "rateLimitBurst", "1", "maxBodyBytes", "2048", "maxAttempts", "2",
                "backoffBaseMs", "10");
        try {
            waitFor(WAIT, "keys to apply", () -> post("/v1/chat/completions",
                    chat("fake-large", false, "")).statusCode() == 401);
            assertThat(post("/v1/chat/completions", chat("fake-large", false, ""),
                    "Authorization", "Bearer wrong").statusCode()).isEqualTo(401);
            final HttpResponse<String> allowed = post("/v1/chat/completions",
                    chat("fake-large", false, ""), "Authorization", "Bearer sk-alice");
            assertThat(allowed.statusCode()).isEqualTo(200);
            final HttpResponse<String> limited = post("/v1/chat/completions",
                    chat("fake-large", false, ""), "Authorization", "Bearer sk-alice");
            assertThat(limited.statusCode()).isEqualTo(429);
            assertThat(limited.headers().firstValue("Retry-After")).isPresent();
            assertThat(eventOf(allowed).clientId()).isEqualTo("alice");
        } finally {
            router("maxAttempts", "2", "backoffBaseMs", "10", "backoffMaxMs", "1500",
                    "cooldownAfterFailures", "5", "cooldownSeconds", "60", "maxBodyBytes",
                    "2048", "baselineModel", "fake-large");
            waitFor(WAIT, "keys to be removed", () -> post("/v1/chat/completions",
                    chat("fake-large", false, "")).statusCode() == 200);
        }
        final HttpResponse<String> tooBig = post("/v1/chat/completions",
                chat("fake-large", false, ",\"pad\":\"" + "x".repeat(4096) + "\""));
        assertThat(tooBig.statusCode()).isEqualTo(413);
    }

    @Test
    void embeddingsAndCompletionsArePassedThrough() throws Exception {
        final HttpResponse<String> embedding = post("/v1/embeddings",
                "{\"model\":\"fake-small\",\"input\":\"hello world\"}");
        assertThat(embedding.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(embedding.body()).at("/data/0/embedding")).hasSize(3);

        final HttpResponse<String> completion = post("/v1/completions",
                "{\"model\":\"chain\",\"prompt\":\"def add(a, b):\",\"stream\":true}");
        assertThat(completion.statusCode()).isEqualTo(200);
        assertThat(completion.body()).endsWith("data: [DONE]\n\n");
        assertThat(completion.headers().firstValue("x-lodestar-model")).isPresent();
        assertThat(post("/v1/embeddings", "{\"input\":\"x\"}").statusCode()).isEqualTo(400);
    }

    @Test
    void stoppingAProviderBundleRemovesItsModelsLive() throws Exception {
        final Bundle openai = List.of(context.getBundles()).stream()
                .filter(b -> "lodestar.provider.openai".equals(b.getSymbolicName()))
                .findFirst().orElseThrow();
        assertThat(models()).contains("fake-large").contains("chain").contains("gpt-3.5-turbo");
        assertThat(gogo(context, "lodestar:models")).contains("fake-large").contains("chain");
        openai.stop();
        try {
            waitFor(WAIT, "models to disappear", () -> !models().contains("fake-large"));
            final HttpResponse<String> response = post("/v1/chat/completions",
                    chat("chain", false, ""));
            assertThat(response.statusCode()).isEqualTo(503);
        } finally {
            openai.start();
            waitFor(WAIT, "models to come back", () -> models().contains("fake-large"));
        }
    }

    /**
     * Sends a streamed completion over a raw socket, reads until {@code marker} arrived (or
     * nothing when it is {@code null}) and closes the connection: a user pressing Esc.
     */
    private void hangUp(final String body, final String marker) throws Exception {
        final URI uri = URI.create(base);
        try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
            socket.setSoTimeout(10_000);
            final byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            final OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: " + uri.getHost()
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + bytes.length
                    + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(bytes);
            out.flush();
            if (marker != null) {
                final InputStream in = socket.getInputStream();
                final StringBuilder seen = new StringBuilder();
                final byte[] buffer = new byte[4096];
                while (!seen.toString().contains(marker)) {
                    final int n = in.read(buffer);
                    assertThat(n).as("bytes before " + marker + " in " + seen).isPositive();
                    seen.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
                }
            } else {
                Thread.sleep(300);
            }
        }
    }

    @Test
    void aClientHangingUpMidStreamCancelsTheUpstreamCall() throws Exception {
        final List<String> words = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            words.add("word" + i);
        }
        fake.reply(String.join(" ", words));
        fake.enqueue(Fault.slowStream(Duration.ofMillis(100)));
        final int before = fake.aborted();
        final long start = System.nanoTime();
        hangUp(chat("fake-large", true, ""), "word1");

        // the full answer would take 4 s upstream; the cancelled call ends long before
        waitFor(WAIT, "the upstream connection to be closed", () -> fake.aborted() > before);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(
                Duration.ofMillis(3000));
        waitFor(WAIT, "an event recording the hang-up, among " + events,
                () -> events.stream().anyMatch(e -> e.status() == 499
                        && "client_closed_request".equals(e.errorType())));
    }

    /**
     * Jetty does not watch an idle connection while the servlet waits, so a hang-up before
     * the first byte is noticed when the first chunk is written; the upstream call is then
     * cancelled at once rather than streamed to the end.
     */
    @Test
    void aClientHangingUpBeforeTheFirstByteIsNoticedAtTheFirstChunk() throws Exception {
        final List<String> words = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            words.add("word" + i);
        }
        fake.reply(String.join(" ", words));
        fake.enqueue(Fault.slowStream(Duration.ofMillis(400)));
        final int before = fake.aborted();
        final long start = System.nanoTime();
        hangUp(chat("fake-large", true, ""), null);

        // 40 chunks at 400 ms would take 16 s; the cancelled call ends after two or three
        waitFor(WAIT, "the upstream connection to be closed", () -> fake.aborted() > before);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(
                Duration.ofMillis(4000));
        waitFor(WAIT, "an event recording the hang-up, among " + events,
                () -> events.stream().anyMatch(e -> e.status() == 499));
    }

    @Test
    void aTargetTheHealthMonitorSeesAsDownIsSkippedUntilItRecovers() throws Exception {
        final java.util.concurrent.atomic.AtomicBoolean down =
                new java.util.concurrent.atomic.AtomicBoolean(true);
        final ServiceRegistration<Availability> verdict = context.registerService(
                Availability.class, (provider, model) -> down.get() && "p1".equals(provider)
                        ? Optional.of("probe failed") : Optional.empty(), null);
        try {
            final int served = fake.served();
            final HttpResponse<String> skipped = post("/v1/chat/completions",
                    chat("chain", false, ""));
            assertThat(skipped.statusCode()).isEqualTo(200);
            assertThat(skipped.headers().firstValue("x-lodestar-model")).contains(
                    "p2/fake-small");
            assertThat(fake.served()).isEqualTo(served);
            assertThat(models()).doesNotContain("\"fake-large\"");

            down.set(false);
            final HttpResponse<String> back = post("/v1/chat/completions",
                    chat("chain", false, ""));
            assertThat(back.headers().firstValue("x-lodestar-model")).contains("p1/fake-small");
        } finally {
            verdict.unregister();
        }
    }

    @Test
    void theRouterContributesItsOwnHealthChecks() throws Exception {
        final HealthContributor router = context.getServiceReferences(HealthContributor.class,
                null).stream().map(context::getService).filter(c -> "router".equals(c.name()))
                .findFirst().orElseThrow();
        final Map<String, HealthResult> results = new java.util.HashMap<>();
        router.check().forEach(r -> results.put(r.name(), r));
        assertThat(results.get("router").severity()).isEqualTo(Severity.OK);
        assertThat(results.get("router.provider.p1").severity()).isEqualTo(Severity.OK);
        assertThat(results.get("router.model.chain").message()).contains("p1/fake-small");
        assertThat(results.get("router.events").severity()).isEqualTo(Severity.OK);

        // failures put a provider in cooldown: a warning for it, and a critical for the alias
        // whose only target it is (its own provider, so other tests' circuits are untouched)
        final List<Configuration> added = new ArrayList<>();
        try (FakeUpstream fourth = FakeUpstream.start()) {
            provider("p4", fourth, "solo-model");
            added.add(configurations.get(configurations.size() - 1));
            virtual("solo", "fixed", "p4/solo-model");
            added.add(configurations.get(configurations.size() - 1));
            waitFor(WAIT, "p4 and its alias to appear",
                    () -> models().contains("solo-model") && models().contains("\"solo\""));
            for (int i = 0; i < 10; i++) {
                fourth.enqueue(Fault.status(503, null));
            }
            for (int i = 0; i < 3; i++) {
                post("/v1/chat/completions", chat("solo", false, ""));
            }
            results.clear();
            router.check().forEach(r -> results.put(r.name(), r));
            assertThat(results.get("router.provider.p4").severity())
                    .isEqualTo(Severity.WARNING);
            assertThat(results.get("router.provider.p4").message()).contains("cooldown");
            assertThat(results.get("router.model.solo").severity())
                    .isEqualTo(Severity.CRITICAL);
        } finally {
            for (final Configuration configuration : added) {
                configurations.remove(configuration);
                configuration.delete();
            }
        }
        assertThat(results.get("router.model.chain").severity()).isEqualTo(Severity.OK);
    }

    private static String anthropic(final String model, final boolean stream,
            final String extra) {
        return ("{'model':'" + model + "','max_tokens':256,'stream':" + stream
                + ",'system':'be brief','messages':[{'role':'user','content':'write a haiku'}]"
                + extra + "}").replace('\'', '"');
    }

    @Test
    void anAnthropicClientIsServedByAnOpenAiProviderInItsOwnDialect() throws Exception {
        final HttpResponse<String> answer = post("/v1/messages",
                anthropic("fake-large", false, ""), "x-api-key", "anything",
                "anthropic-version", "2023-06-01", "x-claude-code-session-id", "cc-1");
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        final JsonNode message = JSON.readTree(answer.body());
        assertThat(message.path("type").asText()).isEqualTo("message");
        assertThat(message.path("content").get(0).path("text").asText())
                .isEqualTo("Hello from fake-large");
        assertThat(message.path("usage").path("output_tokens").asInt()).isPositive();
        final RequestEvent event = eventOf(answer);
        assertThat(event.endpoint()).isEqualTo("/v1/messages");
        assertThat(event.sessionId()).isEqualTo("cc-1");
        assertThat(fake.requests().get(0).json().path("messages").get(0).path("role")
                .asText()).isEqualTo("system");
        assertThat(fake.requests().get(0).headers()).doesNotContainKey("anthropic-version")
                .doesNotContainKey("x-claude-code-session-id");

        final HttpResponse<String> stream = post("/v1/messages", anthropic("fake-large", true,
                ",'tools':[{'name':'read_file','input_schema':{'type':'object'}}]"
                        .replace('\'', '"')).replace("write a haiku", "use the tool"));
        assertThat(stream.statusCode()).as(stream.body()).isEqualTo(200);
        assertThat(stream.headers().firstValue("Content-Type")).get().asString()
                .startsWith("text/event-stream");
        final String body = stream.body();
        assertThat(body).startsWith("event: message_start\n")
                .contains("event: content_block_start\ndata: {\"type\":\"content_block_start\","
                        + "\"index\":0,\"content_block\":{\"type\":\"tool_use\"")
                .contains("\"type\":\"input_json_delta\"")
                .contains("\"stop_reason\":\"tool_use\"")
                .endsWith("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
        final StringBuilder arguments = new StringBuilder();
        for (final String line : body.split("\n")) {
            if (line.startsWith("data: ") && line.contains("input_json_delta")) {
                arguments.append(JSON.readTree(line.substring(6)).path("delta")
                        .path("partial_json").asText());
            }
        }
        assertThat(JSON.readTree(arguments.toString()).path("line").asInt()).isEqualTo(42);
        assertThat(eventOf(stream).tokens().output()).isPositive();
    }

    @Test
    void anthropicErrorsAndTokenCountsComeInAnthropicsShape() throws Exception {
        final HttpResponse<String> missing = post("/v1/messages", "{\"model\":\"fake-large\","
                + "\"messages\":[]}");
        assertThat(missing.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(missing.body()).path("type").asText()).isEqualTo("error");
        assertThat(JSON.readTree(missing.body()).path("error").path("type").asText())
                .isEqualTo("invalid_request_error");
        assertThat(JSON.readTree(missing.body()).path("error").path("message").asText())
                .contains("max_tokens");

        final HttpResponse<String> unknown = post("/v1/messages", anthropic("no-such-model",
                false, ""));
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(unknown.body()).contains("\"not_found_error\"");

        fake.enqueue(Fault.status(500, null));
        fake.enqueue(Fault.status(500, null));
        final HttpResponse<String> failed = post("/v1/messages", anthropic("p1/fake-large",
                false, ""));
        assertThat(failed.statusCode()).isEqualTo(502);
        assertThat(failed.body()).contains("\"api_error\"");

        final HttpResponse<String> count = post("/v1/messages/count_tokens",
                "{\"model\":\"fake-large\",\"messages\":[{\"role\":\"user\","
                        + "\"content\":\"count these words please\"}]}");
        assertThat(count.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(count.body()).path("input_tokens").asInt()).isPositive();
    }

    @Test
    void aResponsesClientIsServedInTheResponsesDialect() throws Exception {
        final HttpResponse<String> answer = post("/v1/responses", ("{'model':'fake-large',"
                + "'instructions':'be brief','input':'write a haiku','store':false}")
                .replace('\'', '"'));
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        final JsonNode response = JSON.readTree(answer.body());
        assertThat(response.path("object").asText()).isEqualTo("response");
        assertThat(response.path("status").asText()).isEqualTo("completed");
        assertThat(response.path("output").get(0).path("content").get(0).path("text").asText())
                .isEqualTo("Hello from fake-large");
        assertThat(response.path("usage").path("total_tokens").asInt()).isPositive();
        assertThat(eventOf(answer).endpoint()).isEqualTo("/v1/responses");

        final HttpResponse<String> stream = post("/v1/responses", ("{'model':'fake-large',"
                + "'stream':true,'input':[{'role':'user','content':[{'type':'input_text',"
                + "'text':'use the tool'}]}],'tools':[{'type':'function','name':'read_file',"
                + "'parameters':{'type':'object'}}]}").replace('\'', '"'));
        assertThat(stream.statusCode()).as(stream.body()).isEqualTo(200);
        final List<String> types = new ArrayList<>();
        final StringBuilder arguments = new StringBuilder();
        JsonNode completed = null;
        for (final String line : stream.body().split("\n")) {
            if (line.startsWith("data: ")) {
                final JsonNode event = JSON.readTree(line.substring(6));
                types.add(event.path("type").asText());
                if ("response.function_call_arguments.delta".equals(event.path("type")
                        .asText())) {
                    arguments.append(event.path("delta").asText());
                }
                if ("response.completed".equals(event.path("type").asText())) {
                    completed = event.path("response");
                }
            }
        }
        assertThat(types).startsWith("response.created", "response.in_progress",
                "response.output_item.added").endsWith("response.output_item.done",
                "response.completed").contains("response.function_call_arguments.done");
        assertThat(JSON.readTree(arguments.toString()).path("line").asInt()).isEqualTo(42);
        assertThat(completed).isNotNull();
        assertThat(completed.path("output").get(0).path("type").asText())
                .isEqualTo("function_call");
        assertThat(completed.path("usage").path("output_tokens").asInt()).isPositive();

        final HttpResponse<String> stateful = post("/v1/responses", ("{'model':'fake-large',"
                + "'input':'more','previous_response_id':'resp_1'}").replace('\'', '"'));
        assertThat(stateful.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(stateful.body()).path("error").path("param").asText())
                .isEqualTo("previous_response_id");
    }

    @Test
    void anEmptyOrRefusedCheapAnswerEscalatesToTheNextCandidate() throws Exception {
        fake.reply("");
        final HttpResponse<String> empty = post("/v1/chat/completions", chat("chain", false,
                ""));
        assertThat(empty.statusCode()).isEqualTo(200);
        assertThat(empty.headers().firstValue("x-lodestar-model")).contains("p2/fake-small");
        assertThat(empty.headers().firstValue("x-lodestar-route").orElseThrow())
                .contains("escalated: p1/fake-small (empty answer)");

        fake.reply("I'm sorry, but I can't help with that.");
        final HttpResponse<String> refused = post("/v1/chat/completions", chat("chain", false,
                ""));
        assertThat(refused.headers().firstValue("x-lodestar-model")).contains("p2/fake-small");

        // the last candidate's answer is kept, whatever it is
        other.reply("");
        final HttpResponse<String> last = post("/v1/chat/completions", chat("chain", false,
                ""));
        assertThat(last.statusCode()).isEqualTo(200);
        assertThat(last.headers().firstValue("x-lodestar-model")).contains("p2/fake-small");
    }

    @Test
    void contentReachesContentListenersOnlyAndStreamsAreReassembled() throws Exception {
        final List<lodestar.api.event.ExchangeContent> contents = new CopyOnWriteArrayList<>();
        final ServiceRegistration<lodestar.api.event.ContentListener> registration =
                context.registerService(lodestar.api.event.ContentListener.class,
                        contents::add, null);
        try {
            final HttpResponse<String> streamed = post("/v1/chat/completions",
                    chat("fake-large", true, ",\"tools\":[{\"type\":\"function\","
                            + "\"function\":{\"name\":\"read_file\",\"parameters\":{}}}]")
                            .replace("write a haiku", "use the tool"));
            assertThat(streamed.statusCode()).isEqualTo(200);
            final String id = streamed.headers().firstValue("x-lodestar-request-id")
                    .orElseThrow();
            waitFor(WAIT, "the content of the streamed request",
                    () -> contents.stream().anyMatch(c -> c.requestId().equals(id)));
            final lodestar.api.event.ExchangeContent content = contents.stream()
                    .filter(c -> c.requestId().equals(id)).findFirst().orElseThrow();
            assertThat(content.request().path("messages").get(0).path("content").asText())
                    .isEqualTo("use the tool");
            assertThat(content.finishReason()).isEqualTo("tool_calls");
            assertThat(JSON.readTree(content.answer().path("choices").get(0).path("message")
                    .path("tool_calls").get(0).path("function").path("arguments").asText())
                    .path("line").asInt()).isEqualTo(42);
            assertThat(content.model()).isEqualTo("fake-large");

            final HttpResponse<String> plain = post("/v1/chat/completions",
                    chat("fake-large", false, ""));
            final String plainId = plain.headers().firstValue("x-lodestar-request-id")
                    .orElseThrow();
            waitFor(WAIT, "the content of the plain request",
                    () -> contents.stream().anyMatch(c -> c.requestId().equals(plainId)));
        } finally {
            registration.unregister();
        }
        contents.clear();
        final HttpResponse<String> after = post("/v1/chat/completions",
                chat("fake-large", false, ""));
        assertThat(after.statusCode()).isEqualTo(200);
        Thread.sleep(300);
        assertThat(contents).as("no listener, no content kept").isEmpty();
    }
}
