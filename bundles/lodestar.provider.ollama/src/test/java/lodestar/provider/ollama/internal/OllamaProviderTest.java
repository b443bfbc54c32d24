package lodestar.provider.ollama.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import lodestar.api.chat.ChatChunk;
import lodestar.api.chat.ChatRequest;
import lodestar.api.chat.ChatResponse;
import lodestar.api.chat.Usage;
import lodestar.api.provider.CallOptions;
import lodestar.api.provider.ChatCall;
import lodestar.api.provider.FailureKind;
import lodestar.api.provider.ForwardRequest;
import lodestar.api.provider.ModelInfo;
import lodestar.api.provider.ProviderFailure;
import lodestar.provider.ollama.internal.Listeners.Completed;
import lodestar.provider.ollama.internal.Listeners.Started;
import lodestar.test.upstream.Fault;
import lodestar.test.upstream.FakeUpstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The provider against a fake Ollama over real HTTP. */
class OllamaProviderTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MODEL = "llama3.2:3b";

    private FakeUpstream fake;
    private OllamaProvider provider;

    @BeforeEach
    void start() throws IOException {
        fake = FakeUpstream.start();
    }

    @AfterEach
    void stop() {
        if (provider != null) {
            provider.deactivate();
        }
        fake.close();
    }

    private Map<String, Object> config(final Object... keyValues) {
        final Map<String, Object> map = new HashMap<>();
        map.put("service.pid", "lodestar.provider.ollama~test");
        map.put(OllamaSettings.FILE_PROPERTY, "/cfg/lodestar.provider.ollama-test.cfg");
        map.put("baseUrl", fake.baseUrl());
        map.put("models", MODEL + ",deepseek-coder:1.3b");
        map.put("model." + MODEL, "context=131072,tools=true");
        map.put("model.deepseek-coder:1.3b", "context=16384,tools=false");
        for (int i = 0; i < keyValues.length; i += 2) {
            map.put((String) keyValues[i], keyValues[i + 1]);
        }
        return map;
    }

    /** What the provider sent, without the background health probes. */
    private List<FakeUpstream.Recorded> calls() {
        return fake.requests().stream().filter(r -> !r.path().equals("/api/tags")
                && !r.path().equals("/api/ps")).toList();
    }

    private OllamaProvider provider(final Object... keyValues) {
        provider = new OllamaProvider(config(keyValues));
        return provider;
    }

    private static ChatRequest chat(final boolean stream, final String extra) throws IOException {
        return JSON.readValue("{\"model\":\"" + MODEL + "\",\"stream\":" + stream
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"two words\"}]" + extra + "}",
                ChatRequest.class);
    }

    private static CallOptions options(final long firstByteMs, final long totalMs) {
        return new CallOptions("req-1", Duration.ofMillis(firstByteMs),
                Duration.ofMillis(totalMs), Map.of());
    }

    private static String ndjson(final String... lines) {
        return String.join("\n", lines) + "\n";
    }

    private static String line(final String content) {
        return "{\"model\":\"" + MODEL + "\",\"created_at\":\"2026-11-26T10:00:00Z\","
                + "\"message\":{\"role\":\"assistant\",\"content\":\"" + content + "\"},"
                + "\"done\":false}";
    }

    @Test
    void describesItself() throws Exception {
        provider("id", "ollama");

        assertThat(provider.id()).isEqualTo("ollama");
        assertThat(provider.dialect()).isEqualTo("ollama");
        assertThat(provider.isAvailable()).isTrue();
        assertThat(provider.models()).containsExactly(
                new ModelInfo(MODEL, "ollama", 131072, true, false, true, 0, 0),
                new ModelInfo("deepseek-coder:1.3b", "ollama", 16384, false, false, true, 0, 0));
        // without discovery, the background refresh still probes Ollama (for health) but the
        // models served stay the configured ones
        Listeners.await(() -> provider.status().reachable(), Duration.ofSeconds(5));
        assertThat(provider.status().installed()).isNotEmpty();
        assertThat(provider.models()).hasSize(2);
    }

    @Test
    void healthChecksReportReachabilityMissingAndSpilledModels() throws Exception {
        fake.models(List.of(MODEL, "deepseek-coder:6.7b"));
        provider("models", MODEL + ",deepseek-coder:6.7b,qwen2.5-coder:3b");
        final OllamaHealth health = new OllamaHealth(provider);
        assertThat(health.name()).isEqualTo("provider.ollama-test");
        assertThat(health.check()).hasSizeGreaterThanOrEqualTo(1);
        Listeners.await(() -> provider.status().reachable(), Duration.ofSeconds(5));
        provider.refreshed(provider.settings(), List.of(MODEL + ":latest",
                "deepseek-coder:6.7b"), List.of(new OllamaStatus.LoadedModel(
                        "deepseek-coder:6.7b", 4_100_000_000L, 3_500_000_000L, true)));

        final java.util.Map<String, lodestar.api.health.HealthResult> results =
                new java.util.HashMap<>();
        health.check().forEach(r -> results.put(r.name(), r));
        assertThat(results.get("provider.ollama-test").severity())
                .isEqualTo(lodestar.api.health.Severity.OK);
        assertThat(results.get("provider.ollama-test.model." + MODEL).severity())
                .isEqualTo(lodestar.api.health.Severity.OK);
        assertThat(results.get("provider.ollama-test.model.deepseek-coder:6.7b").message())
                .contains("does not fit into GPU memory");
        assertThat(results.get("provider.ollama-test.model.qwen2.5-coder:3b").message())
                .contains("ollama pull qwen2.5-coder:3b");
        assertThat(results.get("provider.ollama-test.model.qwen2.5-coder:3b").details())
                .containsEntry("down", true);

        fake.close();
        provider.refresh();
        Listeners.await(() -> !provider.status().reachable(), Duration.ofSeconds(5));
        final lodestar.api.health.HealthResult down = health.check().get(0);
        assertThat(down.severity()).isEqualTo(lodestar.api.health.Severity.WARNING);
        assertThat(down.details()).containsEntry("down", true);
        assertThat(down.message()).contains("does not answer");
        fake = FakeUpstream.start();
    }

    @Test
    void aStreamedChatGivesCanonicalChunksThenFinishAndUsage() throws Exception {
        final Listeners.Chat listener = new Listeners.Chat();

        provider().chat(chat(true, ""), CallOptions.of("req-7"), listener);

        final Completed completed = listener.completed();
        assertThat(completed.usage()).isEqualTo(Usage.of(2, 3));
        final List<ChatChunk> chunks = listener.of(ChatChunk.class);
        assertThat(chunks).hasSize(5);
        assertThat(chunks).extracting(ChatChunk::id).containsOnly(chunks.get(0).id());
        assertThat(chunks.get(0).id()).startsWith("chatcmpl-ollama-");
        assertThat(chunks).extracting(ChatChunk::object).containsOnly("chat.completion.chunk");
        assertThat(chunks).extracting(ChatChunk::model).containsOnly(MODEL);
        assertThat(chunks.get(0).choices().get(0).delta().role()).isEqualTo("assistant");
        assertThat(chunks.subList(0, 3)).extracting(c -> c.choices().get(0).delta().text())
                .containsExactly("Hello", " from", " " + MODEL);
        assertThat(chunks.get(1).choices().get(0).delta().role()).isNull();
        assertThat(chunks.get(3).choices().get(0).finishReason()).isEqualTo("stop");
        assertThat(chunks.get(4).isUsageOnly()).isTrue();
        assertThat(chunks.get(4).usage()).isEqualTo(Usage.of(2, 3));
        assertThat(listener.violations).hasValue(0);
        assertThat(listener.lastThread.getName()).startsWith("lodestar-ollama-ollama-test-");

        final FakeUpstream.Recorded recorded = calls().get(0);
        assertThat(recorded.method()).isEqualTo("POST");
        assertThat(recorded.path()).isEqualTo("/api/chat");
        assertThat(recorded.headers().get("X-Request-Id")).isEqualTo("req-7");
        assertThat(recorded.json()).isEqualTo(JSON.readTree("{\"model\":\"" + MODEL + "\","
                + "\"messages\":[{\"role\":\"user\",\"content\":\"two words\"}],"
                + "\"stream\":true,\"keep_alive\":\"5m\"}"));
    }

    @Test
    void aNonStreamedChatGivesOneResponse() throws Exception {
        final Listeners.Chat listener = new Listeners.Chat();

        provider().chat(chat(false, ""), null, listener);

        assertThat(listener.completed().usage()).isEqualTo(Usage.of(2, 3));
        assertThat(listener.events).hasSize(2);
        final ChatResponse response = (ChatResponse) listener.events.get(0);
        assertThat(response.object()).isEqualTo("chat.completion");
        assertThat(response.id()).startsWith("chatcmpl-ollama-");
        assertThat(response.model()).isEqualTo(MODEL);
        assertThat(response.created()).isEqualTo(1_795_687_200L);
        assertThat(response.choices().get(0).message().text()).isEqualTo("Hello from " + MODEL);
        assertThat(response.choices().get(0).finishReason()).isEqualTo("stop");
        assertThat(response.usage()).isEqualTo(Usage.of(2, 3));
        assertThat(calls().get(0).json().path("stream").asBoolean(true)).isFalse();
    }

    @Test
    void requestFieldsReachOllamaTranslated() throws Exception {
        final ChatRequest request = JSON.readValue("{\"model\":\"" + MODEL + "\","
                + "\"stream\":true,\"temperature\":0.3,\"seed\":11,\"max_tokens\":64,"
                + "\"stop\":[\"\\n\\n\"],\"messages\":[{\"role\":\"user\",\"content\":["
                + "{\"type\":\"text\",\"text\":\"describe\"},{\"type\":\"image_url\","
                + "\"image_url\":{\"url\":\"data:image/png;base64,iVBORw0KGgo=\"}}]}],"
                + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"read_file\","
                + "\"description\":\"reads\",\"parameters\":{\"type\":\"object\","
                + "\"properties\":{\"path\":{\"type\":\"string\"}}}}}]}", ChatRequest.class);
        final Listeners.Chat listener = new Listeners.Chat();

        provider("keepAlive", "30m", "model." + MODEL, "context=131072,tools=true,numCtx=8192")
                .chat(request, CallOptions.of("r"), listener);
        listener.completed();

        final JsonNode body = calls().get(0).json();
        assertThat(body.path("keep_alive").asText()).isEqualTo("30m");
        assertThat(body.path("options")).isEqualTo(JSON.readTree("{\"temperature\":0.3,"
                + "\"seed\":11,\"num_predict\":64,\"stop\":[\"\\n\\n\"],\"num_ctx\":8192}"));
        assertThat(body.at("/messages/0/content").asText()).isEqualTo("describe");
        assertThat(body.at("/messages/0/images")).isEqualTo(
                JSON.readTree("[\"iVBORw0KGgo=\"]"));
        assertThat(body.path("tools")).isEqualTo(JSON.readTree("[{\"type\":\"function\","
                + "\"function\":{\"name\":\"read_file\",\"description\":\"reads\","
                + "\"parameters\":{\"type\":\"object\",\"properties\":{\"path\":"
                + "{\"type\":\"string\"}}}}}]"));
    }

    @Test
    void anErrorLineMidStreamFailsTheCallAfterItsOutput() throws Exception {
        fake.enqueue(Fault.status(200, null, ndjson(line("Hel"),
                "{\"error\":\"llama runner process has terminated\"}")));
        final Listeners.Chat listener = new Listeners.Chat();

        provider().chat(chat(true, ""), null, listener);

        final ProviderFailure failure = listener.failure();
        assertThat(failure.kind()).isEqualTo(FailureKind.SERVER_ERROR);
        assertThat(failure.httpStatus()).isEqualTo(200);
        assertThat(failure.message()).isEqualTo("llama runner process has terminated");
        assertThat(failure.outputStarted()).isTrue();
        assertThat(listener.of(ChatChunk.class)).singleElement()
                .satisfies(c -> assertThat(c.choices().get(0).delta().text()).isEqualTo("Hel"));
        assertThat(listener.violations).hasValue(0);
    }

    @Test
    void anErrorInsteadOfAnAnswerIsAServerErrorBeforeOutput() throws Exception {
        fake.enqueue(Fault.status(200, null, "{\"error\":\"out of memory\"}"));
        final Listeners.Chat listener = new Listeners.Chat();

        provider().chat(chat(false, ""), null, listener);

        final ProviderFailure failure = listener.failure();
        assertThat(failure.kind()).isEqualTo(FailureKind.SERVER_ERROR);
        assertThat(failure.outputStarted()).isFalse();
        assertThat(listener.events).hasSize(1);
    }

    @Test
    void anUnknownModelIsNotFound() throws Exception {
        fake.enqueue(Fault.status(404, null,
                "{\"error\":\"model 'nope' not found, try pulling it first\"}"));
        final Listeners.Chat listener = new Listeners.Chat();

        provider().chat(chat(true, "").withModel("nope"), null, listener);

        final ProviderFailure failure = listener.failure();
        assertThat(failure.kind()).isEqualTo(FailureKind.NOT_FOUND);
        assertThat(failure.httpStatus()).isEqualTo(404);
        assertThat(failure.message()).isEqualTo("model 'nope' not found, try pulling it first");
        assertThat(failure.outputStarted()).isFalse();
    }

    @Test
    void aServerErrorCarriesRetryAfter() throws Exception {
        fake.enqueue(Fault.status(500, "2"));
        final Listeners.Chat listener = new Listeners.Chat();

        provider().chat(chat(true, ""), null, listener);

        final ProviderFailure failure = listener.failure();
        assertThat(failure.kind()).isEqualTo(FailureKind.SERVER_ERROR);
        assertThat(failure.httpStatus()).isEqualTo(500);
        assertThat(failure.message()).isEqualTo("fake upstream error 500");
        assertThat(failure.retryAfter()).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void aSlowFirstByteIsATimeout() throws Exception {
        fake.enqueue(Fault.slowFirstByte(Duration.ofMillis(2000)));
        final Listeners.Chat listener = new Listeners.Chat();
        final long start = System.nanoTime();

        provider().chat(chat(true, ""), options(300, 10_000), listener);

        final ProviderFailure failure = listener.failure();
        assertThat(failure.kind()).isEqualTo(FailureKind.TIMEOUT);
        assertThat(failure.message()).contains("300 ms").contains("first-byte");
        assertThat(failure.outputStarted()).isFalse();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(
                Duration.ofMillis(1800));
    }

    @Test
    void theTotalTimeoutEndsACall() throws Exception {
        fake.enqueue(Fault.slowFirstByte(Duration.ofMillis(2000)));
        final Listeners.Chat listener = new Listeners.Chat();

        provider("firstByteTimeoutMs", "10000", "totalTimeoutMs", "250")
                .chat(chat(true, ""), null, listener);

        final ProviderFailure failure = listener.failure();
        assertThat(failure.kind()).isEqualTo(FailureKind.TIMEOUT);
        assertThat(failure.message()).contains("total timeout of 250 ms");
    }

    @Test
    void aStreamCutMidWayIsAConnectionFailureAfterOutput() throws Exception {
        fake.enqueue(Fault.resetMidStream(2));
        final Listeners.Chat listener = new Listeners.Chat();

        provider().chat(chat(true, ""), null, listener);

        final ProviderFailure failure = listener.failure();
        assertThat(failure.kind()).isEqualTo(FailureKind.CONNECTION);
        assertThat(failure.outputStarted()).isTrue();
        // the JDK client may drop what it buffered when the connection breaks
        assertThat(listener.of(ChatChunk.class)).hasSizeBetween(1, 2);
    }

    @Test
    void aStreamWithoutItsFinalLineIsAConnectionFailure() throws Exception {
        fake.enqueue(Fault.status(200, null, ndjson(line("Hel"), "", line("lo"))));
        final Listeners.Chat listener = new Listeners.Chat();

        provider().chat(chat(true, ""), null, listener);

        final ProviderFailure failure = listener.failure();
        assertThat(failure.kind()).isEqualTo(FailureKind.CONNECTION);
        assertThat(failure.message()).contains("ended before its final (done) line");
        assertThat(failure.outputStarted()).isTrue();
        assertThat(listener.of(ChatChunk.class)).hasSize(2);
    }

    @Test
    void malformedJsonIsAProtocolFailure() throws Exception {
        fake.enqueue(Fault.malformedJson());
        final Listeners.Chat streamed = new Listeners.Chat();
        provider().chat(chat(true, ""), null, streamed);
        assertThat(streamed.failure().kind()).isEqualTo(FailureKind.PROTOCOL);

        fake.enqueue(Fault.malformedJson());
        final Listeners.Chat whole = new Listeners.Chat();
        provider.chat(chat(false, ""), null, whole);
        assertThat(whole.failure().kind()).isEqualTo(FailureKind.PROTOCOL);

        fake.enqueue(Fault.status(200, null, "[1,2]\n"));
        final Listeners.Chat notAnObject = new Listeners.Chat();
        provider.chat(chat(true, ""), null, notAnObject);
        assertThat(notAnObject.failure().message()).contains("not a JSON object");

        fake.enqueue(Fault.status(200, null, ""));
        final Listeners.Chat empty = new Listeners.Chat();
        provider.chat(chat(false, ""), null, empty);
        assertThat(empty.failure().message()).contains("empty answer");
    }

    @Test
    void aCancelledCallReportsNothingMore() throws Exception {
        fake.enqueue(Fault.slowFirstByte(Duration.ofMillis(500)));
        final Listeners.Chat listener = new Listeners.Chat();

        final ChatCall call = provider().chat(chat(true, ""), null, listener);
        call.cancel();
        call.cancel();

        assertThat(listener.awaitEnd(Duration.ofMillis(1200))).isFalse();
        assertThat(listener.events).isEmpty();
        assertThat(fake.served()).isLessThanOrEqualTo(1);
    }

    @Test
    void cancellingFromTheListenerStopsTheStream() throws Exception {
        fake.reply("one two three four five six seven eight");
        final ChatCall[] call = new ChatCall[1];
        final Listeners.Chat listener = new Listeners.Chat(chunk -> call[0].cancel());

        call[0] = provider().chat(chat(true, ""), null, listener);

        Listeners.await(() -> !listener.events.isEmpty(), Duration.ofSeconds(5));
        Thread.sleep(300);
        assertThat(listener.events).hasSize(1);
        assertThat(listener.terminals).hasValue(0);
    }

    @Test
    void aFailingListenerEndsTheCall() throws Exception {
        final Listeners.Chat listener = new Listeners.Chat(chunk -> {
            throw new IllegalStateException("bug");
        });

        provider().chat(chat(true, ""), null, listener);

        final ProviderFailure failure = listener.failure();
        assertThat(failure.kind()).isEqualTo(FailureKind.CANCELLED);
        assertThat(failure.message()).contains("listener failed");
        assertThat(listener.of(ChatChunk.class)).hasSize(1);
    }

    @Test
    void aStoppedProviderEndsItsCallsAndRefusesNewOnes() throws Exception {
        fake.enqueue(Fault.slowFirstByte(Duration.ofMillis(3000)));
        final Listeners.Chat inFlight = new Listeners.Chat();
        provider().chat(chat(true, ""), null, inFlight);
        Listeners.await(() -> fake.served() == 1, Duration.ofSeconds(5));

        provider.deactivate();

        final ProviderFailure failure = inFlight.failure();
        assertThat(failure.kind()).isEqualTo(FailureKind.CONNECTION);
        assertThat(failure.message()).isEqualTo("provider stopped");
        assertThat(provider.isAvailable()).isFalse();

        final Listeners.Chat late = new Listeners.Chat();
        provider.chat(chat(true, ""), null, late);
        assertThat(late.failure().message()).isEqualTo("provider stopped");
        final Listeners.Forward lateForward = new Listeners.Forward();
        provider.forward(new ForwardRequest("embeddings", "m", new byte[0], false), null,
                lateForward);
        assertThat(lateForward.failure().kind()).isEqualTo(FailureKind.CONNECTION);
        provider = null;
    }

    @Test
    void ollamaNotRunningIsAConnectionFailure() throws Exception {
        final int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        final Listeners.Chat listener = new Listeners.Chat();

        provider("baseUrl", "http://127.0.0.1:" + port).chat(chat(true, ""), null, listener);

        final ProviderFailure failure = listener.failure();
        assertThat(failure.kind()).isEqualTo(FailureKind.CONNECTION);
        assertThat(failure.message()).contains("cannot connect to Ollama at http://127.0.0.1:"
                + port);
    }

    @Test
    void requestsOllamaCannotTakeAreBadRequests() throws Exception {
        final Listeners.Chat remoteImage = new Listeners.Chat();
        provider().chat(JSON.readValue("{\"model\":\"m\",\"messages\":[{\"role\":\"user\","
                + "\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":"
                + "\"https://example.com/a.png\"}}]}]}", ChatRequest.class), null, remoteImage);
        assertThat(remoteImage.failure().kind()).isEqualTo(FailureKind.BAD_REQUEST);
        assertThat(remoteImage.lastThread).isNotEqualTo(Thread.currentThread());

        final Listeners.Chat noModel = new Listeners.Chat();
        provider.chat(chat(true, "").withModel(null), null, noModel);
        assertThat(noModel.failure().message()).isEqualTo("the request names no model");
        assertThat(calls()).isEmpty();
    }

    @Test
    void embeddingsAreForwardedUnchanged() throws Exception {
        final byte[] body = "{\"model\":\"nomic-embed-text\",\"input\":\"three little words\"}"
                .getBytes(StandardCharsets.UTF_8);
        final Listeners.Forward listener = new Listeners.Forward();

        provider().forward(new ForwardRequest("embeddings", "nomic-embed-text", body, false),
                CallOptions.of("r"), listener);

        assertThat(listener.completed().usage().promptTokens()).isEqualTo(3);
        assertThat(listener.events.get(0)).isEqualTo(new Started("application/json"));
        assertThat(JSON.readTree(listener.body()).at("/data/0/embedding").size()).isEqualTo(3);
        final FakeUpstream.Recorded recorded = calls().get(0);
        assertThat(recorded.path()).isEqualTo("/v1/embeddings");
        assertThat(recorded.body()).isEqualTo(new String(body, StandardCharsets.UTF_8));
        assertThat(listener.violations).hasValue(0);
    }

    @Test
    void aStreamedCompletionIsForwardedInWholeEvents() throws Exception {
        final byte[] body = ("{\"model\":\"deepseek-coder:1.3b\",\"prompt\":\"def f(\","
                + "\"stream\":true}").getBytes(StandardCharsets.UTF_8);
        final Listeners.Forward listener = new Listeners.Forward();

        provider().forward(new ForwardRequest("/completions", "deepseek-coder:1.3b", body, true),
                null, listener);

        assertThat(listener.completed().usage()).isNull();
        assertThat(listener.events.get(0)).isEqualTo(new Started("text/event-stream"));
        assertThat(listener.of(byte[].class)).allSatisfy(piece ->
                assertThat(new String(piece, StandardCharsets.UTF_8)).endsWith("\n\n"));
        assertThat(listener.body()).startsWith("data: {").endsWith("data: [DONE]\n\n")
                .contains("\"text\":\"Hello\"");
        assertThat(calls().get(0).path()).isEqualTo("/v1/completions");
    }

    @Test
    void aStreamedChatForwardKeepsItsUsage() throws Exception {
        final byte[] body = ("{\"model\":\"m\",\"stream\":true,\"stream_options\":"
                + "{\"include_usage\":true},\"messages\":[{\"role\":\"user\",\"content\":"
                + "\"hi\"}]}").getBytes(StandardCharsets.UTF_8);
        final Listeners.Forward listener = new Listeners.Forward();

        provider().forward(new ForwardRequest("chat/completions", "m", body, true), null,
                listener);

        assertThat(listener.completed().usage()).isEqualTo(Usage.of(1, 3));
    }

    @Test
    void forwardFailuresAreClassified() throws Exception {
        fake.enqueue(Fault.status(404, null, "{\"error\":{\"message\":\"model \\\"x\\\" not "
                + "found\",\"type\":\"api_error\"}}"));
        final Listeners.Forward notFound = new Listeners.Forward();
        provider().forward(new ForwardRequest("embeddings", "x", "{}".getBytes(
                StandardCharsets.UTF_8), false), null, notFound);
        assertThat(notFound.failure().kind()).isEqualTo(FailureKind.NOT_FOUND);
        assertThat(notFound.events).hasSize(1);

        final Listeners.Forward invalid = new Listeners.Forward();
        provider.forward(new ForwardRequest("../api/delete", "x", new byte[0], false), null,
                invalid);
        assertThat(invalid.failure().kind()).isEqualTo(FailureKind.BAD_REQUEST);

        fake.enqueue(Fault.resetMidStream(1));
        final Listeners.Forward cut = new Listeners.Forward();
        provider.forward(new ForwardRequest("completions", "m", ("{\"model\":\"m\","
                + "\"prompt\":\"p\",\"stream\":true}").getBytes(StandardCharsets.UTF_8), true),
                null, cut);
        final ProviderFailure failure = cut.failure();
        assertThat(failure.kind()).isEqualTo(FailureKind.CONNECTION);
        assertThat(failure.outputStarted()).isTrue();
    }

    @Test
    void installedModelsAreDiscoveredInTheBackground() throws Exception {
        fake.models(List.of("qwen2.5-coder:3b", MODEL, "llama3.2:latest"));
        provider("models", MODEL + ",llama3.2", "discoverModels", "true",
                "refreshSeconds", "1", "model.qwen2.5-coder:3b", "context=32768,tools=true");

        Listeners.await(() -> provider.models().size() == 3, Duration.ofSeconds(5));

        assertThat(provider.models()).extracting(ModelInfo::id)
                .containsExactly(MODEL, "llama3.2", "qwen2.5-coder:3b");
        assertThat(provider.models().get(2)).isEqualTo(new ModelInfo("qwen2.5-coder:3b",
                "ollama-test", 32768, true, false, true, 0, 0));
        final OllamaStatus status = provider.status();
        assertThat(status.reachable()).isTrue();
        assertThat(status.checkedAt()).isNotNull();
        assertThat(status.loaded()).hasSize(3).allSatisfy(m -> {
            assertThat(m.size()).isEqualTo(800_000_000L);
            assertThat(m.spilledToCpu()).isFalse();
        });
        assertThat(status.anySpilled()).isFalse();
        assertThat(fake.requests()).extracting(FakeUpstream.Recorded::path)
                .contains("/api/tags", "/api/ps");

        fake.models(List.of(MODEL));
        Listeners.await(() -> provider.models().size() == 2, Duration.ofSeconds(5));
    }

    @Test
    void anUnreachableOllamaShowsInTheStatus() throws Exception {
        final int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        provider("baseUrl", "http://127.0.0.1:" + port, "discoverModels", "true");

        Listeners.await(() -> provider.status().checkedAt() != null, Duration.ofSeconds(5));

        assertThat(provider.status().reachable()).isFalse();
        assertThat(provider.status().error()).contains("cannot connect");
        assertThat(provider.models()).hasSize(2);
    }

    @Test
    void aFailingListingShowsInTheStatus() throws Exception {
        provider("discoverModels", "true", "refreshSeconds", "3600");
        Listeners.await(() -> provider.status().reachable(), Duration.ofSeconds(5));
        fake.close();
        fake = FakeUpstream.start();

        provider.refresh();
        Listeners.await(() -> !provider.status().reachable(), Duration.ofSeconds(5));
        assertThat(provider.status().error()).isNotNull();
        assertThat(provider.models()).extracting(ModelInfo::id).contains("fake-small");
    }

    @Test
    void loadedModelsThatSpillOntoTheCpuAreReported() throws Exception {
        final List<OllamaStatus.LoadedModel> loaded = OllamaProvider.parsePs(JSON.readTree(
                "{\"models\":[{\"name\":\"deepseek-coder:6.7b\",\"size\":4100000000,"
                        + "\"size_vram\":3500000000},{\"model\":\"llama3.2:3b\","
                        + "\"size\":2000000000,\"size_vram\":2000000000}]}"));

        assertThat(loaded).containsExactly(
                new OllamaStatus.LoadedModel("deepseek-coder:6.7b", 4_100_000_000L,
                        3_500_000_000L, true),
                new OllamaStatus.LoadedModel("llama3.2:3b", 2_000_000_000L, 2_000_000_000L,
                        false));
        assertThat(OllamaProvider.parseTags(JSON.readTree("{\"models\":[{\"name\":\"a\"},"
                + "{\"model\":\"b\"},{}]}"))).containsExactly("a", "b");

        provider("discoverModels", "true", "refreshSeconds", "3600");
        final OllamaSettings settings = OllamaSettings.parse(config("discoverModels", "true"));
        provider.refreshed(settings, List.of("deepseek-coder:6.7b"), loaded);
        provider.refreshed(settings, List.of("deepseek-coder:6.7b"), loaded);
        assertThat(provider.status().anySpilled()).isTrue();
        assertThat(provider.status().loaded()).hasSize(2);
    }

    @Test
    void anInvalidConfigurationFailsActivationWithTheFileName() {
        assertThatThrownBy(() -> provider("baseUrl", "localhost:11434"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("/cfg/lodestar.provider.ollama-test.cfg")
                .hasMessageContaining("baseUrl 'localhost:11434' must start with http://");
    }

    @Test
    void anInvalidUpdateKeepsTheLastGoodConfiguration() throws Exception {
        provider("id", "first", "unknownKey", "x", "model.other", "tools=true");

        provider.modified(config("id", "second", "connectTimeoutMs", "soon"));
        assertThat(provider.id()).isEqualTo("first");

        provider.modified(config("id", "second", "models", "a", "connectTimeoutMs", "500",
                "keepAlive", "0"));
        assertThat(provider.id()).isEqualTo("second");
        assertThat(provider.models()).extracting(ModelInfo::id).containsExactly("a");
        assertThat(provider.models()).extracting(ModelInfo::providerId).containsOnly("second");

        final Listeners.Chat listener = new Listeners.Chat();
        provider.chat(chat(true, "").withModel("a"), null, listener);
        listener.completed();
        assertThat(calls().get(0).json().path("keep_alive").asLong(-5)).isZero();

        provider.modified(config("id", "second", "models", "a", "discoverModels", "true",
                "refreshSeconds", "1"));
        Listeners.await(() -> provider.models().size() == 3, Duration.ofSeconds(5));
        provider.modified(config("id", "second", "models", "a"));
        assertThat(provider.models()).hasSize(1);
        assertThat(provider.status().reachable()).isTrue();
    }
}
