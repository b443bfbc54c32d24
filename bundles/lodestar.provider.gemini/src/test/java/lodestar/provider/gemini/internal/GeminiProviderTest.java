package lodestar.provider.gemini.internal;

import static lodestar.provider.gemini.internal.Fixtures.KEY;
import static lodestar.provider.gemini.internal.Fixtures.properties;
import static lodestar.provider.gemini.internal.Fixtures.provider;
import static lodestar.provider.gemini.internal.Fixtures.request;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.TextNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import lodestar.api.chat.ChatChunk;
import lodestar.api.chat.ChatMessage;
import lodestar.api.chat.ChatRequest;
import lodestar.api.chat.ChatResponse;
import lodestar.api.chat.ToolCall;
import lodestar.api.chat.Usage;
import lodestar.api.provider.CallOptions;
import lodestar.api.provider.ChatCall;
import lodestar.api.provider.FailureKind;
import lodestar.api.provider.ForwardRequest;
import lodestar.api.provider.ModelInfo;
import lodestar.api.provider.ProviderFailure;
import lodestar.provider.common.HttpClients;
import lodestar.provider.common.Recorder;
import lodestar.test.upstream.FakeUpstream;
import lodestar.test.upstream.Fault;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The chat path against the fake upstream's Gemini wire format over real HTTP. */
class GeminiProviderTest {

    private FakeUpstream fake;
    private GeminiProvider provider;

    @BeforeEach
    void start() throws Exception {
        fake = FakeUpstream.start();
        provider = provider(properties(fake.baseUrl() + "/v1beta"));
    }

    @AfterEach
    void stop() {
        provider.deactivate();
        fake.close();
    }

    private static CallOptions options(final Duration firstByte, final Duration total) {
        return new CallOptions("req-1", firstByte, total, Map.of());
    }

    @Test
    void describesItselfFromItsConfiguration() {
        assertThat(provider.id()).isEqualTo("gemini-test");
        assertThat(provider.dialect()).isEqualTo("gemini");
        assertThat(provider.isAvailable()).isTrue();
        assertThat(provider.models()).extracting(ModelInfo::qualifiedName)
                .containsExactly("gemini-test/fake-small", "gemini-test/fake-large");
        final ModelInfo small = provider.models().get(0);
        assertThat(small.contextWindow()).isEqualTo(8000);
        assertThat(small.supportsVision()).isFalse();
        assertThat(small.local()).isFalse();
        assertThat(small.inputCostPerToken()).isEqualTo(1.00 / 1_000_000);
        assertThat(provider.models().get(1).supportsVision()).isTrue();
    }

    @Test
    void nonStreamedAnswerComesWithUsage() throws Exception {
        final Recorder recorder = new Recorder();
        provider.chat(request("fake-small", "hi there", false), CallOptions.of("r1"), recorder);

        final Usage usage = recorder.usage();
        assertThat(recorder.responses).hasSize(1);
        final ChatResponse answer = recorder.responses.get(0);
        assertThat(answer.object()).isEqualTo("chat.completion");
        assertThat(answer.model()).isEqualTo("fake-small");
        assertThat(answer.id()).startsWith("chatcmpl-fake-");
        assertThat(answer.choices().get(0).message().role()).isEqualTo("assistant");
        assertThat(answer.choices().get(0).message().text()).isEqualTo("Hello from fake-small");
        assertThat(answer.choices().get(0).finishReason()).isEqualTo("stop");
        assertThat(usage).isEqualTo(Usage.of(2, 3));
        assertThat(answer.usage()).isEqualTo(usage);
        assertThat(recorder.chunks).isEmpty();
        recorder.assertContract();

        final FakeUpstream.Recorded sent = fake.requests().get(0);
        assertThat(sent.method()).isEqualTo("POST");
        assertThat(sent.path()).isEqualTo("/v1beta/models/fake-small:generateContent");
        assertThat(sent.headers().get("x-goog-api-key")).isEqualTo(KEY);
        assertThat(sent.headers()).doesNotContainKey("Authorization");
        assertThat(sent.headers().get("Content-Type")).isEqualTo("application/json");
        assertThat(sent.headers().get("Accept")).isEqualTo("application/json");
        assertThat(sent.headers().get("User-Agent")).isEqualTo(HttpClients.USER_AGENT);
        final JsonNode body = sent.json();
        assertThat(body.at("/contents/0/role").asText()).isEqualTo("user");
        assertThat(body.at("/contents/0/parts/0/text").asText()).isEqualTo("hi there");
        assertThat(body.at("/generationConfig/temperature").asDouble()).isEqualTo(0.2);
        assertThat(body.has("model")).isFalse();
        assertThat(body.has("user")).isFalse();
        assertThat(body.has("x_vendor_extension")).isFalse();
        assertThat(provider.callsInFlight()).isZero();
    }

