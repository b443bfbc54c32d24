package lodestar.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import lodestar.test.upstream.Fault;
import lodestar.test.upstream.FakeUpstream;
import org.junit.jupiter.api.Test;

/**
 * The learning loop in the assembled runtime, over HTTP only: recorded traffic (opt-in) becomes
 * a dataset, a training job with the {@code command} backend (a stand-in trainer script that
 * speaks the progress protocol) registers candidates, approval deploys them to (fake) Ollama
 * through {@code /api/blobs} and {@code /api/create} once the quality benchmark allows it (a
 * candidate scoring below the live version needs an explicit override), an {@code ab} virtual
 * model splits
 * sessions between the live version and the approved candidate and reports both arms and their
 * difference, then promotion and a one-step rollback change what the virtual model serves.
 */
class LearningE2E {

    private static final String REGISTRY = "coder";
    private static final String V1 = "lodestar-coder:v1";
    private static final String V2 = "lodestar-coder:v2";
    private static final int PERCENT = 50;

    private final HttpClient http = HttpClient.newHttpClient();
    private LodestarProcess lodestar;

    private HttpResponse<String> chat(final String model, final String session,
            final String prompt) throws Exception {
        final ObjectNode body = LodestarProcess.JSON.createObjectNode().put("model", model);
        body.putArray("messages").addObject().put("role", "user").put("content", prompt);
        final HttpResponse<String> response = http.send(HttpRequest.newBuilder(url(
                "/v1/chat/completions")).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").header("x-lodestar-session", session)
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(),
                HttpResponse.BodyHandlers.ofString());
        System.out.printf("[e2e] learning: %s (%s) -> %d %s (%s)%n", model, session,
                response.statusCode(), header(response, "x-lodestar-model"),
                header(response, "x-lodestar-route"));
        return response;
    }

