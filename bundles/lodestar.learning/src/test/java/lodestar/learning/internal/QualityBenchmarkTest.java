package lodestar.learning.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import lodestar.test.upstream.FakeUpstream;
import lodestar.test.upstream.Fault;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.util.converter.Converters;

/**
 * The benchmark over real HTTP: the project's fake upstream (OpenAI chat completions, and
 * Ollama's blob/create API for deployments) stands in for the router. Its answer is
 * {@code Hello from <model>} unless a reply is set, so checks can tell the two models apart.
 */
class QualityBenchmarkTest {

    @TempDir
    Path dir;
    private final AtomicLong clock = new AtomicLong(1_700_000_000_000L);
    private FakeUpstream fake;
    private LearningStore store;
    private ModelRegistry registry;
    private BenchmarkStore results;
    private QualityBenchmark bench;
    private Path set;

    @BeforeEach
    void setUp() throws Exception {
        fake = FakeUpstream.start();
        store = new LearningStore(Fixtures.config("ollamaUrl", fake.baseUrl()), dir,
                Fixtures.database(), () -> clock.addAndGet(10));
        registry = new ModelRegistry(store, deployer());
        results = new BenchmarkStore(store);
        set = dir.resolve("set.jsonl");
    }

    @AfterEach
    void tearDown() {
        if (bench != null) {
            bench.deactivate();
        }
        fake.close();
    }

    private static OllamaDeployer deployer() {
        return new OllamaDeployer(HttpClient.newHttpClient(), Duration.ofSeconds(10));
    }

