package lodestar.provider.openai.internal;

import static lodestar.provider.openai.internal.Fixtures.KEY;
import static lodestar.provider.openai.internal.Fixtures.properties;
import static lodestar.provider.openai.internal.Fixtures.provider;
import static lodestar.provider.openai.internal.Fixtures.request;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import lodestar.api.chat.ChatChunk;
import lodestar.api.chat.ChatResponse;
import lodestar.api.chat.ToolCall;
import lodestar.api.chat.Usage;
import lodestar.api.provider.CallOptions;
import lodestar.api.provider.ChatCall;
import lodestar.api.provider.FailureKind;
import lodestar.api.provider.ModelInfo;
import lodestar.api.provider.ProviderFailure;
import lodestar.provider.common.HttpClients;
import lodestar.provider.common.Recorder;
import lodestar.test.upstream.FakeUpstream;
import lodestar.test.upstream.Fault;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The chat path against the fake upstream over real HTTP. */
class OpenAiProviderTest {

    private FakeUpstream fake;
    private OpenAiProvider provider;

    @BeforeEach
    void start() throws Exception {
        fake = FakeUpstream.start();
        provider = provider(properties(fake.baseUrl() + "/v1"));
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
        assertThat(provider.id()).isEqualTo("openai-test");
        assertThat(provider.dialect()).isEqualTo("openai");
        assertThat(provider.isAvailable()).isTrue();
        assertThat(provider.models()).extracting(ModelInfo::qualifiedName)
                .containsExactly("openai-test/fake-small", "openai-test/fake-large");
        final ModelInfo small = provider.models().get(0);
        assertThat(small.contextWindow()).isEqualTo(8000);
        assertThat(small.supportsTools()).isTrue();
        assertThat(small.supportsVision()).isFalse();
        assertThat(small.local()).isFalse();
        assertThat(small.inputCostPerToken()).isEqualTo(1.00 / 1_000_000);
        assertThat(small.outputCostPerToken()).isEqualTo(2.00 / 1_000_000);
        final ModelInfo large = provider.models().get(1);
        assertThat(large.contextWindow()).isZero();
        assertThat(large.supportsTools()).isTrue();
        assertThat(large.inputCostPerToken()).isZero();
    }

    @Test
    void nonStreamedAnswerComesWithUsage() throws Exception {
        final Recorder recorder = new Recorder();
        provider.chat(request("fake-small", "hi there", false), CallOptions.of("r1"), recorder);

        final Usage usage = recorder.usage();
        assertThat(recorder.responses).hasSize(1);
        final ChatResponse answer = recorder.responses.get(0);
        assertThat(answer.choices().get(0).message().text()).isEqualTo("Hello from fake-small");
        assertThat(answer.choices().get(0).finishReason()).isEqualTo("stop");
        assertThat(usage.promptTokens()).isEqualTo(2);
        assertThat(usage.completionTokens()).isEqualTo(3);
        assertThat(usage.totalTokens()).isEqualTo(5);
        assertThat(recorder.chunks).isEmpty();
        recorder.assertContract();

        final FakeUpstream.Recorded sent = fake.requests().get(0);
        assertThat(sent.method()).isEqualTo("POST");
        assertThat(sent.path()).isEqualTo("/v1/chat/completions");
        assertThat(sent.headers().get("Authorization")).isEqualTo("Bearer " + KEY);
        assertThat(sent.headers().get("Content-Type")).isEqualTo("application/json");
        assertThat(sent.headers().get("Accept")).isEqualTo("application/json");
        final JsonNode body = sent.json();
        assertThat(body.path("model").asText()).isEqualTo("fake-small");
        assertThat(body.path("user").asText()).isEqualTo("tester");
        assertThat(body.path("x_vendor_extension").path("a").asInt()).isEqualTo(1);
        assertThat(body.path("temperature").asDouble()).isEqualTo(0.2);
        assertThat(body.has("stream_options")).isFalse();
        assertThat(provider.callsInFlight()).isZero();
    }

    @Test
    void streamDeliversChunksInOrderThenUsageThenDone() throws Exception {
        final Recorder recorder = new Recorder();
        provider.chat(request("fake-small", "hi there", true), CallOptions.of("r1"), recorder);

        final Usage usage = recorder.usage();
        assertThat(recorder.text()).isEqualTo("Hello from fake-small");
        final List<ChatChunk> chunks = recorder.chunks;
        assertThat(chunks.get(0).choices().get(0).delta().role()).isEqualTo("assistant");
        final ChatChunk last = chunks.get(chunks.size() - 1);
        assertThat(last.isUsageOnly()).isTrue();
        assertThat(last.usage()).isEqualTo(usage);
        assertThat(chunks.get(chunks.size() - 2).choices().get(0).finishReason())
                .isEqualTo("stop");
        assertThat(chunks.subList(0, chunks.size() - 1)).allMatch(c -> c.usage() == null);
        assertThat(usage.completionTokens()).isEqualTo(3);
        assertThat(recorder.responses).isEmpty();
        recorder.assertContract();

        final FakeUpstream.Recorded sent = fake.requests().get(0);
        assertThat(sent.headers().get("Accept")).isEqualTo("text/event-stream");
        assertThat(sent.json().path("stream").asBoolean()).isTrue();
        assertThat(sent.json().path("stream_options").path("include_usage").asBoolean())
                .isTrue();
    }