    /** POST with a JSON body and its content type, as the learning API requires (CSRF). */
    private HttpResponse<String> post(final String path, final String json) throws Exception {
        return http.send(HttpRequest.newBuilder(url(path)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode postOk(final String path, final String json) throws Exception {
        final HttpResponse<String> response = post(path, json);
        assertThat(response.statusCode()).as("POST %s: %s", path, response.body())
                .isEqualTo(200);
        return LodestarProcess.JSON.readTree(response.body());
    }

    private JsonNode getJson(final String path) throws Exception {
        final HttpResponse<String> response = lodestar.get(path);
        assertThat(response.statusCode()).as("GET %s: %s", path, response.body())
                .isEqualTo(200);
        return LodestarProcess.JSON.readTree(response.body());
    }

    private URI url(final String path) {
        return URI.create("http://127.0.0.1:" + lodestar.port + path);
    }

    private static String header(final HttpResponse<String> response, final String name) {
        return response.headers().firstValue(name).orElse("");
    }

    /** The documented assignment: SHA-256 of "s:" + session, first 4 bytes, modulo 100. */
    private static boolean toCandidate(final String session) throws Exception {
        final byte[] hash = MessageDigest.getInstance("SHA-256").digest(("s:" + session)
                .getBytes(StandardCharsets.UTF_8));
        final long value = (hash[0] & 0xffL) << 24 | (hash[1] & 0xffL) << 16
                | (hash[2] & 0xffL) << 8 | (hash[3] & 0xffL);
        return value % 100 < PERCENT;
    }

    private static String sha256(final Path file) throws Exception {
        return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(Files.readAllBytes(file)));
    }

    /** Sends distinct paid exchanges (prompts and answers from..from+count-1); their ids. */
    private List<String> record(final FakeUpstream paid, final int from, final int count)
            throws Exception {
        final List<String> ids = new ArrayList<>();
        for (int i = from; i < from + count; i++) {
            paid.reply(ANSWERS[i]);
            final HttpResponse<String> response = chat("fake-large", "recorded", PROMPTS[i]);
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            ids.add(header(response, "x-lodestar-request-id"));
        }
        paid.reply(null);
        return ids;
    }

    private static final String[] PROMPTS = {
        "how do I reverse a linked list in Java without recursion?",
        "why does my Maven build ignore the surefire includes pattern?",
        "explain the difference between a HashMap and a TreeMap with examples",
        "write a shell one-liner that counts unique IP addresses in an access log",
        "what does the volatile keyword guarantee in the Java memory model?",
        "refactor this nested loop into a stream pipeline that groups by length",
        "which git command shows the commits that touched one file, newest first?",
        "my Docker image is huge; how do multi-stage builds make it smaller?",
        "how should a REST API report validation errors to its callers?",
        "what is a good way to test code that reads the current time?",
    };
    private static final String[] ANSWERS = {
        "walk the list once keeping previous, current and next pointers, then return previous.",
        "the plugin only runs classes whose names match; check the configured includes.",
        "a hash map gives constant time lookups, a tree map keeps its keys sorted.",
        "use awk to print the first field, then sort and uniq, then count the lines.",
        "visibility of writes across threads and ordering, but not atomicity of updates.",
        "collect with groupingBy on String::length and map each group to a list.",
        "git log --follow on the path lists them, the most recent commit at the top.",
        "compile in a builder stage and copy only the artifact into a slim runtime image.",
        "answer 400 or 422 with a body naming each invalid field and the reason.",
        "inject a clock interface and give the tests a fixed or controllable one.",
    };

    private JsonNode job(final String dataset, final String params) throws Exception {
        final JsonNode queued = postOk("/api/learning/jobs", "{\"dataset\":\"" + dataset
                + "\",\"backend\":\"command\",\"params\":" + params + "}");
        final String id = queued.path("id").asText();
        assertThat(queued.path("state").asText()).isEqualTo("QUEUED");
        final JsonNode[] last = new JsonNode[1];
        LodestarProcess.waitFor(() -> {
            last[0] = getJson("/api/learning/jobs/" + id);
            final String state = last[0].path("state").asText();
            if ("FAILED".equals(state) || "CANCELLED".equals(state)) {
                throw new AssertionError("training " + id + " " + state + ": " + last[0]
                        + "\nlog:\n" + Files.readString(Path.of(last[0].path("logPath")
                                .asText())));
            }
            return "SUCCEEDED".equals(state);
        }, Duration.ofSeconds(30), "training job " + id + " to succeed");
        System.out.println("[e2e] learning: job " + last[0]);
        return last[0];
    }

    /** Runs the quality benchmark of a version over HTTP; answers its rows (target first). */
    private JsonNode benchmark(final int version) throws Exception {
        final HttpResponse<String> queued = post("/api/learning/benchmarks/" + REGISTRY + "/"
                + version, "{\"by\":\"e2e\"}");
        assertThat(queued.statusCode()).as(queued.body()).isEqualTo(202);
        final String run = LodestarProcess.JSON.readTree(queued.body()).path("run").asText();
        final JsonNode[] rows = new JsonNode[1];
        LodestarProcess.waitFor(() -> {
            rows[0] = getJson("/api/learning/benchmarks?run=" + run);
            for (final JsonNode row : rows[0]) {
                if ("failed".equals(row.path("state").asText())) {
                    throw new AssertionError("benchmark " + run + " failed: " + rows[0]);
                }
                if (!"done".equals(row.path("state").asText())) {
                    return false;
                }
            }
            return rows[0].size() > 0;
        }, Duration.ofSeconds(30), "benchmark " + run + " of v" + version);
        System.out.println("[e2e] learning: benchmark " + rows[0]);
        return rows[0];
    }

    private static JsonNode role(final JsonNode rows, final String role) {
        for (final JsonNode row : rows) {
            if (role.equals(row.path("role").asText())) {
                return row;
            }
        }
        throw new AssertionError("no " + role + " row in " + rows);
    }

    private JsonNode version(final int number) throws Exception {
        for (final JsonNode v : getJson("/api/learning/models/" + REGISTRY)) {
            if (v.path("version").asInt() == number) {
                return v;
            }
        }
        throw new AssertionError("no " + REGISTRY + " v" + number + " in the registry");
    }

    /** Waits until the ab strategy has read these arms from the registry (every 5 s). */
    private void armsAre(final String live, final String candidate) throws Exception {
        LodestarProcess.waitFor(() -> {
            final JsonNode arms = getJson("/api/learning/ab").path("arms").path(REGISTRY);
            return live.equals(arms.path("live").asText(null)) && (candidate == null
                    ? arms.path("candidate").isNull() || arms.path("candidate").isMissingNode()
                    : candidate.equals(arms.path("candidate").asText(null)));
        }, Duration.ofSeconds(15), "A/B arms live=" + live + ", candidate=" + candidate);
    }

    @Test
    void recordedTrafficBecomesAnApprovedAbTestedPromotedAndRolledBackVersion()
            throws Exception {
        final long begin = System.nanoTime();
        final Path trainer = Path.of(LearningE2E.class.getResource("stand-in-trainer.sh")
                .toURI());
        try (FakeUpstream paid = FakeUpstream.start();
                FakeUpstream ollama = FakeUpstream.start();
                LodestarProcess process = new LodestarProcess()) {
            lodestar = process;
            ollama.models(List.of("llama3.2:1b"));
            try (Stream<Path> shipped = Files.list(lodestar.config)) {
                for (final Path file : shipped.toList()) {
                    final String name = file.getFileName().toString();
                    if (name.startsWith("lodestar.provider.") || name.startsWith("lodestar.router")
                            || name.startsWith("lodestar.learning")) {
                        Files.delete(file);
                    }
                }
            }
            lodestar.writeConfig("lodestar.provider.openai-e2e.cfg", "id=paid\nbaseUrl="
                    + paid.baseUrl() + "/v1\n.apiKey=sk-e2e\nmodels=fake-large\n"
                    + "model.fake-large=context=128000,input=2.5,output=10\n");
            // the deployed versions are found by discovery, as Ollama lists them once created
            lodestar.writeConfig("lodestar.provider.ollama-e2e.cfg", "id=local\nbaseUrl="
                    + ollama.baseUrl() + "\nmodels=\ndiscoverModels=true\nrefreshSeconds=1\n");
            lodestar.writeConfig("lodestar.router.cfg", "baselineModel=fake-large\n");
            lodestar.writeConfig("lodestar.router.model-coder.cfg", "name=coder\nstrategy=ab\n"
                    + "registry=" + REGISTRY + "\ncandidatePercent=" + PERCENT + "\n"
                    + "fallback=paid/fake-large\n");
            // both content opt-ins: usage keeps the exchanges, learning collects them
            lodestar.writeConfig("lodestar.usage.cfg", "storeContent=true\n");
            lodestar.writeConfig("lodestar.learning.cfg", "collect=true\nmodelName=" + REGISTRY
                    + "\nollamaUrl=" + ollama.baseUrl() + "\nollamaBaseModel=llama3.2:1b\n"
                    + "backend=command\nvalidationPercent=20\n");
            // the quality benchmark: its prompts go through this router; the fake Ollama
            // answers "Hello from <model>", so "is-v1" passes for v1 only
            lodestar.writeConfig("lodestar.learning.benchmark.cfg", "evaluationSet=" + Path.of(
                    LearningE2E.class.getResource("learning-benchmark.jsonl").toURI())
                    + "\nrouterUrl=http://127.0.0.1:" + lodestar.port + "/v1\ntimeoutSeconds=20\n"
                    + "concurrency=2\nmaxTokens=64\n");
            lodestar.writeConfig("lodestar.learning.command.cfg", "command=sh " + trainer
                    + " --train {train} --validation {validation} --output {output}"
                    + " --params {params}\ntimeoutMinutes=2\nkillGraceSeconds=2\n");
            lodestar.start();

            // collection is on, the paid route serves: only then count on content being kept
            LodestarProcess.waitFor(() -> {
                final HttpResponse<String> state = lodestar.get("/api/learning");
                return state != null && state.statusCode() == 200 && LodestarProcess.JSON
                        .readTree(state.body()).path("collect").asBoolean(false);
            }, Duration.ofSeconds(20), "learning collection to start");
            LodestarProcess.waitFor(() -> lodestar.get("/api/usage").statusCode() == 200,
                    Duration.ofSeconds(20), "usage tracking to start");
            LodestarProcess.waitFor(() -> chat("fake-large", "warm", "warm up").statusCode()
                    == 200, Duration.ofSeconds(20), "the paid provider to serve");
            // nothing approved yet: the ab model has no arm and falls back to the paid model
            final HttpResponse<String> before = chat("coder", "early", "anything trained?");
            assertThat(before.statusCode()).isEqualTo(200);
            assertThat(header(before, "x-lodestar-model")).isEqualTo("paid/fake-large");
            assertThat(header(before, "x-lodestar-route")).contains("ab:fallback fake-large");

            // the two answers so far (warm-up, fallback) are kept: a fresh database
            LodestarProcess.waitFor(() -> getJson("/api/learning").path("storedExchanges")
                    .asLong() == 2, Duration.ofSeconds(15), "the first 2 exchanges stored");

            // 1. recorded traffic: paid answers kept (scrubbed) by learning and by usage
            final List<String> ids = record(paid, 0, 6);
            final HttpResponse<String> secret = chat("fake-large", "recorded", "my address is "
                    + "alice@example.com, why does this regex not match dates like 2026-11-26?");
            assertThat(secret.statusCode()).isEqualTo(200);
            LodestarProcess.waitFor(() -> getJson("/api/learning").path("storedExchanges")
                    .asLong() == 9, Duration.ofSeconds(15), "9 exchanges stored");
            final JsonNode collector = getJson("/api/learning").path("collector");
            assertThat(collector.path("redactions").path("email").asInt()).isPositive();
            LodestarProcess.waitFor(() -> {
                final String content = lodestar.get("/api/usage/content?limit=1000").body();
                return ids.stream().allMatch(content::contains);
            }, Duration.ofSeconds(15), "usage to store the same exchanges' content");

            // 2. a dataset from them
            final JsonNode dataset = postOk("/api/learning/datasets", "{}");
            final String datasetId = dataset.path("id").asText();
            System.out.println("[e2e] learning: dataset " + dataset.path("manifest")
                    .path("counts"));
            assertThat(datasetId).startsWith("ds-");
            assertThat(dataset.path("existed").asBoolean()).isFalse();
            assertThat(dataset.path("manifest").path("counts").path("kept").asInt())
                    .isGreaterThanOrEqualTo(7);
            final Path dir = Path.of(dataset.path("path").asText());
            assertThat(Files.readString(dir.resolve("train.jsonl")) + Files.readString(
                    dir.resolve("validation.jsonl"))).contains("[REDACTED_EMAIL]")
                    .doesNotContain("alice@example.com").contains(ANSWERS[0]);
            assertThat(postOk("/api/learning/datasets", "{}").path("existed").asBoolean())
                    .as("the same data gives the same dataset").isTrue();

            // 3. training with the command backend and the stand-in trainer: candidate v1
            final JsonNode job1 = job(datasetId, "{\"epochs\":\"1\"}");
            assertThat(job1.path("modelVersion").asInt()).isEqualTo(1);
            assertThat(job1.path("step").asLong()).isPositive();
            assertThat(job1.path("loss").asDouble()).isEqualTo(0.5);
            assertThat(job1.path("evalLoss").asDouble()).isEqualTo(0.75);
            final JsonNode candidate1 = version(1);
            assertThat(candidate1.path("state").asText()).isEqualTo("candidate");
            assertThat(candidate1.path("datasetId").asText()).isEqualTo(datasetId);
            assertThat(candidate1.path("backend").asText()).isEqualTo("command");
            assertThat(candidate1.path("metrics").path("train_rows").asInt())
                    .isEqualTo(dataset.path("manifest").path("counts").path("train").asInt());
            assertThat(ollama.created()).as("training never deploys").isEmpty();
            assertThat(post("/api/learning/models/coder/1/promote", "{}").statusCode())
                    .as("a candidate cannot be promoted").isEqualTo(409);

            // 4. the quality benchmark (through the router; the candidate is deployed for it),
            // then approval deploys the adapter to Ollama: blobs by digest, then create
            final JsonNode bench1 = role(benchmark(1), "target");
            assertThat(bench1.path("passed").asInt()).isEqualTo(2);
            assertThat(bench1.path("total").asInt()).isEqualTo(2);
            final JsonNode approved1 = postOk("/api/learning/models/coder/1/approve",
                    "{\"by\":\"e2e reviewer\"}");
            assertThat(approved1.path("state").asText()).isEqualTo("approved");
            assertThat(approved1.path("deployedAs").asText()).isEqualTo(V1);
            assertThat(approved1.path("approvedBy").asText()).contains("e2e reviewer");
            final Path adapter1 = Path.of(candidate1.path("adapterDir").asText());
            final Map<String, String> digests = new LinkedHashMap<>();
            for (final String file : List.of("adapter_config.json",
                    "adapter_model.safetensors")) {
                digests.put(file, sha256(adapter1.resolve(file)));
            }
            assertThat(ollama.requests()).anySatisfy(r -> {
                assertThat(r.method()).isEqualTo("HEAD");
                assertThat(r.path()).isEqualTo("/api/blobs/" + digests.get(
                        "adapter_model.safetensors"));
            });
            assertThat(ollama.blobs()).containsExactlyInAnyOrderElementsOf(digests.values());
            final JsonNode create = ollama.requests().stream()
                    .filter(r -> r.path().equals("/api/create")).reduce((a, b) -> b)
                    .orElseThrow().json();
            assertThat(create.path("model").asText()).isEqualTo(V1);
            assertThat(create.path("from").asText()).isEqualTo("llama3.2:1b");
            assertThat(LodestarProcess.JSON.convertValue(create.path("adapters"), Map.class))
                    .isEqualTo(digests);
            assertThat(ollama.created()).containsOnly(V1);

            // 5. promotion: v1 is live
            assertThat(postOk("/api/learning/models/coder/1/promote", "{}").path("state")
                    .asText()).isEqualTo("live");

            // 6. more traffic, a second dataset, v2 trained with other parameters, approved
            record(paid, 6, 4);
            LodestarProcess.waitFor(() -> getJson("/api/learning").path("storedExchanges")
                    .asLong() == 13, Duration.ofSeconds(15), "13 exchanges stored");
            final JsonNode dataset2 = postOk("/api/learning/datasets", "{}");
            assertThat(dataset2.path("id").asText()).isNotEqualTo(datasetId);
            assertThat(dataset2.path("manifest").path("counts").path("kept").asInt())
                    .isGreaterThan(dataset.path("manifest").path("counts").path("kept")
                            .asInt());
            final JsonNode job2 = job(dataset2.path("id").asText(), "{\"epochs\":\"2\"}");
            assertThat(job2.path("modelVersion").asInt()).isEqualTo(2);
            assertThat(job2.path("params").path("epochs").asText()).isEqualTo("2");
            // the benchmark gate: v2 scores 1/2 against the live v1's 2/2, so approval is
            // refused until a person overrides it
            final JsonNode bench2 = benchmark(2);
            assertThat(role(bench2, "target").path("passed").asInt()).isEqualTo(1);
            assertThat(role(bench2, "live").path("version").asInt()).isEqualTo(1);
            assertThat(role(bench2, "live").path("passed").asInt()).isEqualTo(2);
            final HttpResponse<String> gated = post("/api/learning/models/coder/2/approve", "{}");
            assertThat(gated.statusCode()).as(gated.body()).isEqualTo(409);
            assertThat(gated.body()).contains("below the live v1");
            assertThat(version(2).path("state").asText()).isEqualTo("candidate");
            assertThat(postOk("/api/learning/models/coder/2/approve", "{\"override\":true,"
                    + "\"by\":\"e2e reviewer\"}").path("deployedAs").asText()).isEqualTo(V2);
            assertThat(getJson("/api/learning/models/coder/history").toString())
                    .contains("benchmark gate OVERRIDDEN");
            assertThat(ollama.created()).containsOnly(V1, V2);
            assertThat(ollama.blobs()).hasSize(4);
            // the benchmark's prompts are not training data: 6 were asked (v1 alone, then v2
            // and the live v1); the live v1's second time is answered by the response cache
            // (same prompt, temperature 0), which hands no content on, so 4 reach collection
            try {
                LodestarProcess.waitFor(() -> getJson("/api/learning").path("collector")
                        .path("benchmark").asInt() >= 4, Duration.ofSeconds(15),
                        "the benchmark exchanges left out of collection");
            } catch (final AssertionError e) {
                throw new AssertionError(e.getMessage() + ": " + getJson("/api/learning"), e);
            }
            assertThat(getJson("/api/learning").path("storedExchanges").asLong()).isEqualTo(13);

            // 7. A/B: sessions split by hash, sticky, between live v1 and candidate v2
            armsAre(V1, V2);
            LodestarProcess.waitFor(() -> {
                final String models = lodestar.get("/v1/models").body();
                return models.contains(V1) && models.contains(V2);
            }, Duration.ofSeconds(15), "both versions discovered in Ollama");
            final Map<String, Integer> perArm = new LinkedHashMap<>(Map.of("live", 0,
                    "candidate", 0));
            // the request ids of each arm's answers, rated after the traffic
            final Map<String, List<String>> idsOf = Map.of("live", new ArrayList<>(),
                    "candidate", new ArrayList<>());
            // three sessions of each arm, found by the documented hash rule
            final List<String> sessions = new ArrayList<>();
            int ofCandidate = 0;
            for (int s = 0; sessions.size() < 6; s++) {
                final boolean candidate = toCandidate("dev-" + s);
                if (candidate ? ofCandidate < 3 : sessions.size() - ofCandidate < 3) {
                    sessions.add("dev-" + s);
                    ofCandidate += candidate ? 1 : 0;
                }
            }
            boolean failedOnce = false;
            for (final String session : sessions) {
                final boolean candidate = toCandidate(session);
                final String expected = candidate ? V2 : V1;
                for (int r = 0; r < 3; r++) {
                    if (candidate && !failedOnce) {
                        // one candidate answer fails once and is retried: an escalation
                        ollama.enqueue(Fault.status(500, null));
                        failedOnce = true;
                    }
                    final HttpResponse<String> answer = chat("coder", session, "task " + r
                            + " of " + session);
                    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
                    assertThat(header(answer, "x-lodestar-model")).as("session %s, request %d",
                            session, r).isEqualTo("local/" + expected);
                    assertThat(LodestarProcess.JSON.readTree(answer.body()).path("model")
                            .asText()).isEqualTo(expected);
                    assertThat(header(answer, "x-lodestar-route")).contains("ab:"
                            + (candidate ? "candidate " : "live ") + expected);
                    perArm.merge(candidate ? "candidate" : "live", 1, Integer::sum);
                    final String requestId = header(answer, "x-lodestar-request-id");
                    assertThat(requestId).as("the router names each answer's request").isNotEmpty();
                    idsOf.get(candidate ? "candidate" : "live").add(requestId);
                }
            }
            assertThat(failedOnce).as("some session goes to the candidate").isTrue();
            assertThat(perArm.get("live")).as("some session goes to the live version")
                    .isPositive();
            final JsonNode[] ab = new JsonNode[1];
            LodestarProcess.waitFor(() -> {
                ab[0] = getJson("/api/learning/ab").path("experiments").path("coder");
                return ab[0].path("live").path("requests").asInt() == perArm.get("live")
                        && ab[0].path("candidate").path("requests").asInt()
                        == perArm.get("candidate");
            }, Duration.ofSeconds(15), "the A/B report to count " + perArm);
            System.out.println("[e2e] learning: /api/learning/ab coder " + ab[0]);
            assertThat(ab[0].path("live").path("model").asText()).isEqualTo(V1);
            assertThat(ab[0].path("candidate").path("model").asText()).isEqualTo(V2);
            assertThat(ab[0].path("candidate").path("escalations").asInt()).isEqualTo(1);
            assertThat(ab[0].path("live").path("escalations").asInt()).isZero();
            final JsonNode difference = ab[0].path("difference");
            assertThat(difference.path("of").asText()).isEqualTo("candidate - live");
            final JsonNode escalation = difference.path("escalationRate");
            assertThat(escalation.path("value").asDouble()).isCloseTo(
                    1.0 / perArm.get("candidate"), within(1e-9));
            assertThat(escalation.path("low").asDouble()).isLessThan(escalation.path("value")
                    .asDouble());
            assertThat(escalation.path("high").asDouble()).isGreaterThan(escalation
                    .path("value").asDouble());
            assertThat(difference.path("errorRate").path("value").asDouble()).isZero();
            assertThat(difference.path("latencyMs").path("method").asText()).isEqualTo("welch");
            assertThat(difference.path("costUsd").path("value").asDouble())
                    .as("both arms are local, free models").isZero();

            // explicit feedback on three answers of each arm reaches the arm that served it:
            // live 1, 0.5 and -1 changed to 0 (mean 0.5, 2 rated above 0); candidate 1, 1, 0.5
            // (mean 0.8333, 3 above 0); a rating outside the experiment is not counted
            final List<String> live = idsOf.get("live");
            final List<String> cand = idsOf.get("candidate");
            final String[][] ratings = {{live.get(0), "1"}, {live.get(1), "0.5"},
                {live.get(2), "-1"}, {live.get(2), "0"}, {cand.get(0), "1"}, {cand.get(1), "1"},
                {cand.get(2), "0.5"}, {ids.get(0), "1"}};
            for (final String[] rating : ratings) {
                assertThat(postOk("/api/feedback", "{\"requestId\":\"" + rating[0]
                        + "\",\"rating\":" + rating[1] + "}").path("rating").asDouble())
                        .isEqualTo(Double.parseDouble(rating[1]));
            }
            final JsonNode rated = getJson("/api/learning/ab").path("experiments")
                    .path(REGISTRY);
            System.out.println("[e2e] learning: A/B feedback live " + rated.path("live")
                    .path("feedback") + ", candidate " + rated.path("candidate")
                    .path("feedback") + ", difference " + rated.path("difference")
                    .path("meanRating"));
            final JsonNode liveFeedback = rated.path("live").path("feedback");
            assertThat(liveFeedback.path("count").asInt()).isEqualTo(3);
            assertThat(liveFeedback.path("positive").asInt()).isEqualTo(2);
            assertThat(liveFeedback.path("meanRating").path("value").asDouble())
                    .isCloseTo(0.5, within(1e-9));
            final JsonNode candidateFeedback = rated.path("candidate").path("feedback");
            assertThat(candidateFeedback.path("count").asInt()).isEqualTo(3);
            assertThat(candidateFeedback.path("positive").asInt()).isEqualTo(3);
            assertThat(candidateFeedback.path("meanRating").path("value").asDouble())
                    .isCloseTo(2.5 / 3, within(1e-9));
            assertThat(candidateFeedback.path("positiveRate").path("value").asDouble())
                    .isEqualTo(1.0);
            final JsonNode meanRating = rated.path("difference").path("meanRating");
            assertThat(meanRating.path("value").asDouble()).isCloseTo(2.5 / 3 - 0.5,
                    within(1e-9));
            assertThat(meanRating.path("method").asText()).isEqualTo("welch");
            assertThat(meanRating.path("low").asDouble()).isLessThan(meanRating.path("value")
                    .asDouble());
            assertThat(rated.path("difference").path("positiveRate").path("value").asDouble())
                    .isCloseTo(1.0 / 3, within(1e-9));
            assertThat(lodestar.script("shell.sh", "lodestar:ab").output())
                    .contains("candidate - live").contains(V2).contains("MEAN RATING")
                    .contains("+0.50 [").contains("mean rating +0.33 [");
            assertThat(version(2).path("state").asText()).as("the experiment never promotes")
                    .isEqualTo("approved");

            // stopped over HTTP: a candidate session goes to the live version, the figures stay;
            // started again from Gogo: it goes back to the candidate
            String candidateSession = null;
            for (final String session : sessions) {
                if (candidateSession == null && toCandidate(session)) {
                    candidateSession = session;
                }
            }
            assertThat(candidateSession).isNotNull();
            final JsonNode stopped = postOk("/api/learning/ab/coder/stop", "{\"by\":\"qa\"}");
            assertThat(stopped.path("state").asText()).isEqualTo("stopped");
            assertThat(stopped.path("changedBy").asText()).endsWith("(qa)");
            final HttpResponse<String> whileStopped = chat("coder", candidateSession,
                    "while stopped");
            assertThat(header(whileStopped, "x-lodestar-model")).isEqualTo("local/" + V1);
            assertThat(header(whileStopped, "x-lodestar-route")).contains("ab:live " + V1)
                    .contains("experiment stopped");
            final JsonNode status = getJson("/api/learning/ab");
            assertThat(status.path("status").path("coder").path("state").asText())
                    .isEqualTo("stopped");
            assertThat(status.path("experiments").path("coder").path("candidate")
                    .path("requests").asInt()).isEqualTo(perArm.get("candidate"));
            assertThat(lodestar.script("shell.sh", "lodestar:ab start coder").output())
                    .contains("experiment coder: running");
            assertThat(header(chat("coder", candidateSession, "started again"),
                    "x-lodestar-model")).isEqualTo("local/" + V2);

            // 8. promote v2: the virtual model now serves v2 to every session
            assertThat(postOk("/api/learning/models/coder/2/promote", "{}").path("state")
                    .asText()).isEqualTo("live");
            assertThat(version(1).path("state").asText()).isEqualTo("retired");
            // at once (no wait): every session, also those that were on the live arm, gets v2
            for (final String session : sessions) {
                final HttpResponse<String> promoted = chat("coder", session, "after promotion");
                assertThat(header(promoted, "x-lodestar-model")).isEqualTo("local/" + V2);
            }
            armsAre(V2, null);

            // 9. rollback in one step: v1 live again, v2 retired, served at once
            final JsonNode rolledBack = postOk("/api/learning/models/coder/rollback",
                    "{\"by\":\"on call\"}");
            assertThat(rolledBack.path("version").asInt()).isEqualTo(1);
            assertThat(rolledBack.path("state").asText()).isEqualTo("live");
            // the very next request, without any wait, is served by v1 again
            final HttpResponse<String> after = chat("coder", sessions.get(0), "after rollback");
            assertThat(after.statusCode()).isEqualTo(200);
            assertThat(header(after, "x-lodestar-model")).isEqualTo("local/" + V1);
            assertThat(header(after, "x-lodestar-route")).contains("ab:live " + V1);
            assertThat(LodestarProcess.JSON.readTree(after.body()).path("model").asText())
                    .isEqualTo(V1);
            assertThat(ollama.requests().stream().filter(r -> r.path().equals("/api/chat"))
                    .reduce((a, b) -> b).orElseThrow().json().path("model").asText())
                    .isEqualTo(V1);
            for (final String session : sessions) {
                assertThat(header(chat("coder", session, "after rollback, again"),
                        "x-lodestar-model")).isEqualTo("local/" + V1);
            }
            // a prompt v2 answered before the rollback is not served from v2's cached answer
            final HttpResponse<String> again = chat("coder", sessions.get(1), "after promotion");
            assertThat(header(again, "x-lodestar-model")).isEqualTo("local/" + V1);
            assertThat(LodestarProcess.JSON.readTree(again.body()).path("choices").path(0)
                    .path("message").path("content").asText()).isEqualTo("Hello from " + V1);
            assertThat(version(2).path("state").asText()).isEqualTo("retired");
            armsAre(V1, null);
            // the versions' own answers (all the A/B traffic) never became training data
            final JsonNode state = getJson("/api/learning");
            assertThat(state.path("storedExchanges").asLong()).isEqualTo(13);
            assertThat(state.path("collector").path("excludedModel").asInt()).isPositive();
            final String history = getJson("/api/learning/models/coder/history").toString();
            assertThat(history).contains("registered", "approved", "promoted", "retired",
                    "rolled back", "http:", "on call");
            lodestar.stop();
            System.out.printf("[e2e] learning: whole loop in %d ms%n",
                    Duration.ofNanos(System.nanoTime() - begin).toMillis());
        }
    }
}