    @Test
    void streamDeliversChunksInOrderThenUsage() throws Exception {
        final Recorder recorder = new Recorder();
        provider.chat(request("fake-small", "hi there", true), CallOptions.of("r1"), recorder);

        final Usage usage = recorder.usage();
        assertThat(recorder.text()).isEqualTo("Hello from fake-small");
        final List<ChatChunk> chunks = recorder.chunks;
        assertThat(chunks).hasSize(5);
        assertThat(chunks.get(0).choices().get(0).delta().role()).isEqualTo("assistant");
        assertThat(chunks.get(1).choices().get(0).delta().role()).isNull();
        assertThat(chunks).extracting(ChatChunk::id).containsOnly(chunks.get(0).id());
        assertThat(chunks).allMatch(c -> "chat.completion.chunk".equals(c.object())
                && "fake-small".equals(c.model()));
        final ChatChunk last = chunks.get(chunks.size() - 1);
        assertThat(last.isUsageOnly()).isTrue();
        assertThat(last.usage()).isEqualTo(usage);
        assertThat(chunks.get(chunks.size() - 2).choices().get(0).finishReason())
                .isEqualTo("stop");
        assertThat(chunks.subList(0, chunks.size() - 1)).allMatch(c -> c.usage() == null);
        assertThat(usage).isEqualTo(Usage.of(2, 3));
        assertThat(recorder.responses).isEmpty();
        recorder.assertContract();

        final FakeUpstream.Recorded sent = fake.requests().get(0);
        assertThat(sent.path()).isEqualTo("/v1beta/models/fake-small:streamGenerateContent");
        assertThat(sent.headers().get("Accept")).isEqualTo("text/event-stream");
    }

    @Test
    void withoutIncludeUsageTheStreamEndsWithoutAUsageChunk() {
        final ChatRequest asked = request("fake-small", "hi", true);
        final ChatRequest plain = new ChatRequest(asked.model(), asked.messages(), true, null,
                null, null, null, null, null, null);
        final Recorder recorder = new Recorder();
        provider.chat(plain, CallOptions.of("r1"), recorder);
        assertThat(recorder.usage()).isEqualTo(Usage.of(1, 3));
        assertThat(recorder.chunks).noneMatch(ChatChunk::isUsageOnly);
    }

    @Test
    void streamedToolCallArrivesWhole() throws Exception {
        final Recorder recorder = new Recorder();
        provider.chat(Fixtures.toolRequest(true), CallOptions.of("r1"), recorder);
        final Usage usage = recorder.usage();
        assertThat(usage.completionTokens()).isEqualTo(12);

        final List<ToolCall> calls = recorder.chunks.stream()
                .flatMap(c -> c.choices().stream())
                .filter(c -> c.delta() != null && c.delta().toolCalls() != null)
                .flatMap(c -> c.delta().toolCalls().stream())
                .collect(Collectors.toList());
        assertThat(calls).hasSize(1);
        assertThat(calls.get(0).index()).isZero();
        assertThat(calls.get(0).id()).startsWith("call_");
        assertThat(calls.get(0).type()).isEqualTo("function");
        assertThat(calls.get(0).function().name()).isEqualTo("read_file");
        assertThat(calls.get(0).function().arguments())
                .isEqualTo("{\"path\":\"src/Main.java\",\"line\":42}");
        assertThat(recorder.chunks).anyMatch(c -> !c.choices().isEmpty()
                && "tool_calls".equals(c.choices().get(0).finishReason()));
        recorder.assertContract();

        final JsonNode declaration = fake.requests().get(0).json()
                .at("/tools/0/functionDeclarations/0");
        assertThat(declaration.path("name").asText()).isEqualTo("read_file");
        assertThat(declaration.at("/parameters/properties/path/type").asText())
                .isEqualTo("string");
    }

