package lodestar.learning.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.net.http.HttpClient;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.Statement;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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
        ab = loaded(new AbStrategy(registry, store));
    }

    static AbStrategy loaded(final AbStrategy strategy) throws InterruptedException {
        assertThat(strategy.awaitLoaded()).as("stored A/B figures read back").isTrue();
        return strategy;
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
        return event("r", route, served, status, attempts, ms, cost);
    }

    private static RequestEvent event(final String id, final String route, final String served,
            final int status, final int attempts, final long ms, final Double cost) {
        return new RequestEvent(id, Instant.EPOCH, "/v1/chat/completions", "s", null, "coder",
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

    @Test
    void studentTQuantilesMatchTheTables() {
        // two-sided 95% critical values from any t table
        assertThat(AbStats.tQuantile975(1)).isCloseTo(12.7062, within(1e-4));
        assertThat(AbStats.tQuantile975(2)).isCloseTo(4.3027, within(1e-4));
        assertThat(AbStats.tQuantile975(4)).isCloseTo(2.7764, within(1e-4));
        assertThat(AbStats.tQuantile975(10)).isCloseTo(2.2281, within(1e-4));
        assertThat(AbStats.tQuantile975(30)).isCloseTo(2.0423, within(1e-4));
        assertThat(AbStats.tQuantile975(1e9)).isEqualTo(AbStats.Z);
        assertThat(AbStats.logGamma(5)).isCloseTo(Math.log(24), within(1e-12));
        assertThat(AbStats.logGamma(0.5)).isCloseTo(Math.log(Math.sqrt(Math.PI)),
                within(1e-12));
        assertThat(AbStats.logGamma(0.25)).isCloseTo(1.2880225246980774, within(1e-10));
        assertThat(AbStats.regularizedBeta(0, 2, 3)).isZero();
        assertThat(AbStats.regularizedBeta(1, 2, 3)).isEqualTo(1.0);
        // I_x(1, 1) = x; I_x(2, 1) = x^2; both branches of the continued fraction
        assertThat(AbStats.regularizedBeta(0.3, 1, 1)).isCloseTo(0.3, within(1e-12));
        assertThat(AbStats.regularizedBeta(0.9, 2, 1)).isCloseTo(0.81, within(1e-12));
    }

    @Test
    void differenceOfProportionsIsNewcombesHybridScoreInterval() {
        // Newcombe (1998), Statistics in Medicine 17:873-890, table II, method 10:
        // 56/70 - 48/80 = 0.2000 [0.0524, 0.3339]; 9/10 - 3/10 = 0.6 [0.1705, 0.8090]
        final Map<String, Object> a = AbStats.proportionDifference(56, 70, 48, 80);
        assertThat((Double) a.get("value")).isCloseTo(0.2, within(1e-12));
        assertThat((Double) a.get("low")).isCloseTo(0.0524, within(1e-4));
        assertThat((Double) a.get("high")).isCloseTo(0.3339, within(1e-4));
        assertThat(a).containsEntry("excludesZero", true).containsEntry("method", "newcombe");
        final Map<String, Object> b = AbStats.proportionDifference(9, 10, 3, 10);
        assertThat((Double) b.get("low")).isCloseTo(0.1705, within(1e-4));
        assertThat((Double) b.get("high")).isCloseTo(0.8090, within(1e-4));
        // no events in either arm: 0, from minus the live arm's Wilson upper bound
        // (3.84/(20+3.84) = 0.1611) to the candidate's (3.84/(10+3.84) = 0.2775)
        final Map<String, Object> none = AbStats.proportionDifference(0, 10, 0, 20);
        assertThat((Double) none.get("value")).isZero();
        assertThat((Double) none.get("low")).isCloseTo(-0.1611, within(1e-4));
        assertThat((Double) none.get("high")).isCloseTo(0.2775, within(1e-4));
        assertThat(none).containsEntry("excludesZero", false);
        // 0 of 3 and 3 of 3: bounds exactly 0 and 1 (rounding once gave 5.6e-17)
        assertThat(AbStats.wilson(0, 3)[0]).isZero();
        assertThat(AbStats.wilson(3, 3)[1]).isEqualTo(1.0);
        assertThat(AbStats.wilson(0, 3)[1]).isCloseTo(0.5615, within(1e-4));
    }

    @Test
    void differenceOfMeansIsWelchsInterval() {
        // candidate 200, 220, 240, 260 (mean 230, variance 666.67), live 100, 110, 120
        // (mean 110, variance 100): d = 120, se = sqrt(166.67 + 33.33) = 14.142,
        // df = 200^2 / (166.67^2 / 3 + 33.33^2 / 2) = 4.0755, t = 2.7563 -> 120 +- 38.98
        final Map<String, Object> d = AbStats.meanDifference(new AbStats.Sample(4, 230,
                3 * 2000 / 3.0), new AbStats.Sample(3, 110, 200));
        assertThat((Double) d.get("value")).isEqualTo(120.0);
        assertThat((Double) d.get("df")).isCloseTo(4.0755, within(1e-4));
        assertThat((Double) d.get("low")).isCloseTo(81.02, within(0.01));
        assertThat((Double) d.get("high")).isCloseTo(158.98, within(0.01));
        assertThat(d).containsEntry("excludesZero", true).containsEntry("method", "welch");
        final Map<String, Object> one = AbStats.meanDifference(new AbStats.Sample(1, 5, 0),
                new AbStats.Sample(3, 1, 2));
        assertThat(one).containsEntry("value", 4.0).containsEntry("low", null)
                .containsEntry("high", null).containsEntry("excludesZero", false);
        final Map<String, Object> flat = AbStats.meanDifference(new AbStats.Sample(3, 0, 0),
                new AbStats.Sample(5, 0, 0));
        assertThat(flat).containsEntry("low", 0.0).containsEntry("high", 0.0);
    }

    @Test
    void reportsTheDifferenceBetweenTheArms() {
        // live: 20 requests, 2 errors, latency 100 / 120 alternating (mean 110, var 105.26),
        // cost 0.002 each; candidate: 10 requests, 4 errors, 1 escalation, latency 150 / 170
        // (mean 160, var 111.11), cost 0.001 each
        for (int i = 0; i < 20; i++) {
            ab.onRequest(event("ab:live lodestar-coder:v1 (bucket 50, candidate 30%)",
                    "lodestar-coder:v1", i < 2 ? 500 : 200, 1, i % 2 == 0 ? 100 : 120, 0.002));
        }
        for (int i = 0; i < 10; i++) {
            ab.onRequest(event("ab:candidate lodestar-coder:v2 (bucket 5, candidate 30%)",
                    i == 9 ? "gpt-4o" : "lodestar-coder:v2", i < 4 ? 500 : 200, 1,
                    i % 2 == 0 ? 150 : 170, 0.001));
        }
        final Map<String, Map<String, Object>> coder = ab.report().get("coder");
        assertThat(coder.keySet()).containsExactly("candidate", "live", "difference");
        assertThat(coder.get("live")).containsEntry("model", "lodestar-coder:v1")
                .containsEntry("requests", 20L);
        assertThat(coder.get("candidate")).containsEntry("model", "lodestar-coder:v2");
        final Map<String, Object> diff = coder.get("difference");
        assertThat(diff).containsEntry("of", "candidate - live");
        @SuppressWarnings("unchecked")
        final Map<String, Object> errors = (Map<String, Object>) diff.get("errorRate");
        // 0.4 - 0.1 = 0.3; Wilson 4/10 [0.1682, 0.6873], 2/20 [0.0279, 0.3010]:
        // 0.3 - sqrt(0.2318^2 + 0.2010^2) = -0.0068, 0.3 + sqrt(0.2873^2 + 0.0721^2) = 0.5962
        assertThat((Double) errors.get("value")).isCloseTo(0.3, within(1e-12));
        assertThat((Double) errors.get("low")).isCloseTo(-0.0068, within(5e-4));
        assertThat((Double) errors.get("high")).isCloseTo(0.5962, within(5e-4));
        assertThat(errors).containsEntry("excludesZero", false);
        @SuppressWarnings("unchecked")
        final Map<String, Object> escalations = (Map<String, Object>) diff.get("escalationRate");
        assertThat((Double) escalations.get("value")).isCloseTo(0.1, within(1e-12));
        @SuppressWarnings("unchecked")
        final Map<String, Object> latency = (Map<String, Object>) diff.get("latencyMs");
        // d = 50; se = sqrt(111.11/10 + 105.26/20) = 4.0466;
        // df = 16.374^2 / (11.111^2/9 + 5.263^2/19) = 268.11 / 15.175 = 17.67,
        // t = 2.1037 -> 50 +- 8.51
        assertThat((Double) latency.get("value")).isCloseTo(50, within(1e-9));
        assertThat((Double) latency.get("df")).isCloseTo(17.67, within(0.01));
        assertThat((Double) latency.get("low")).isCloseTo(41.49, within(0.01));
        assertThat((Double) latency.get("high")).isCloseTo(58.51, within(0.01));
        assertThat(latency).containsEntry("excludesZero", true);
        @SuppressWarnings("unchecked")
        final Map<String, Object> cost = (Map<String, Object>) diff.get("costUsd");
        assertThat((Double) cost.get("value")).isCloseTo(-0.001, within(1e-12));
        assertThat((Double) cost.get("low")).isCloseTo(-0.001, within(1e-12));
        assertThat(ab.ab()).contains("coder        candidate - live: errors +30.0 pp "
                + "[-0.7,+59.6]", "latency ms +50.0 [+41.5,+58.5] *", "cost USD/req -0.00100 "
                + "[-0.00100,-0.00100] *").contains("lodestar-coder:v2");
    }

    @Test
    void anArmStartsAgainWhenItSendsToAnotherModel() {
        for (int i = 0; i < 5; i++) {
            ab.onRequest(event("ab:live lodestar-coder:v1 (bucket 50)", "lodestar-coder:v1",
                    200, 1, 100, null));
        }
        ab.onRequest(event("ab:candidate lodestar-coder:v2 (bucket 5)", "lodestar-coder:v2",
                200, 1, 100, null));
        assertThat(ab.report().get("coder").get("difference")).containsEntry("costUsd", null);
        // v2 promoted: the live arm now sends to v2, and its figures start again
        ab.onRequest(event("ab:live lodestar-coder:v2 (bucket 50)", "lodestar-coder:v2", 500,
                1, 300, null));
        assertThat(ab.report().get("coder").get("live")).containsEntry("model",
                "lodestar-coder:v2").containsEntry("requests", 1L).containsEntry("errors", 1L);
        // both arms now name v2: no difference of a model with itself
        assertThat(ab.report().get("coder")).doesNotContainKey("difference");
        // a late event of the old arm does not take the place of the new one
        ab.onRequest(event("ab:live lodestar-coder:v1 (bucket 50)", "lodestar-coder:v1", 200,
                1, 100, null));
        assertThat(ab.report().get("coder").get("live")).containsEntry("model",
                "lodestar-coder:v2");
        assertThat(ab.report().get("other")).isNull();
        ab.onRequest(event("ab:candidate lodestar-coder:v3 (bucket 5)", "lodestar-coder:v3",
                200, 1, 100, null));
        ab.onRequest(event("ab:fallback gpt-4o (bucket 5)", "gpt-4o", 200, 1, 100, null));
        assertThat(ab.report().get("coder").keySet()).containsExactly("candidate", "fallback",
                "live", "difference");
    }

    @Test
    void theArmIsTheModelTriedFirst() {
        // no live version yet: every session goes to the candidate, and is counted as such
        final Map<String, String> settings = Map.of("live", "lodestar-coder:v1", "candidate",
                "lodestar-coder:v2", "candidatePercent", "10");
        assertThat(ab.route(context(sessionIn(false, 10), settings, V2)).explanation())
                .startsWith("ab:candidate lodestar-coder:v2");
        assertThat(ab.route(context(sessionIn(true, 10), settings, V1)).explanation())
                .startsWith("ab:live lodestar-coder:v1");
        assertThat(ab.route(context(sessionIn(true, 10), Map.of("fallback", "gpt-4o"), BIG))
                .explanation()).startsWith("ab:fallback gpt-4o");
    }

    @Test
    void registryChangesReachTheArmsAtOnce() throws Exception {
        for (final String name : List.of("b1", "b2")) {
            Files.createDirectories(dir.resolve(name));
            registry.register(ModelRegistryTest.candidate(dir.resolve(name), "llama3.2:1b"));
        }
        // no ab.refresh() here: each change refreshes the arms before it returns
        registry.approve("coder", 1, "alice");
        assertThat(ab.arms()).containsEntry("coder", new AbStrategy.Arms(null,
                "lodestar-coder:v1"));
        registry.promote("coder", 1, "alice");
        registry.approve("coder", 2, "alice");
        assertThat(ab.arms()).containsEntry("coder", new AbStrategy.Arms("lodestar-coder:v1",
                "lodestar-coder:v2"));
        registry.promote("coder", 2, "alice");
        assertThat(ab.arms()).containsEntry("coder", new AbStrategy.Arms("lodestar-coder:v2",
                null));
        registry.rollback("coder", "alice");
        assertThat(ab.arms()).containsEntry("coder", new AbStrategy.Arms("lodestar-coder:v1",
                null));
        final RouteDecision next = ab.route(context(sessionIn(true, 50), Map.of("registry",
                "coder", "candidatePercent", "50"), V1, V2));
        assertThat(next.candidates()).containsExactly(V1);
        // once deactivated, the strategy no longer listens
        ab.deactivate();
        Files.createDirectories(dir.resolve("b3"));
        registry.register(ModelRegistryTest.candidate(dir.resolve("b3"), "llama3.2:1b"));
        registry.approve("coder", 3, "alice");
        assertThat(ab.arms()).containsEntry("coder", new AbStrategy.Arms("lodestar-coder:v1",
                null));
        ab = new AbStrategy(registry, store);
    }

    private static RequestEvent rated(final String id, final String arm, final String model) {
        return ratedAt(id, arm, model, 0);
    }

    private static RequestEvent ratedAt(final String id, final String arm, final String model,
            final long arrivedMs) {
        return new RequestEvent(id, Instant.ofEpochMilli(arrivedMs), "/v1/chat/completions",
                "s", null, "coder", "ollama", model, "ab", "ab:" + arm + " " + model
                + " (bucket 5)", false, false, null, Duration.ofMillis(100), null, 200, null, 1,
                null, null);
    }

    @Test
    void meanRatingIsStudentsTIntervalWithinTheScale() {
        // 1, 0, 1, 1, -1: mean 0.4, variance 3.2 / 4 = 0.8, se = sqrt(0.8 / 5) = 0.4,
        // t(4) = 2.7764 -> 0.4 +- 1.1106 = [-0.7106, 1.5106]
        final double[] five = AbStats.tInterval(new AbStats.Sample(5, 0.4, 3.2));
        assertThat(five[0]).isCloseTo(-0.7106, within(1e-4));
        assertThat(five[1]).isCloseTo(1.5106, within(1e-4));
        assertThat(AbStats.tInterval(new AbStats.Sample(1, 1, 0))).isNull();
        assertThat(AbStats.tInterval(new AbStats.Sample(3, 1, 0))).containsExactly(1.0, 1.0);
        // in the report the same ratings are clipped to the scale -1..1
        final AbStrategy.Figures figures = new AbStrategy.Figures(1);
        for (final double r : new double[] {1, 0, 1, 1, -1}) {
            figures.addRating(Double.NaN, r);
        }
        final Map<String, Object> feedback = figures.feedback();
        assertThat(feedback).containsEntry("count", 5L).containsEntry("positive", 3L);
        @SuppressWarnings("unchecked")
        final Map<String, Double> mean = (Map<String, Double>) feedback.get("meanRating");
        assertThat(mean.get("value")).isCloseTo(0.4, within(1e-12));
        assertThat(mean.get("low")).isCloseTo(-0.7106, within(1e-4));
        assertThat(mean.get("high")).isEqualTo(1.0);
        // a changed rating replaces the earlier one: -1 -> 1 gives 1, 0, 1, 1, 1 (mean 0.8)
        figures.addRating(-1, 1);
        assertThat(figures.feedback()).containsEntry("count", 5L).containsEntry("positive", 4L);
        assertThat(figures.ratings().mean()).isCloseTo(0.8, within(1e-12));
        // variance of 1, 0, 1, 1, 1: 0.8 / 4 = 0.2
        assertThat(figures.ratings().variance()).isCloseTo(0.2, within(1e-12));
        final Map<String, Object> none = new AbStrategy.Figures(2).feedback();
        assertThat(none).containsEntry("count", 0L).containsEntry("meanRating", null)
                .containsEntry("positiveRate", null);
    }

    @Test
    void ratingsReachTheArmThatServedTheRequest() throws Exception {
        // live: ten requests rated 1, 1, 1, 1, 1, 1, 0, 0, 0, 0; candidate: four requests,
        // c0 first rated -1 and then changed to 1, the others 1, 0, 1
        for (int i = 0; i < 10; i++) {
            ab.onRequest(rated("l" + i, "live", "lodestar-coder:v1"));
        }
        for (int i = 0; i < 4; i++) {
            ab.onRequest(rated("c" + i, "candidate", "lodestar-coder:v2"));
        }
        assertThat(ab.remembered()).isEqualTo(14);
        for (int i = 0; i < 10; i++) {
            store.feedback("l" + i, i < 6 ? 1 : 0, "test");
        }
        store.feedback("c0", -1, "test");
        Map<String, Map<String, Object>> coder = ab.report().get("coder");
        assertThat(feedback(coder, "candidate")).containsEntry("count", 1L)
                .containsEntry("positive", 0L);
        @SuppressWarnings("unchecked")
        final Map<String, Object> single = (Map<String, Object>) feedback(coder, "candidate")
                .get("meanRating");
        assertThat(single).containsEntry("value", -1.0).containsEntry("low", null)
                .containsEntry("high", null);
        // one candidate rating: the mean difference has no interval yet
        assertThat(difference(coder, "meanRating")).containsEntry("low", null)
                .containsEntry("excludesZero", false);
        store.feedback("c0", 1, "test");
        store.feedback("c1", 1, "test");
        store.feedback("c2", 0, "test");
        // a rating of a request outside the experiment is ignored; to the id as stored
        store.feedback("not-ab", -1, "test");
        store.feedback(" c3 ", 1, "test");
        coder = ab.report().get("coder");

        // live: mean 0.6, variance 2.4 / 9 = 0.2667, se = 0.1633, t(9) = 2.2622
        // -> [0.2306, 0.9694]; positive 6/10, Wilson [0.3127, 0.8318]
        final Map<String, Object> live = feedback(coder, "live");
        assertThat(live).containsEntry("count", 10L).containsEntry("positive", 6L);
        @SuppressWarnings("unchecked")
        final Map<String, Double> liveMean = (Map<String, Double>) live.get("meanRating");
        assertThat(liveMean.get("value")).isCloseTo(0.6, within(1e-12));
        assertThat(liveMean.get("low")).isCloseTo(0.2306, within(1e-4));
        assertThat(liveMean.get("high")).isCloseTo(0.9694, within(1e-4));
        @SuppressWarnings("unchecked")
        final Map<String, Double> livePositive = (Map<String, Double>) live.get("positiveRate");
        assertThat(livePositive.get("value")).isEqualTo(0.6);
        assertThat(livePositive.get("low")).isCloseTo(0.3127, within(1e-4));
        assertThat(livePositive.get("high")).isCloseTo(0.8318, within(1e-4));

        // candidate: 1, 1, 0, 1 (the changed rating replaced -1): mean 0.75, variance 0.25,
        // se = 0.25, t(3) = 3.1824 -> [-0.0456, 1.5456], the upper bound clipped to 1;
        // positive 3/4, Wilson [0.3006, 0.9544]
        final Map<String, Object> candidate = feedback(coder, "candidate");
        assertThat(candidate).containsEntry("count", 4L).containsEntry("positive", 3L);
        @SuppressWarnings("unchecked")
        final Map<String, Double> candidateMean = (Map<String, Double>) candidate
                .get("meanRating");
        assertThat(candidateMean.get("value")).isCloseTo(0.75, within(1e-12));
        assertThat(candidateMean.get("low")).isCloseTo(-0.0456, within(1e-4));
        assertThat(candidateMean.get("high")).isEqualTo(1.0);

        // difference of the means: 0.15, a = 0.25 / 4 = 0.0625, b = 0.2667 / 10 = 0.02667,
        // se = sqrt(0.08917) = 0.29861, df = 0.08917^2 / (0.0625^2 / 3 + 0.02667^2 / 9)
        // = 5.7568, t = 2.4722 (between t(5) = 2.5706 and t(6) = 2.4469) -> 0.15 +- 0.7382
        final Map<String, Object> mean = difference(coder, "meanRating");
        assertThat((Double) mean.get("value")).isCloseTo(0.15, within(1e-12));
        assertThat((Double) mean.get("df")).isCloseTo(5.7568, within(1e-4));
        assertThat((Double) mean.get("low")).isCloseTo(-0.5882, within(1e-4));
        assertThat((Double) mean.get("high")).isCloseTo(0.8882, within(1e-4));
        assertThat(mean).containsEntry("excludesZero", false).containsEntry("method", "welch");
        // difference of the positive shares: 3/4 - 6/10 = 0.15, Newcombe from Wilson
        // [0.3006, 0.9544] and [0.3127, 0.8318]: 0.15 - sqrt(0.4494^2 + 0.2318^2) = -0.3556,
        // 0.15 + sqrt(0.2044^2 + 0.2873^2) = 0.5026
        final Map<String, Object> positive = difference(coder, "positiveRate");
        assertThat((Double) positive.get("value")).isCloseTo(0.15, within(1e-12));
        assertThat((Double) positive.get("low")).isCloseTo(-0.3556, within(1e-4));
        assertThat((Double) positive.get("high")).isCloseTo(0.5026, within(1e-4));
        assertThat(positive).containsEntry("method", "newcombe");

        assertThat(ab.ab()).contains("RATED", "MEAN RATING", "+0.60 [+0.23,+0.97]",
                "60.0% [31.3,83.2]", "+0.75 [-0.05,+1.00]", "mean rating +0.15 [-0.59,+0.89]",
                "rated >0 +15.0 pp [-35.6,+50.3]");

        // once deactivated, ratings no longer reach the strategy
        ab.deactivate();
        store.feedback("l9", 1, "test");
        assertThat(feedback(ab.report().get("coder"), "live")).containsEntry("positive", 6L);
        ab = new AbStrategy(registry, store);
    }

    @Test
    void anArmWithoutRatingsHasNoFeedbackDifference() {
        ab.onRequest(rated("l0", "live", "lodestar-coder:v1"));
        ab.onRequest(rated("c0", "candidate", "lodestar-coder:v2"));
        ab.rated("c0", Double.NaN, 1);
        final Map<String, Map<String, Object>> coder = ab.report().get("coder");
        assertThat(coder.get("difference")).containsEntry("meanRating", null)
                .containsEntry("positiveRate", null);
        assertThat(feedback(coder, "live")).containsEntry("count", 0L);
        assertThat(ab.ab()).contains("mean rating n/a, rated >0 n/a");
    }

    @Test
    void aRatingMayArriveBeforeItsRequestAndForgottenRequestsAreFoundWhereStored()
            throws Exception {
        final AtomicLong now = new AtomicLong(1_000_000);
        ab.deactivate();
        // at most 2 requests remembered in memory, for 1 s
        ab = loaded(new AbStrategy(registry, store, now::get, 2, 1000));
        // request events are delivered asynchronously: a fast client may rate first
        ab.rated("early", Double.NaN, 1);
        ab.onRequest(rated("early", "live", "lodestar-coder:v1"));
        assertThat(feedback(ab.report().get("coder"), "live")).containsEntry("count", 1L);
        // a rating waits for its request as long as it takes
        ab.rated("late", Double.NaN, 1);
        now.addAndGet(TimeUnit.HOURS.toMillis(1));
        ab.onRequest(rated("late", "live", "lodestar-coder:v1"));
        assertThat(feedback(ab.report().get("coder"), "live")).containsEntry("count", 2L);
        // beyond 2 requests the oldest is no longer in memory: its stored row names its arm,
        // and the rating replaces the one stored before
        ab.onRequest(rated("third", "live", "lodestar-coder:v1"));
        assertThat(ab.remembered()).isEqualTo(2);
        awaitStored();
        ab.rated("early", 1, -1);
        assertThat(feedback(ab.report().get("coder"), "live")).containsEntry("count", 2L)
                .containsEntry("positive", 1L);
        ab.rated("third", Double.NaN, 1);
        assertThat(feedback(ab.report().get("coder"), "live")).containsEntry("count", 3L)
                .containsEntry("positive", 2L);
        // after 1 s every request is out of memory, and still found
        now.addAndGet(1001);
        ab.rated("third", 1, -1);
        assertThat(ab.remembered()).isZero();
        assertThat(feedback(ab.report().get("coder"), "live")).containsEntry("count", 3L)
                .containsEntry("positive", 1L);
        // the ratings waiting for their request are bounded: the oldest is dropped
        for (int i = 0; i <= AbStrategy.EARLY_MAX; i++) {
            ab.rated("w" + i, Double.NaN, 1);
        }
        ab.onRequest(rated("w0", "live", "lodestar-coder:v1"));
        ab.onRequest(rated("w1", "live", "lodestar-coder:v1"));
        assertThat(feedback(ab.report().get("coder"), "live")).containsEntry("count", 4L);
    }

    @Test
    void aBatchTheDatabaseRefusesIsStoredLater() throws Exception {
        rename("learning_ab_request", "learning_ab_request_away");
        ab.onRequest(rated("x1", "live", "lodestar-coder:v1"));
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (((Number) ab.storage().get("saveFailures")).longValue() == 0
                && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(ab.storage()).containsEntry("unsaved", 1).containsEntry("dropped", 0L);
        assertThat(((Number) ab.storage().get("saveFailures")).longValue()).isPositive();
        ab.onRequest(rated("x2", "live", "lodestar-coder:v1"));
        rename("learning_ab_request_away", "learning_ab_request");
        awaitStored();
        ab.deactivate();
        ab = loaded(new AbStrategy(registry, store));
        assertThat(ab.report().get("coder").get("live")).containsEntry("requests", 2L);
    }

    private void rename(final String from, final String to) throws Exception {
        try (Connection connection = store.dataSource().getConnection();
                Statement statement = connection.createStatement()) {
            statement.execute("ALTER TABLE " + from + " RENAME TO " + to);
        }
    }

    /** Waits until the routed requests are stored (the writer runs every 0.5 s). */
    private void awaitStored() throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (((Number) ab.storage().get("unsaved")).intValue() > 0
                && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(ab.storage()).containsEntry("unsaved", 0);
    }

    @Test
    void figuresAndRatingsSurviveARestart() throws Exception {
        for (int i = 0; i < 4; i++) {
            ab.onRequest(rated("l" + i, "live", "lodestar-coder:v1"));
        }
        ab.onRequest(event("c0", "ab:candidate lodestar-coder:v2 (bucket 1)", "gpt-4o", 500, 2,
                900, 0.002));
        ab.onRequest(event("c1", "ab:candidate lodestar-coder:v2 (bucket 1)",
                "lodestar-coder:v2", 200, 1, 300, 0.001));
        // a batch stored twice (a commit whose acknowledgement was lost) counts once
        ab.onRequest(event("c1", "ab:candidate lodestar-coder:v2 (bucket 1)",
                "lodestar-coder:v2", 200, 1, 300, 0.001));
        store.feedback("l0", 1, "test");
        store.feedback("l1", -1, "test");
        final Map<String, Map<String, Map<String, Object>>> before = ab.report();
        ab.deactivate();
        assertThat(ab.storage()).containsEntry("unsaved", 0).containsEntry("dropped", 0L);

        ab = loaded(new AbStrategy(registry, store));
        assertThat(ab.storage()).containsEntry("loaded", true);
        final Map<String, Map<String, Map<String, Object>>> after = ab.report();
        assertThat(after.get("coder").get("live")).containsEntry("requests", 4L);
        assertThat(feedback(after.get("coder"), "live")).containsEntry("count", 2L)
                .containsEntry("positive", 1L);
        final Map<String, Object> candidate = after.get("coder").get("candidate");
        assertThat(before.get("coder").get("candidate")).containsEntry("requests", 3L);
        assertThat(candidate).containsEntry("requests", 2L).containsEntry("errors", 1L)
                .containsEntry("escalations", 1L).containsEntry("model", "lodestar-coder:v2");
        assertLatency(candidate);
        assertThat((Double) candidate.get("costUsdTotal")).isCloseTo(0.003, within(1e-12));
        assertThat(after.get("coder").get(AbStrategy.DIFFERENCE)).isNotNull();

        // the requests of the last 24 h are remembered again: a later rating replaces the
        // stored one instead of adding to it
        store.feedback("l1", 1, "test");
        store.feedback("l2", 1, "test");
        assertThat(feedback(ab.report().get("coder"), "live")).containsEntry("count", 3L)
                .containsEntry("positive", 3L);
        // and what happens after the restart is counted on top
        ab.onRequest(rated("l9", "live", "lodestar-coder:v1"));
        assertThat(ab.report().get("coder").get("live")).containsEntry("requests", 5L);
    }

    @SuppressWarnings("unchecked")
    private static void assertLatency(final Map<String, Object> after) {
        final Map<String, Double> now = (Map<String, Double>) after.get("latencyMs");
        // 900 and 300 ms: sd 424.26, half width 1.96 * 424.26 / sqrt(2) = 588.0
        assertThat(now.get("value")).isCloseTo(600.0, within(1e-9));
        assertThat(now.get("low")).isCloseTo(600 - 588.0, within(0.1));
        assertThat(now.get("high")).isCloseTo(600 + 588.0, within(0.1));
    }

    @Test
    void requestsOlderThanTheRetentionAreNotReadBack() throws Exception {
        final AtomicLong now = new AtomicLong(AbStore.RETENTION_MS + 10_000);
        ab.deactivate();
        ab = loaded(new AbStrategy(registry, store, now::get, 100, 1000));
        ab.onRequest(rated("old", "live", "lodestar-coder:v1"));
        now.addAndGet(AbStore.RETENTION_MS + 1);
        ab.onRequest(rated("new", "live", "lodestar-coder:v1"));
        ab.deactivate();
        ab = loaded(new AbStrategy(registry, store, now::get, 100, 1000));
        assertThat(ab.report().get("coder").get("live")).containsEntry("requests", 1L);
    }

    @Test
    void anExperimentIsStartedAndStoppedPerVirtualModel() throws Exception {
        final Map<String, String> settings = Map.of("live", "lodestar-coder:v1", "candidate",
                "lodestar-coder:v2", "candidatePercent", "50");
        final String toCandidate = sessionIn(true, 50);
        final String toLive = sessionIn(false, 50);
        assertThat(ab.route(context(toCandidate, settings, V1, V2)).candidates())
                .containsExactly(V2, V1);
        assertThat(ab.status().get("coder")).containsEntry("state", "running")
                .containsEntry("changedBy", null).containsEntry("routed", true);

        assertThat(ab.ab("stop", "coder")).startsWith("experiment coder: stopped");
        final RouteDecision stopped = ab.route(context(toCandidate, settings, V1, V2));
        assertThat(stopped.candidates()).as("not even as fail-over").containsExactly(V1);
        assertThat(stopped.explanation()).contains("candidate 0%, experiment stopped");
        assertThat(ab.status().get("coder")).containsEntry("state", "stopped")
                .containsEntry("changedBy", "gogo:" + LearningCommands.user());

        assertThat(ab.ab("start", "coder", 100)).contains("running (candidate 100% of sessions)");
        assertThat(ab.route(context(toLive, settings, V1, V2)).candidates())
                .containsExactly(V2, V1);
        assertThat(ab.ab("start", "coder")).contains("(candidate share as configured)");
        assertThat(ab.route(context(toLive, settings, V1, V2)).candidates())
                .containsExactly(V1, V2);
        assertThat(ab.ab("stop", "other")).contains("no request routed by ab for this virtual "
                + "model since the start");
        assertThat(ab.ab()).contains("experiment coder: running", "experiment other: stopped");

        for (final Runnable bad : List.<Runnable>of(() -> call(() -> ab.ab("pause", "coder")),
                () -> call(() -> ab.ab("stop", "coder", 5)),
                () -> call(() -> ab.ab("start", "coder", 101)),
                () -> call(() -> ab.ab("start", "../x")))) {
            org.assertj.core.api.Assertions.assertThatThrownBy(bad::run)
                    .isInstanceOf(IllegalArgumentException.class);
        }

        // the state is stored: a restarted strategy routes the same way
        ab.stop("coder", "test");
        ab.deactivate();
        // (read when the strategy starts: in force from its first request, no refresh needed)
        ab = new AbStrategy(registry, store);
        assertThat(ab.route(context(toCandidate, settings, V1, V2)).candidates())
                .containsExactly(V1);
        assertThat(ab.awaitLoaded()).isTrue();

        // over HTTP, with the actor recorded
        final LearningServlet servlet = new LearningServlet(store, registry,
                new TrainingService(store, registry), new ProxyKeys(() -> null));
        servlet.setAb(ab);
        final FakeHttp.Response started = new FakeHttp.Response();
        servlet.service(FakeHttp.request("POST", "/ab/coder/start",
                "{\"percent\":20,\"by\":\"alice\"}"), started.proxy);
        assertThat(started.status).isEqualTo(200);
        assertThat(started.json().path("state").asText()).isEqualTo("running");
        assertThat(started.json().path("candidatePercent").asInt()).isEqualTo(20);
        assertThat(started.json().path("changedBy").asText()).isEqualTo("http:open (alice)");
        final FakeHttp.Response got = new FakeHttp.Response();
        servlet.service(FakeHttp.request("GET", "/ab", null), got.proxy);
        assertThat(got.json().path("status").path("coder").path("candidatePercent").asInt())
                .isEqualTo(20);
        assertThat(got.json().path("storage").path("loaded").asBoolean()).isTrue();
        for (final String[] bad : new String[][] {{"/ab/coder/start", "{\"percent\":\"x\"}"},
            {"/ab/coder/stop", "{\"percent\":1}"}, {"/ab/coder/start", "{\"percent\":-1}"}}) {
            final FakeHttp.Response refused = new FakeHttp.Response();
            servlet.service(FakeHttp.request("POST", bad[0], bad[1]), refused.proxy);
            assertThat(refused.status).as(bad[0] + " " + bad[1]).isEqualTo(400);
        }
        final FakeHttp.Response stop = new FakeHttp.Response();
        servlet.service(FakeHttp.request("POST", "/ab/coder/stop", null), stop.proxy);
        assertThat(stop.json().path("state").asText()).isEqualTo("stopped");
        assertThat(stop.json().path("candidatePercent").isNull()).isTrue();
    }

    /** A Gogo call whose checked exception would be a test failure. */
    private interface Call {
        Object run() throws Exception;
    }

    private static void call(final Call call) {
        try {
            call.run();
        } catch (final RuntimeException e) {
            throw e;
        } catch (final Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void anArmBackOnAModelItSentToBeforeReportsThatModelAgain() throws Exception {
        ab.onRequest(ratedAt("a1", "live", "lodestar-coder:v1", 1000));
        ab.onRequest(ratedAt("b1", "live", "lodestar-coder:v2", 2000));
        // a late event of v1 (it arrived before v2's) does not take v2's place
        ab.onRequest(ratedAt("a0", "live", "lodestar-coder:v1", 1500));
        assertThat(ab.report().get("coder").get("live")).containsEntry("model",
                "lodestar-coder:v2");
        // a rollback: v1 again, arrived after v2's request
        ab.onRequest(ratedAt("a2", "live", "lodestar-coder:v1", 3000));
        assertThat(ab.report().get("coder").get("live")).containsEntry("model",
                "lodestar-coder:v1").containsEntry("requests", 3L);
        ab.deactivate();
        ab = loaded(new AbStrategy(registry, store));
        assertThat(ab.report().get("coder").get("live")).containsEntry("model",
                "lodestar-coder:v1").containsEntry("requests", 3L);
    }

    @Test
    void aStoppedExperimentDoesNotFallBackToTheCandidate() throws Exception {
        ab.stop("coder", "test");
        final RouteDecision decision = ab.route(context(sessionIn(true, 50), Map.of("live",
                "lodestar-coder:v1", "candidate", "lodestar-coder:v2", "fallback",
                "lodestar-coder:v2,openai/gpt-4o"), V1, V2, BIG));
        assertThat(decision.candidates()).containsExactly(V1, BIG);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> feedback(final Map<String, Map<String, Object>> model,
            final String arm) {
        return (Map<String, Object>) model.get(arm).get("feedback");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> difference(
            final Map<String, Map<String, Object>> model, final String key) {
        return (Map<String, Object>) model.get(AbStrategy.DIFFERENCE).get(key);
    }
}