    @Test
    void toolCallFragmentsArriveIntact() {
        final Recorder recorder = new Recorder();
        provider.chat(Fixtures.toolRequest(true), CallOptions.of("r1"), recorder);
        recorder.usage();

        final List<ToolCall> calls = recorder.chunks.stream()
                .flatMap(c -> c.choices().stream())
                .filter(c -> c.delta() != null && c.delta().toolCalls() != null)
                .flatMap(c -> c.delta().toolCalls().stream())
                .collect(Collectors.toList());
        assertThat(calls.get(0).id()).isEqualTo("call_fake_1");
        assertThat(calls.get(0).function().name()).isEqualTo("read_file");
        assertThat(calls).allMatch(c -> c.index() == 0);
        final String arguments = calls.stream().map(c -> c.function().arguments())
                .collect(Collectors.joining());
        assertThat(arguments).isEqualTo("{\"path\":\"src/Main.java\",\"line\":42}");
        assertThat(recorder.chunks).anyMatch(c -> !c.choices().isEmpty()
                && "tool_calls".equals(c.choices().get(0).finishReason()));
        recorder.assertContract();
    }

    @Test
    void nonStreamedToolCall() {
        final Recorder recorder = new Recorder();
        provider.chat(Fixtures.toolRequest(false), CallOptions.of("r1"), recorder);
        recorder.usage();
        final ToolCall call = recorder.responses.get(0).choices().get(0).message().toolCalls()
                .get(0);
        assertThat(call.function().arguments())
                .isEqualTo("{\"path\":\"src/Main.java\",\"line\":42}");
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
    void exhaustedQuotaIsNotARateLimit() {
        fake.enqueue(Fault.status(429, null, "{\"error\":{\"message\":\"You exceeded your "
                + "current quota, please check your plan and billing details.\",\"type\":"
                + "\"insufficient_quota\",\"param\":null,\"code\":\"insufficient_quota\"}}"));
        final ProviderFailure failure = chatFailure(true);
        assertThat(failure.kind()).isEqualTo(FailureKind.QUOTA_EXHAUSTED);
        assertThat(failure.kind().isRetryable()).isFalse();
        assertThat(failure.retryAfter()).isNull();
        assertThat(failure.message()).startsWith("You exceeded your current quota");
    }

    @Test
    void serverErrorsAreClassified() {
        fake.enqueue(Fault.status(500, null));
        assertThat(chatFailure(false).kind()).isEqualTo(FailureKind.SERVER_ERROR);
        fake.enqueue(Fault.status(503, null));
        final ProviderFailure overloaded = chatFailure(true);
        assertThat(overloaded.kind()).isEqualTo(FailureKind.OVERLOADED);
        assertThat(overloaded.httpStatus()).isEqualTo(503);
        assertThat(overloaded.outputStarted()).isFalse();
        fake.enqueue(Fault.status(404, null));
        assertThat(chatFailure(false).kind()).isEqualTo(FailureKind.NOT_FOUND);
    }

    @Test
    void authenticationErrorNeverRepeatsTheKey() {
        fake.enqueue(Fault.status(401, null, "{\"error\":{\"message\":\"Incorrect API key "
                + "provided: " + KEY + ". You can find your API key at https://x.\",\"type\":"
                + "\"invalid_request_error\",\"code\":\"invalid_api_key\"}}"));
        final ProviderFailure failure = chatFailure(false);
        assertThat(failure.kind()).isEqualTo(FailureKind.AUTHENTICATION);
        assertThat(failure.message()).startsWith("Incorrect API key provided: [redacted]")
                .doesNotContain(KEY).doesNotContain("0123456789abcdef");
    }

    @Test
    void errorInsideA200AnswerIsReported() {
        fake.enqueue(Fault.status(200, null, "{\"error\":{\"message\":\"model overloaded\","
                + "\"type\":\"overloaded_error\"}}"));
        final ProviderFailure failure = chatFailure(false);
        assertThat(failure.kind()).isEqualTo(FailureKind.OVERLOADED);
        assertThat(failure.message()).isEqualTo("model overloaded");
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
        final Recorder recorder = new Recorder();
        final CompletableFuture<ChatCall> call = new CompletableFuture<>();
        recorder.onChunk(chunk -> {
            call.join().cancel();
            call.join().cancel();
        });
        call.complete(provider.chat(request("fake-small", "hi", true), CallOptions.of("r1"),
                recorder));
        assertThat(recorder.firstOutput.await(5, java.util.concurrent.TimeUnit.SECONDS))
                .isTrue();
        Thread.sleep(300);
        assertThat(recorder.chunks).hasSize(1);
        assertThat(recorder.terminals.get()).isZero();
        assertThat(provider.callsInFlight()).isZero();
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
    void extraAndForwardedHeadersAreSent() throws Exception {
        final Map<String, Object> props = properties(fake.baseUrl() + "/v1");
        props.put("extraHeaders", "HTTP-Referer: https://lodestar.dev; X-Title: Lodestar");
        final OpenAiProvider withHeaders = provider(props);
        try {
            final Recorder recorder = new Recorder();
            withHeaders.chat(request("fake-small", "hi", false), new CallOptions("r1", null,
                    null, Map.of("openai-beta", "assistants=v2", "authorization", "Bearer no",
                            "accept-encoding", "gzip", "x-title", "client", "x-bad",
                            "a\r\nb")), recorder);
            recorder.usage();
            final Map<String, String> headers = fake.requests().get(0).headers();
            assertThat(headers.get("HTTP-Referer")).isEqualTo("https://lodestar.dev");
            assertThat(headers.get("X-Title")).isEqualTo("Lodestar");
            assertThat(headers.get("OpenAI-Beta")).isEqualTo("assistants=v2");
            assertThat(headers.get("Authorization")).isEqualTo("Bearer " + KEY);
            assertThat(headers).doesNotContainKey("Accept-Encoding").doesNotContainKey("X-Bad")
                    .doesNotContainKey("Cookie");
            assertThat(headers.get("User-Agent")).isEqualTo(HttpClients.USER_AGENT);
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
        final OpenAiProvider down = provider(properties("http://127.0.0.1:" + port + "/v1"));
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