    @Test
    void toolRoundTripThroughTheFake() throws Exception {
        final Recorder first = new Recorder();
        provider.chat(Fixtures.toolRequest(false), CallOptions.of("r1"), first);
        first.usage();
        final ChatMessage called = first.responses.get(0).choices().get(0).message();
        assertThat(first.responses.get(0).choices().get(0).finishReason())
                .isEqualTo("tool_calls");
        final ToolCall call = called.toolCalls().get(0);
        assertThat(call.index()).isNull();
        assertThat(call.function().arguments())
                .isEqualTo("{\"path\":\"src/Main.java\",\"line\":42}");
        assertThat(called.content().isNull()).isTrue();

        final ChatRequest toolRequest = Fixtures.toolRequest(false);
        final ChatRequest next = new ChatRequest("fake-small", List.of(
                toolRequest.messages().get(0), called,
                new ChatMessage("tool", TextNode.valueOf("class Main {}"), null, null,
                        call.id(), null)), false, null, toolRequest.tools(), null, null, null,
                null, null);
        final Recorder second = new Recorder();
        provider.chat(next, CallOptions.of("r2"), second);
        second.usage();
        assertThat(second.responses.get(0).choices().get(0).message().text())
                .isEqualTo("Hello from fake-small");
        final JsonNode contents = fake.requests().get(1).json().path("contents");
        assertThat(contents.at("/1/role").asText()).isEqualTo("model");
        assertThat(contents.at("/1/parts/0/functionCall/args/line").asInt()).isEqualTo(42);
        assertThat(contents.at("/2/parts/0/functionResponse/name").asText())
                .isEqualTo("read_file");
        assertThat(contents.at("/2/parts/0/functionResponse/response/output").asText())
                .isEqualTo("class Main {}");
    }

    @Test
    void toolCallIdsDifferBetweenCalls() {
        final Recorder one = new Recorder();
        provider.chat(Fixtures.toolRequest(false), CallOptions.of("r1"), one);
        one.usage();
        final Recorder two = new Recorder();
        provider.chat(Fixtures.toolRequest(false), CallOptions.of("r2"), two);
        two.usage();
        assertThat(one.responses.get(0).choices().get(0).message().toolCalls().get(0).id())
                .isNotEqualTo(two.responses.get(0).choices().get(0).message().toolCalls().get(0)
                        .id());
    }

    @Test
    void rateLimitCarriesRetryAfter() {
        fake.enqueue(Fault.status(429, "7"));
        final ProviderFailure failure = chatFailure(false);
        assertThat(failure.kind()).isEqualTo(FailureKind.RATE_LIMITED);
        assertThat(failure.httpStatus()).isEqualTo(429);
        assertThat(failure.retryAfter()).isEqualTo(Duration.ofSeconds(7));
        assertThat(failure.outputStarted()).isFalse();
        assertThat(failure.message()).isEqualTo("fake upstream error 429");
    }

    @Test
    void retryInfoIsHonouredWithoutRetryAfter() {
        fake.enqueue(Fault.status(429, null, "{\"error\":{\"code\":429,\"message\":\"You "
                + "exceeded your current quota, please check your plan and billing details.\","
                + "\"status\":\"RESOURCE_EXHAUSTED\",\"details\":[{\"@type\":\"type.googleapis."
                + "com/google.rpc.RetryInfo\",\"retryDelay\":\"12s\"}]}}"));
        final ProviderFailure failure = chatFailure(true);
        assertThat(failure.kind()).isEqualTo(FailureKind.RATE_LIMITED);
        assertThat(failure.retryAfter()).isEqualTo(Duration.ofSeconds(12));
    }

