package lodestar.learning.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import lodestar.api.chat.ChatRequest;
import lodestar.api.event.RequestEvent;
import lodestar.api.provider.ModelInfo;
import lodestar.api.routing.RouteDecision;
import lodestar.api.routing.RoutingContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AbStrategyTest {

    private static final ModelInfo V1 = model("lodestar-coder:v1");
    private static final ModelInfo V2 = model("lodestar-coder:v2");
    private static final ModelInfo BIG = new ModelInfo("gpt-4o", "openai", 128_000, true, true,
            false, 2.5e-6, 1e-5);

    @TempDir
    Path dir;
    private LearningStore store;
    private ModelRegistry registry;
    private AbStrategy ab;

    @BeforeEach
    void setUp() throws Exception {
        store = Fixtures.store(dir, new AtomicLong(1), "ollamaUrl", "");
        registry = new ModelRegistry(store, new OllamaDeployer(HttpClient.newHttpClient(),
                Duration.ofSeconds(1)));
        ab = new AbStrategy(registry);
    }

    @AfterEach
    void tearDown() {
        ab.deactivate();
    }

    static ModelInfo model(final String id) {
        return new ModelInfo(id, "ollama", 8192, false, false, true, 0, 0);
    }

    private static RoutingContext context(final String session, final Map<String, String> settings,
            final ModelInfo... available) {
        return new RoutingContext("coder", null, session == null ? Map.of()
                : Map.of("x-lodestar-session", session), settings, List.of(available));
    }

    private static String sessionIn(final boolean candidate, final int percent) {
        for (int i = 0;; i++) {
            if ((AbStrategy.bucket("s:" + i) < percent) == candidate) {
                return String.valueOf(i);
            }
        }
    }

    @Test
    void splitsStickyBySessionWithTheOtherArmAsFailOver() {
        final Map<String, String> settings = Map.of("live", "ollama/lodestar-coder:v1",
                "candidate", "lodestar-coder:v2", "candidatePercent", "30", "fallback",
                "openai/gpt-4o, missing");
        final String toCandidate = sessionIn(true, 30);
        final RouteDecision c = ab.route(context(toCandidate, settings, BIG, V1, V2));
        assertThat(c.candidates()).containsExactly(V2, V1, BIG);
        assertThat(c.explanation()).startsWith("ab:candidate lodestar-coder:v2 (bucket");
        assertThat(ab.route(context(toCandidate, settings, BIG, V1, V2)).candidates().get(0))
                .isEqualTo(V2);
        final RouteDecision l = ab.route(context(sessionIn(false, 30), settings, V1, V2));
        assertThat(l.candidates()).containsExactly(V1, V2);
        assertThat(l.strategy()).isEqualTo("ab");
        assertThat(ab.route(context(toCandidate, Map.of("live", "lodestar-coder:v1",
                "candidate", "lodestar-coder:v2", "candidatePercent", "0"), V1, V2))
                .candidates().get(0)).isEqualTo(V1);
        final RouteDecision missing = ab.route(context(toCandidate, settings, V1, BIG));
        assertThat(missing.candidates()).containsExactly(V1, BIG);
        assertThat(missing.explanation()).contains("no candidate available");
        assertThat(ab.route(context(null, Map.of(), BIG)).candidates()).isEmpty();
        assertThat(ab.route(context(null, Map.of("fallback", "gpt-4o", "candidatePercent",
                "x"), BIG)).explanation()).startsWith("ab:fallback gpt-4o");
        assertThat(ab.name()).isEqualTo("ab");
    }

    @Test
    void withoutASessionTheFirstUserMessageIsTheKey() throws Exception {
        final ChatRequest request = Fixtures.JSON.readValue("{\"model\":\"coder\",\"messages\":"
                + "[{\"role\":\"system\",\"content\":\"s\"},{\"role\":\"user\",\"content\":"
                + "\"hello\"}]}", ChatRequest.class);
        assertThat(AbStrategy.stickyKey(new RoutingContext("coder", request, Map.of(), Map.of(),
                List.of()))).isEqualTo("u:\"hello\"");
        assertThat(AbStrategy.stickyKey(new RoutingContext("coder", null, Map.of(
                "x-claude-code-session-id", "c1"), Map.of(), List.of()))).isEqualTo("s:c1");
        assertThat(AbStrategy.stickyKey(context(null, Map.of()))).isEmpty();
    }

    @Test
    void theArmsComeFromTheRegistry() throws Exception {
        for (final String name : List.of("a1", "a2", "a3")) {
            Files.createDirectories(dir.resolve(name));
            registry.register(ModelRegistryTest.candidate(dir.resolve(name), "llama3.2:1b"));
        }
        registry.approve("coder", 1, "alice");
        registry.promote("coder", 1, "alice");
        registry.approve("coder", 2, "alice");
        ab.refresh();
        assertThat(ab.arms()).containsEntry("coder", new AbStrategy.Arms("lodestar-coder:v1",
                "lodestar-coder:v2"));
        final String toCandidate = sessionIn(true, 50);
        assertThat(ab.route(context(toCandidate, Map.of("registry", "coder",
                "candidatePercent", "50"), V1, V2)).candidates()).containsExactly(V2, V1);
        assertThat(ab.ab()).contains("registry coder: live lodestar-coder:v1, candidate "
                + "lodestar-coder:v2");
    }

    private static RequestEvent event(final String route, final String served, final int status,
            final int attempts, final long ms, final Double cost) {
        return new RequestEvent("r", Instant.EPOCH, "/v1/chat/completions", "s", null, "coder",
                "ollama", served, "ab", route, false, false, null, Duration.ofMillis(ms), null,
                status, status == 200 ? null : "server_error", attempts, cost, null);
    }

    @Test
    void reportsPerArmFiguresWithConfidenceIntervals() throws Exception {
        for (int i = 0; i < 10; i++) {
            ab.onRequest(event("ab:live lodestar-coder:v1 (bucket 50, candidate 10%)",
                    "lodestar-coder:v1", i < 2 ? 500 : 200, 1, 100 + i, 0.001));
        }
        ab.onRequest(event("ab:candidate lodestar-coder:v2 (bucket 1)", "gpt-4o", 200, 2, 900,
                null));
        ab.onRequest(event("ab:none - (bucket 1)", null, 503, 0, 1, null));
        ab.onRequest(event("auto: local", "x", 200, 1, 1, null));
        ab.onRequest(event(null, "x", 200, 1, 1, null));
        final Map<String, Object> live = ab.report().get("coder").get("live");
        assertThat(live).containsEntry("requests", 10L).containsEntry("errors", 2L)
                .containsEntry("escalations", 0L);
        @SuppressWarnings("unchecked")
        final Map<String, Double> errors = (Map<String, Double>) live.get("errorRate");
        assertThat(errors.get("value")).isEqualTo(0.2);
        assertThat(errors.get("low")).isBetween(0.05, 0.06);
        assertThat(errors.get("high")).isBetween(0.50, 0.52);
        @SuppressWarnings("unchecked")
        final Map<String, Double> latency = (Map<String, Double>) live.get("latencyMs");
        assertThat(latency.get("value")).isEqualTo(104.5);
        assertThat(latency.get("low")).isLessThan(104.5);
        final Map<String, Object> candidate = ab.report().get("coder").get("candidate");
        assertThat(candidate).containsEntry("requests", 1L).containsEntry("escalations", 1L);
        assertThat(ab.ab()).contains("coder", "candidate", "live", "20.0%");
        assertThat(AbStrategy.rate(0, 0)).containsEntry("high", 1.0);

        final LearningServlet servlet = new LearningServlet(store, registry,
                new TrainingService(store, registry), new ProxyKeys(() -> null));
        final FakeHttp.Response none = new FakeHttp.Response();
        servlet.service(FakeHttp.request("GET", "/ab", null), none.proxy);
        assertThat(none.status).isEqualTo(404);
        servlet.setAb(ab);
        final FakeHttp.Response r = new FakeHttp.Response();
        servlet.service(FakeHttp.request("GET", "/ab", null), r.proxy);
        assertThat(r.status).isEqualTo(200);
        assertThat(r.json().path("experiments").path("coder").path("live").path("requests")
                .asLong()).isEqualTo(10);
    }
}