    static BenchmarkConfig config(final Object... pairs) {
        final Map<String, Object> map = new HashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            map.put((String) pairs[i], pairs[i + 1]);
        }
        return Converters.standardConverter().convert(map).to(BenchmarkConfig.class);
    }

    private BenchmarkConfig benchConfig(final Object... extra) {
        final Object[] base = {"evaluationSet", set.toString(), "routerUrl", fake.baseUrl()
                + "/v1/", ".apiKey", "${env:BENCH_KEY}", "maxTokens", 64, "concurrency", 3,
                "testCommands", "sh=sh {file}", "testTimeoutSeconds", 10};
        final Object[] all = new Object[base.length + extra.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return config(all);
    }

    private QualityBenchmark bench(final Object... extra) {
        bench = new QualityBenchmark(benchConfig(extra), store, registry,
                HttpClient.newHttpClient(), deployer(), Map.of("BENCH_KEY", "k-secret")::get);
        return bench;
    }

    private void writeSet(final String... lines) throws Exception {
        Files.writeString(set, String.join("\n", lines) + "\n");
    }

    private Path adapter(final String name) throws Exception {
        final Path a = dir.resolve(name);
        Files.createDirectories(a);
        Files.writeString(a.resolve("adapter_config.json"), "{\"r\":8}");
        Files.writeString(a.resolve("adapter_model.safetensors"), "weights-" + name);
        return a;
    }

    /** v1 approved (deployed to the fake Ollama) and live; v2 a candidate with an adapter. */
    private void liveAndCandidate() throws Exception {
        registry.register(ModelRegistryTest.candidate(adapter("a1"), "llama3.2:1b"));
        registry.approve("coder", 1, "alice");
        registry.promote("coder", 1, "alice");
        registry.register(ModelRegistryTest.candidate(adapter("a2"), "llama3.2:1b"));
    }

    private static final String GREET = "{\"id\":\"greet\",\"prompt\":\"Say hello\","
            + "\"check\":{\"type\":\"regex\",\"pattern\":\"^Hello from \"}}";
    private static final String LIVE_ONLY = "{\"id\":\"who\",\"prompt\":\"Who are you?\","
            + "\"check\":{\"type\":\"contains\",\"value\":\"coder:V1\",\"ignore_case\":true}}";
    private static final String LIVE_ONLY_EXACT = "{\"id\":\"name\",\"messages\":[{\"role\":"
            + "\"user\",\"content\":\"Your name?\"}],\"check\":{\"type\":\"exact\",\"value\":"
            + "\"Hello from lodestar-coder:v1\"}}";
    private static final String CANDIDATE_ONLY = "{\"id\":\"new\",\"prompt\":\"Version?\","
            + "\"check\":{\"type\":\"regex\",\"pattern\":\"v2$\"}}";

    private List<BenchmarkStore.Result> run(final QualityBenchmark.Started started)
            throws Exception {
        started.done().get(60, TimeUnit.SECONDS);
        return results.run(started.runId());
    }

    @Test
    void aCandidateScoringBelowLiveIsRefusedUnlessOverridden() throws Exception {
        liveAndCandidate();
        writeSet(GREET, LIVE_ONLY, LIVE_ONLY_EXACT, CANDIDATE_ONLY);
        final QualityBenchmark.Started started = bench().start("coder", 2, "gogo:carol");
        assertThat(started.model()).isEqualTo("lodestar-coder:v2");
        assertThat(started.liveVersion()).isEqualTo(1);
        assertThat(started.liveModel()).isEqualTo("lodestar-coder:v1");
        final List<BenchmarkStore.Result> rows = run(started);

        assertThat(rows).extracting(BenchmarkStore.Result::version, BenchmarkStore.Result::role,
                BenchmarkStore.Result::state, BenchmarkStore.Result::passed,
                BenchmarkStore.Result::total, BenchmarkStore.Result::errors).containsExactly(
                        org.assertj.core.groups.Tuple.tuple(2, "target", "done", 2, 4, 0),
                        org.assertj.core.groups.Tuple.tuple(1, "live", "done", 3, 4, 0));
        final BenchmarkStore.Result mine = rows.get(0);
        assertThat(mine.score()).isEqualTo(0.5);
        assertThat(mine.setSha256()).isEqualTo(EvalSet.sha256(set));
        assertThat(mine.setPath()).isEqualTo(set.toString());
        assertThat(mine.actor()).isEqualTo("gogo:carol");
        assertThat(mine.durationMs()).isNotNull().isNotNegative();
        final JsonNode detail = Fixtures.json(mine.results());
        assertThat(detail.path("byType").toString()).isEqualTo("{\"contains\":{\"passed\":0,"
                + "\"total\":1},\"exact\":{\"passed\":0,\"total\":1},\"regex\":{\"passed\":2,"
                + "\"total\":2}}");
        assertThat(detail.path("items")).hasSize(4);
        assertThat(detail.path("items").get(1).path("detail").asText()).isEqualTo(
                "missing \"coder:V1\"");

        // the candidate was deployed to (fake) Ollama so the router can reach it
        assertThat(fake.created()).containsExactly("lodestar-coder:v1", "lodestar-coder:v2");
        assertThat(registry.get("coder", 2).orElseThrow().state())
                .isEqualTo(ModelRegistry.State.CANDIDATE);
        // every prompt went through the OpenAI wire format, with the key and temperature 0
        final List<FakeUpstream.Recorded> chats = fake.requests().stream().filter(r ->
                r.path().equals("/v1/chat/completions")).toList();
        assertThat(chats).hasSize(8);
        for (final FakeUpstream.Recorded r : chats) {
            assertThat(r.headers().get("Authorization")).isEqualTo("Bearer k-secret");
            assertThat(r.headers().get("x-lodestar-session")).isEqualTo("lodestar-benchmark-"
                    + started.runId());
            final JsonNode body = r.json();
            assertThat(body.path("temperature").asDouble(-1)).isEqualTo(0.0);
            assertThat(body.path("max_tokens").asInt()).isEqualTo(64);
            assertThat(body.path("stream").asBoolean(true)).isFalse();
        }
        assertThat(chats).extracting(r -> r.json().path("model").asText())
                .containsOnly("lodestar-coder:v1", "lodestar-coder:v2");

        registry.setGate(new BenchmarkGate(benchConfig(), store));
        assertThatThrownBy(() -> registry.approve("coder", 2, "bob"))
                .isInstanceOf(ModelRegistry.Refused.class)
                .hasMessageContaining("coder v2 scores 2/4 = 0.50, below the live v1 (3/4 = "
                        + "0.75)").hasMessageContaining("--override");
        assertThat(registry.get("coder", 2).orElseThrow().state())
                .isEqualTo(ModelRegistry.State.CANDIDATE);
        final ModelRegistry.Version approved = registry.approve("coder", 2, "bob", true);
        assertThat(approved.state()).isEqualTo(ModelRegistry.State.APPROVED);
        final List<ModelRegistry.Event> history = registry.history("coder");
        assertThat(history).extracting(ModelRegistry.Event::action).containsSubsequence(
                "deployed", "benchmarked", "approved");
        assertThat(history.stream().filter(e -> e.action().equals("benchmarked")).findFirst()
                .orElseThrow().detail()).startsWith("run " + started.runId() + ": 2/4; live v1:"
                        + " 3/4; set sha256 ");
        final ModelRegistry.Event last = history.get(history.size() - 1);
        assertThat(last.actor()).isEqualTo("bob");
        assertThat(last.detail()).contains("benchmark gate OVERRIDDEN: coder v2 scores 2/4");
    }

    @Test
    void aCandidateAsGoodAsLiveIsApprovedAndUnitTestsRunOnTheAnswer() throws Exception {
        liveAndCandidate();
        fake.reply("Here you go:\n```sh\nadd() { echo $(($1 + $2)); }\n```");
        writeSet("{\"id\":\"add\",\"prompt\":\"Write add in sh\",\"check\":{\"type\":"
                + "\"unit_test\",\"language\":\"sh\",\"test\":\"[ \\\"$(add 2 3)\\\" = 5 ]\"}}",
                "{\"id\":\"sub\",\"prompt\":\"Write sub in sh\",\"check\":{\"type\":"
                + "\"unit_test\",\"language\":\"sh\",\"test\":\"[ \\\"$(sub 3 2)\\\" = 1 ]\"}}");
        final List<BenchmarkStore.Result> rows = run(bench().start("coder", 2, "carol"));
        assertThat(rows).extracting(BenchmarkStore.Result::passed, BenchmarkStore.Result::total)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(1, 2),
                        org.assertj.core.groups.Tuple.tuple(1, 2));
        assertThat(rows.get(0).results()).contains("\"unit_test\":{\"passed\":1,\"total\":2}");
        registry.setGate(new BenchmarkGate(benchConfig(), store));
        final ModelRegistry.Version approved = registry.approve("coder", 2, "bob");
        assertThat(approved.state()).isEqualTo(ModelRegistry.State.APPROVED);
        final List<ModelRegistry.Event> history = registry.history("coder");
        assertThat(history.get(history.size() - 1).detail()).contains(
                "benchmark 1/2 = 0.50 >= live v1 1/2 = 0.50");
    }

    @Test
    void withoutAResultOnTheCurrentSetApprovalIsRefused() throws Exception {
        registry.register(ModelRegistryTest.candidate(adapter("a1"), "llama3.2:1b"));
        writeSet(GREET);
        final BenchmarkGate gate = new BenchmarkGate(benchConfig(), store);
        registry.setGate(gate);
        assertThatThrownBy(() -> registry.approve("coder", 1, "bob"))
                .hasMessageContaining("coder v1 has no benchmark result and a benchmark set is "
                        + "configured; run lodestar:benchmark coder 1 first");

        final List<BenchmarkStore.Result> rows = run(bench().start("coder", 1, "carol"));
        assertThat(rows).singleElement().extracting(BenchmarkStore.Result::passed)
                .isEqualTo(1);
        assertThat(gate.evaluate("coder", 1, null).reason()).contains(
                "no live version to compare with");

        writeSet(GREET, LIVE_ONLY);
        assertThatThrownBy(() -> registry.approve("coder", 1, "bob"))
                .hasMessageContaining("was last benchmarked on another version of the set");
        Files.delete(set);
        assertThatThrownBy(() -> registry.approve("coder", 1, "bob"))
                .hasMessageContaining("cannot be read");
        final ModelRegistry.Version approved = registry.approve("coder", 1, "bob", true);
        assertThat(approved.state()).isEqualTo(ModelRegistry.State.APPROVED);
    }

    @Test
    void aLiveVersionWithoutAResultOnTheSetRefusesToo() throws Exception {
        liveAndCandidate();
        writeSet(GREET);
        // benchmark the candidate while nothing was live to compare: then v1 has no result
        results.queue("r-old", "coder", 2, "target", "m", set.toString(), "x");
        results.running("r-old", 2, EvalSet.sha256(set));
        results.finish("r-old", 2, BenchmarkStore.DONE, 1, 1, 0, "{}", null);
        final BenchmarkGate gate = new BenchmarkGate(benchConfig(), store);
        final BenchmarkGate.Verdict verdict = gate.evaluate("coder", 2,
                registry.live("coder").orElseThrow());
        assertThat(verdict.allowed()).isFalse();
        assertThat(verdict.reason()).contains("the live version v1 has no benchmark result on "
                + "this set");
    }

    @Test
    void withoutASetApprovalWorksAsBefore() throws Exception {
        registry.register(ModelRegistryTest.candidate(adapter("a1"), "llama3.2:1b"));
        registry.setGate(new BenchmarkGate(config("evaluationSet", ""), store));
        assertThat(registry.approve("coder", 1, "bob").state())
                .isEqualTo(ModelRegistry.State.APPROVED);
        assertThat(registry.history("coder").get(1).detail()).isEqualTo(
                "deployed as lodestar-coder:v1");
        registry.register(ModelRegistryTest.candidate(adapter("a2"), "llama3.2:1b"));
        registry.setGate(null);
        registry.approve("coder", 2, "bob", true);
        final List<ModelRegistry.Event> history = registry.history("coder");
        assertThat(history.get(history.size() - 1).detail()).isEqualTo(
                "deployed as lodestar-coder:v2; override given (no benchmark gate)");
        bench = new QualityBenchmark(config("evaluationSet", " "), store, registry,
                HttpClient.newHttpClient(), deployer(), n -> null);
        assertThatThrownBy(() -> bench.start("coder", 1, "x"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no evaluation set configured");
    }

    @Test
    void failuresAreRecorded() throws Exception {
        registry.register(ModelRegistryTest.candidate(adapter("a1"), "llama3.2:1b"));
        writeSet(GREET, LIVE_ONLY);
        assertThatThrownBy(() -> bench().start("coder", 9, "x"))
                .isInstanceOf(NoSuchElementException.class).hasMessage("no model coder v9");
        bench.deactivate();

        // the router refuses every request: the run failed and does not count
        fake.enqueue(Fault.status(503, null));
        fake.enqueue(Fault.status(503, null));
        final List<BenchmarkStore.Result> failed = run(bench("deployCandidates", false)
                .start("coder", 1, "x"));
        assertThat(failed).singleElement().satisfies(r -> {
            assertThat(r.state()).isEqualTo("failed");
            assertThat(r.errors()).isEqualTo(2);
            assertThat(r.score()).isNull();
            assertThat(r.message()).startsWith("every request failed, e.g. HTTP 503");
        });
        assertThat(results.latestDone("coder", 1, null)).isEmpty();
        bench.deactivate();

        // one request fails: counted as not passed, the run is done
        fake.enqueue(Fault.status(500, null));
        final BenchmarkStore.Result partial = run(bench("concurrency", 1, "deployCandidates",
                false).start("coder", 1, "x")).get(0);
        assertThat(partial.state()).isEqualTo("done");
        assertThat(partial.errors()).isEqualTo(1);
        assertThat(partial.message()).isEqualTo("1 request(s) failed (counted as not passed)");
        bench.deactivate();

        // a set that does not parse
        writeSet("{oops");
        assertThat(run(bench().start("coder", 1, "x")).get(0).message()).startsWith(
                "cannot read the evaluation set: ");
        bench.deactivate();

        // deployment of the candidate fails
        writeSet(GREET);
        registry.register(new ModelRegistry.Version("coder", 0, null, "base", "llama3.2:1b",
                "ds", "command", null, "{}", "{}", dir.resolve("missing").toString(), 0, null,
                null, null, null, null));
        assertThat(run(bench().start("coder", 2, "x")).get(0).message()).startsWith(
                "deploying lodestar-coder:v2 to Ollama for the benchmark failed");
        assertThat(registry.history("coder")).extracting(ModelRegistry.Event::action)
                .contains("deploy failed");
    }

    @Test
    void anUnreachableRouterFailsEveryPrompt() throws Exception {
        registry.register(ModelRegistryTest.candidate(adapter("a1"), "llama3.2:1b"));
        writeSet(GREET);
        final BenchmarkStore.Result row = run(bench("routerUrl", "http://127.0.0.1:1/v1",
                "deployCandidates", false).start("coder", 1, "x")).get(0);
        assertThat(row.state()).isEqualTo("failed");
        assertThat(row.message()).startsWith("every request failed");
    }

    @Test
    void deactivationStopsARunningBenchmark() throws Exception {
        registry.register(ModelRegistryTest.candidate(adapter("a1"), "llama3.2:1b"));
        writeSet("{\"id\":\"slow\",\"prompt\":\"x\",\"check\":{\"type\":\"unit_test\","
                + "\"language\":\"sh\",\"test\":\"sleep 30\"}}");
        final QualityBenchmark.Started started = bench("testTimeoutSeconds", 60,
                "deployCandidates", false).start("coder", 1, "x");
        for (int i = 0; i < 100 && !"running".equals(results.run(started.runId()).get(0)
                .state()); i++) {
            Thread.sleep(50);
        }
        Thread.sleep(300);
        final long start = System.nanoTime();
        bench.deactivate();
        assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(10_000);
        final BenchmarkStore.Result row = results.run(started.runId()).get(0);
        assertThat(row.state()).isEqualTo("failed");
        assertThat(row.message()).contains("stopped");
        bench = null;

        // rows left queued by a stop are failed by the next activation, on its worker
        results.queue("r-stale", "coder", 1, "target", "m", set.toString(), "x");
        bench();
        for (int i = 0; i < 100 && !"failed".equals(results.run("r-stale").get(0).state());
                i++) {
            Thread.sleep(20);
        }
        assertThat(results.run("r-stale").get(0).message()).startsWith("interrupted");
    }

    @Test
    void modelIdsAndKeys() throws Exception {
        final QualityBenchmark b = new QualityBenchmark(config("modelTemplate", "ollama/{model}",
                ".apiKey", "$[env:K]"), store, registry, HttpClient.newHttpClient(), deployer(),
                Map.of("K", " k1 ")::get);
        try {
            assertThat(b.apiKey()).isEqualTo("k1");
            final ModelRegistry.Version fineTuned = new ModelRegistry.Version("coder", 3,
                    ModelRegistry.State.CANDIDATE, "gpt-4o-mini", null, "ds", "openai-finetune",
                    null, "{}", "{\"fine_tuned_model\":\"ft:gpt-4o-mini:x\"}", null, 0, null,
                    null, null, null, null);
            assertThat(b.model(fineTuned)).isEqualTo("ollama/ft:gpt-4o-mini:x");
            final ModelRegistry.Version plain = new ModelRegistry.Version("coder", 4,
                    ModelRegistry.State.CANDIDATE, "b", null, "ds", "x", null, "{}", "not json",
                    null, 0, null, null, null, null, null);
            assertThat(b.model(plain)).isEqualTo("ollama/lodestar-coder:v4");
        } finally {
            b.deactivate();
        }
        final QualityBenchmark literal = new QualityBenchmark(config(".apiKey", "plain"), store,
                registry, HttpClient.newHttpClient(), deployer(), n -> null);
        final QualityBenchmark missing = new QualityBenchmark(config(".apiKey", "${env:NOPE}"),
                store, registry, HttpClient.newHttpClient(), deployer(), n -> null);
        try {
            assertThat(literal.apiKey()).isEqualTo("plain");
            assertThat(missing.apiKey()).isNull();
            assertThat(missing.evaluationSet()).isEmpty();
        } finally {
            literal.deactivate();
            missing.deactivate();
        }
    }

    @Test
    void aFreshlyDeployedCandidateIsEvaluatedOnlyOnceTheRouterListsIt() throws Exception {
        liveAndCandidate();
        writeSet(GREET);
        // the router never lists "elsewhere/...": the run fails, saying why, instead of
        // scoring the candidate 0 on 404 answers
        final List<BenchmarkStore.Result> rows = run(bench("timeoutSeconds", 1,
                "modelTemplate", "elsewhere/{model}").start("coder", 2, "t"));
        assertThat(rows).extracting(BenchmarkStore.Result::state).containsOnly("failed");
        assertThat(rows.get(0).message()).contains("does not list elsewhere/lodestar-coder:v2",
                "discoverModels=true");
        assertThat(fake.requests()).noneMatch(r -> r.path().equals("/v1/chat/completions"));
        assertThat(fake.requests()).anyMatch(r -> r.path().equals("/v1/models")
                && "Bearer k-secret".equals(r.headers().get("Authorization")));
        final JsonNode list = Fixtures.json("{\"data\":[{\"id\":\"lodestar-coder:v2\","
                + "\"owned_by\":\"ollama\"}]}");
        assertThat(QualityBenchmark.lists(list, "lodestar-coder:v2")).isTrue();
        assertThat(QualityBenchmark.lists(list, "ollama/lodestar-coder:v2")).isTrue();
        assertThat(QualityBenchmark.lists(list, "other/lodestar-coder:v2")).isFalse();
        assertThat(QualityBenchmark.lists(Fixtures.json("{}"), "x")).isFalse();
    }
}