    @Test
    void exhaustedQuotaIsNotARateLimit() {
        fake.enqueue(Fault.status(429, null, "{\"error\":{\"code\":429,\"message\":\"You "
                + "exceeded your current quota, please check your plan and billing details.\","
                + "\"status\":\"RESOURCE_EXHAUSTED\"}}"));
        final ProviderFailure failure = chatFailure(true);
        assertThat(failure.kind()).isEqualTo(FailureKind.QUOTA_EXHAUSTED);
        assertThat(failure.kind().isRetryable()).isFalse();
        assertThat(failure.message()).startsWith("You exceeded your current quota");
    }

    @Test
    void serverErrorsAreClassified() {
        fake.enqueue(Fault.status(500, null));
        assertThat(chatFailure(false).kind()).isEqualTo(FailureKind.SERVER_ERROR);
        fake.enqueue(Fault.status(503, null));
        final ProviderFailure overloaded = chatFailure(true);
        assertThat(overloaded.kind()).isEqualTo(FailureKind.OVERLOADED);
        assertThat(overloaded.kind().isRetryable()).isTrue();
        assertThat(overloaded.httpStatus()).isEqualTo(503);
        fake.enqueue(Fault.status(404, null));
        assertThat(chatFailure(false).kind()).isEqualTo(FailureKind.NOT_FOUND);
        fake.enqueue(Fault.status(400, null));
        assertThat(chatFailure(false).kind()).isEqualTo(FailureKind.BAD_REQUEST);
        fake.enqueue(Fault.status(403, null));
        assertThat(chatFailure(false).kind()).isEqualTo(FailureKind.AUTHENTICATION);
    }

    @Test
    void errorInsideA200AnswerIsReported() {
        fake.enqueue(Fault.status(200, null, "{\"error\":{\"code\":503,\"message\":\"The model "
                + "is overloaded.\",\"status\":\"UNAVAILABLE\"}}"));
        final ProviderFailure failure = chatFailure(false);
        assertThat(failure.kind()).isEqualTo(FailureKind.OVERLOADED);
        assertThat(failure.message()).isEqualTo("The model is overloaded.");
        assertThat(failure.httpStatus()).isEqualTo(200);
    }

    @Test
    void aBlockedPromptIsAClearFailure() {
        fake.enqueue(Fault.status(200, null, "{\"promptFeedback\":{\"blockReason\":\"SAFETY\","
                + "\"safetyRatings\":[]},\"usageMetadata\":{\"promptTokenCount\":8}}"));
        final ProviderFailure failure = chatFailure(false);
        assertThat(failure.kind()).isEqualTo(FailureKind.BAD_REQUEST);
        assertThat(failure.message()).isEqualTo("Gemini blocked the prompt (blockReason "
                + "SAFETY)");
    }

    @Test
    void slowFirstByteTimesOut() {
        fake.enqueue(Fault.slowFirstByte(Duration.ofMillis(1500)));
        final Recorder recorder = new Recorder();
        provider.chat(request("fake-small", "hi", true),
                options(Duration.ofMillis(200), null), recorder);
        final ProviderFailure failure = recorder.failure();
        assertThat(failure.kind()).isEqualTo(FailureKind.TIMEOUT);
        assertThat(failure.message()).contains("200 ms").contains("first-byte");
        assertThat(failure.outputStarted()).isFalse();
        recorder.assertContract();
    }

    @Test
    void totalTimeoutEndsTheCall() {
        fake.enqueue(Fault.slowFirstByte(Duration.ofMillis(1500)));
        final Recorder recorder = new Recorder();
        provider.chat(request("fake-small", "hi", false),
                options(Duration.ofSeconds(10), Duration.ofMillis(300)), recorder);
        final ProviderFailure failure = recorder.failure();
        assertThat(failure.kind()).isEqualTo(FailureKind.TIMEOUT);
        assertThat(failure.message()).isEqualTo("total timeout of 300 ms exceeded");
        recorder.assertContract();
        assertThat(provider.callsInFlight()).isZero();
    }

    @Test
    void resetMidStreamIsAConnectionFailureAfterOutput() {
        fake.enqueue(Fault.resetMidStream(2));
        final Recorder recorder = new Recorder();
        provider.chat(request("fake-small", "hi", true), CallOptions.of("r1"), recorder);
        final ProviderFailure failure = recorder.failure();
        assertThat(failure.kind()).isEqualTo(FailureKind.CONNECTION);
        assertThat(failure.outputStarted()).isTrue();
        // the cut may also swallow data already sent: the count depends on timing
        assertThat(recorder.chunks).hasSizeBetween(1, 2);
        recorder.assertContract();
    }

    @Test
    void malformedJsonIsAProtocolError() {
        fake.enqueue(Fault.malformedJson());
        final ProviderFailure plain = chatFailure(false);
        assertThat(plain.kind()).isEqualTo(FailureKind.PROTOCOL);
        assertThat(plain.httpStatus()).isEqualTo(200);
        assertThat(plain.message()).startsWith("invalid JSON from upstream");

        fake.enqueue(Fault.malformedJson());
        final ProviderFailure streamed = chatFailure(true);
        assertThat(streamed.kind()).isEqualTo(FailureKind.PROTOCOL);
        assertThat(streamed.outputStarted()).isFalse();
    }

    @Test
    void cancelStopsDelivery() throws Exception {
        fake.reply("one two three four five six seven eight nine ten eleven twelve");
        fake.enqueue(Fault.slowStream(Duration.ofMillis(20)));
        final Recorder recorder = new Recorder();
        final CompletableFuture<ChatCall> call = new CompletableFuture<>();
        recorder.onChunk(chunk -> {
            call.join().cancel();
            call.join().cancel();
        });
        call.complete(provider.chat(request("fake-small", "hi", true), CallOptions.of("r1"),
                recorder));
        assertThat(recorder.firstOutput.await(5, TimeUnit.SECONDS)).isTrue();
        Thread.sleep(300);
        assertThat(recorder.chunks).hasSize(1);
        assertThat(recorder.terminals.get()).isZero();
        assertThat(provider.callsInFlight()).isZero();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (fake.aborted() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(fake.aborted()).as("the upstream saw the connection close").isEqualTo(1);
    }

    @Test
    void cancelBeforeTheAnswerAbortsTheExchange() throws Exception {
        fake.enqueue(Fault.slowFirstByte(Duration.ofMillis(800)));
        final Recorder recorder = new Recorder();
        final ChatCall call = provider.chat(request("fake-small", "hi", false),
                CallOptions.of("r1"), recorder);
        Thread.sleep(100);
        call.cancel();
        Thread.sleep(1200);
        assertThat(recorder.responses).isEmpty();
        assertThat(recorder.terminals.get()).isZero();
        assertThat(provider.callsInFlight()).isZero();
    }

    @Test
    void aFailingListenerDoesNotBreakTheStream() {
        final Recorder recorder = new Recorder().onChunk(chunk -> {
            throw new IllegalStateException("listener bug");
        });
        provider.chat(request("fake-small", "hi", true), CallOptions.of("r1"), recorder);
        recorder.usage();
        assertThat(recorder.text()).isEqualTo("Hello from fake-small");
        recorder.assertContract();
    }

    @Test
    void untranslatableRequestsFailBeforeAnythingIsSent() {
        final JsonNode image = JsonNodeFactory.instance.arrayNode().add(JsonNodeFactory.instance
                .objectNode().put("type", "image_url").set("image_url", JsonNodeFactory
                        .instance.objectNode().put("url", "https://example.com/cat.png")));
        final Recorder recorder = new Recorder();
        provider.chat(new ChatRequest("fake-small", List.of(new ChatMessage("user", image, null,
                null, null, null)), false, null, null, null, null, null, null, null),
                CallOptions.of("r1"), recorder);
        final ProviderFailure failure = recorder.failure();
        assertThat(failure.kind()).isEqualTo(FailureKind.BAD_REQUEST);
        assertThat(failure.message()).contains("image URLs are not supported by the gemini "
                + "dialect");
        recorder.assertContract();

        final Recorder badModel = new Recorder();
        provider.chat(request("fake small:generateContent", "hi", false), CallOptions.of("r"),
                badModel);
        assertThat(badModel.failure().message()).startsWith("invalid Gemini model id");
        assertThat(fake.requests()).isEmpty();
    }

    @Test
    void modelResourceNamesAreKept() throws Exception {
        final Recorder recorder = new Recorder();
        provider.chat(request("models/fake-small", "hi", false), CallOptions.of("r"),
                recorder);
        recorder.usage();
        assertThat(fake.requests().get(0).path())
                .isEqualTo("/v1beta/models/fake-small:generateContent");
    }

    @Test
    void forwardIsNotSupported() throws Exception {
        final Recorder recorder = new Recorder();
        provider.forward(new ForwardRequest("/completions", "fake-small",
                "{}".getBytes(StandardCharsets.UTF_8), true), CallOptions.of("r1"), recorder);
        final ProviderFailure failure = recorder.failure();
        assertThat(failure.kind()).isEqualTo(FailureKind.NOT_FOUND);
        assertThat(failure.message()).isEqualTo(
                "provider gemini-test: /v1/completions is not supported by the gemini dialect");
        recorder.assertContract();

        final Recorder cancelled = new Recorder();
        provider.forward(new ForwardRequest("embeddings", "m", new byte[0], false),
                CallOptions.of("r2"), cancelled).cancel();
        Thread.sleep(100);
        // the failure is delivered on another thread: a cancel may come before or after it
        assertThat(cancelled.terminals.get()).isLessThanOrEqualTo(1);
        assertThat(fake.requests()).isEmpty();
    }

    @Test
    void extraAndForwardedHeadersAreSent() throws Exception {
        final Map<String, Object> props = properties(fake.baseUrl() + "/v1beta");
        props.put("extraHeaders", "X-Proxy-Tenant: lodestar");
        final GeminiProvider withHeaders = provider(props);
        try {
            final Recorder recorder = new Recorder();
            withHeaders.chat(request("fake-small", "hi", false), new CallOptions("r1", null,
                    null, Map.of("x-goog-api-key", "AIza-client-key", "x-client", "c",
                            "x-proxy-tenant", "client", "x-bad", "a\r\nb")), recorder);
            recorder.usage();
            final Map<String, String> headers = fake.requests().get(0).headers();
            assertThat(headers.get("X-Proxy-Tenant")).isEqualTo("lodestar");
            assertThat(headers.get("X-Client")).isEqualTo("c");
            assertThat(headers.get("x-goog-api-key")).isEqualTo(KEY);
            assertThat(headers).doesNotContainKey("X-Bad");
        } finally {
            withHeaders.deactivate();
        }
    }

    @Test
    void unreachableUpstreamIsAConnectionFailure() throws Exception {
        final int port;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        final GeminiProvider down = provider(properties("http://127.0.0.1:" + port
                + "/v1beta"));
        try {
            final Recorder recorder = new Recorder();
            down.chat(request("fake-small", "hi", false), CallOptions.of("r1"), recorder);
            final ProviderFailure failure = recorder.failure();
            assertThat(failure.kind()).isEqualTo(FailureKind.CONNECTION);
            assertThat(failure.httpStatus()).isZero();
            recorder.assertContract();
        } finally {
            down.deactivate();
        }
    }

    @Test
    void deactivateEndsCallsInFlight() throws Exception {
        fake.enqueue(Fault.slowFirstByte(Duration.ofMillis(1500)));
        final Recorder recorder = new Recorder();
        provider.chat(request("fake-small", "hi", true), CallOptions.of("r1"), recorder);
        Thread.sleep(150);
        assertThat(provider.callsInFlight()).isEqualTo(1);
        provider.deactivate();
        final ProviderFailure failure = recorder.failure();
        assertThat(failure.kind()).isEqualTo(FailureKind.CONNECTION);
        assertThat(failure.message()).isEqualTo("provider stopped");
        assertThat(provider.isAvailable()).isFalse();
        assertThat(provider.models()).isEmpty();
        assertThat(provider.httpClient().isStopped()).isTrue();

        final Recorder late = new Recorder();
        provider.chat(request("fake-small", "hi", false), CallOptions.of("r2"), late);
        assertThat(late.failure().message()).isEqualTo("provider stopped");
        recorder.assertContract();
    }

    private ProviderFailure chatFailure(final boolean stream) {
        final Recorder recorder = new Recorder();
        provider.chat(request("fake-small", "hi", stream), CallOptions.of("r1"), recorder);
        final ProviderFailure failure = recorder.failure();
        recorder.assertContract();
        assertThat(recorder.chunks).isEmpty();
        return failure;
    }
}
