package lodestar.provider.anthropic.internal;

import static lodestar.provider.anthropic.internal.Fixtures.KEY;
import static lodestar.provider.anthropic.internal.Fixtures.properties;
import static lodestar.provider.anthropic.internal.Fixtures.provider;
import static lodestar.provider.anthropic.internal.Fixtures.request;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
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

/** The translated chat path against the fake Anthropic upstream over real HTTP. */
class AnthropicProviderTest {

    private FakeUpstream fake;
    private AnthropicProvider provider;

    @BeforeEach
    void start() throws Exception {
        fake = FakeUpstream.start();
        provider = provider(properties(fake.baseUrl()));
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
        assertThat(provider.id()).isEqualTo("anthropic-test");
        assertThat(provider.dialect()).isEqualTo("anthropic");
        assertThat(provider.isAvailable()).isTrue();
        assertThat(provider.models()).extracting(ModelInfo::qualifiedName)
                .containsExactly("anthropic-test/fake-small", "anthropic-test/fake-large");
        final ModelInfo small = provider.models().get(0);
        assertThat(small.contextWindow()).isEqualTo(200_000);
        assertThat(small.supportsTools()).isTrue();
        assertThat(small.supportsVision()).isTrue();
        assertThat(small.local()).isFalse();
        assertThat(small.inputCostPerToken()).isEqualTo(3.00 / 1_000_000);
        assertThat(small.outputCostPerToken()).isEqualTo(15.00 / 1_000_000);
        assertThat(provider.settings().cachePrices().get("fake-small"))
                .isEqualTo(new Settings.CachePrices(0.30 / 1_000_000, 3.75 / 1_000_000));
    }

    @Test
    void nonStreamedAnswerIsTranslatedWithUsage() throws Exception {
        final Recorder recorder = new Recorder();
        provider.chat(request("fake-small", "hi there", false), CallOptions.of("r1"), recorder);

        final Usage usage = recorder.usage();
        assertThat(recorder.responses).hasSize(1);
        final ChatResponse answer = recorder.responses.get(0);
        assertThat(answer.object()).isEqualTo("chat.completion");
        assertThat(answer.id()).startsWith("msg_fake_");
        assertThat(answer.choices().get(0).message().text()).isEqualTo("Hello from fake-small");
        assertThat(answer.choices().get(0).finishReason()).isEqualTo("stop");
        assertThat(usage.promptTokens()).isEqualTo(4);
        assertThat(usage.completionTokens()).isEqualTo(3);
        assertThat(usage.cachedTokens()).isZero();
        assertThat(recorder.chunks).isEmpty();
        recorder.assertContract();

        final FakeUpstream.Recorded sent = fake.requests().get(0);
        assertThat(sent.method()).isEqualTo("POST");
        assertThat(sent.path()).isEqualTo("/v1/messages");
        assertThat(sent.headers().get("x-api-key")).isEqualTo(KEY);
        assertThat(sent.headers().get("anthropic-version")).isEqualTo("2023-06-01");
        assertThat(sent.headers()).doesNotContainKey("Authorization")
                .doesNotContainKey("anthropic-beta");
        assertThat(sent.headers().get("Content-Type")).isEqualTo("application/json");
        assertThat(sent.headers().get("Accept")).isEqualTo("application/json");
        final JsonNode body = sent.json();
        assertThat(body.path("model").asText()).isEqualTo("fake-small");
        assertThat(body.path("system").asText()).isEqualTo("Be brief.");
        assertThat(body.path("max_tokens").asInt()).isEqualTo(200);
        assertThat(body.path("metadata").path("user_id").asText()).isEqualTo("tester");
        assertThat(body.has("x_vendor_extension")).isFalse();
        assertThat(body.has("stream")).isFalse();
        assertThat(provider.callsInFlight()).isZero();
    }

    @Test
    void streamDeliversChunksInOrderThenUsageThenCompletes() throws Exception {
        final Recorder recorder = new Recorder();
        provider.chat(request("fake-small", "hi there", true), CallOptions.of("r1"), recorder);

        final Usage usage = recorder.usage();
        assertThat(recorder.text()).isEqualTo("Hello from fake-small");
        final List<ChatChunk> chunks = recorder.chunks;
        assertThat(chunks.get(0).choices().get(0).delta().role()).isEqualTo("assistant");
        assertThat(chunks).allMatch(c -> "chat.completion.chunk".equals(c.object())
                && c.id().equals(chunks.get(0).id()) && "fake-small".equals(c.model()));
        final ChatChunk last = chunks.get(chunks.size() - 1);
        assertThat(last.isUsageOnly()).isTrue();
        assertThat(last.usage()).isEqualTo(usage);
        assertThat(chunks.get(chunks.size() - 2).choices().get(0).finishReason())
                .isEqualTo("stop");
        assertThat(chunks.subList(0, chunks.size() - 1)).allMatch(c -> c.usage() == null);
        assertThat(usage.promptTokens()).isEqualTo(4);
        assertThat(usage.completionTokens()).isEqualTo(3);
        assertThat(recorder.responses).isEmpty();
        recorder.assertContract();

        final FakeUpstream.Recorded sent = fake.requests().get(0);
        assertThat(sent.headers().get("Accept")).isEqualTo("text/event-stream");
        assertThat(sent.json().path("stream").asBoolean()).isTrue();
        assertThat(sent.json().has("stream_options")).isFalse();
    }

    @Test
    void toolCallFragmentsArriveIntact() throws Exception {
        final Recorder recorder = new Recorder();
        provider.chat(Fixtures.toolRequest(true), CallOptions.of("r1"), recorder);
        recorder.usage();

        final List<ToolCall> calls = recorder.chunks.stream()
                .flatMap(c -> c.choices().stream())
                .filter(c -> c.delta() != null && c.delta().toolCalls() != null)
                .flatMap(c -> c.delta().toolCalls().stream())
                .collect(Collectors.toList());
        assertThat(calls.get(0).id()).isEqualTo("toolu_fake_1");
        assertThat(calls.get(0).function().name()).isEqualTo("read_file");
        assertThat(calls).allMatch(c -> c.index() == 0);
        final String arguments = calls.stream().map(c -> c.function().arguments())
                .collect(Collectors.joining());
        assertThat(arguments).isEqualTo("{\"path\":\"src/Main.java\",\"line\":42}");
        assertThat(recorder.text()).isEqualTo("Let me look at that file.");
        assertThat(recorder.chunks).anyMatch(c -> !c.choices().isEmpty()
                && "tool_calls".equals(c.choices().get(0).finishReason()));
        recorder.assertContract();
        final JsonNode tools = fake.requests().get(0).json().path("tools");
        assertThat(tools.get(0).path("name").asText()).isEqualTo("read_file");
        assertThat(tools.get(0).path("input_schema").path("type").asText()).isEqualTo("object");
    }

    @Test
    void nonStreamedToolCall() throws Exception {
        final Recorder recorder = new Recorder();
        provider.chat(Fixtures.toolRequest(false), CallOptions.of("r1"), recorder);
        recorder.usage();
        final ChatResponse.Choice choice = recorder.responses.get(0).choices().get(0);
        final ToolCall call = choice.message().toolCalls().get(0);
        assertThat(call.function().arguments())
                .isEqualTo("{\"path\":\"src/Main.java\",\"line\":42}");
        assertThat(choice.finishReason()).isEqualTo("tool_calls");
    }

    @Test
    void promptCacheUsageIsReported() throws Exception {
        final String system = "[{\"role\":\"system\",\"content\":[{\"type\":\"text\",\"text\":"
                + "\"a long shared prefix\",\"cache_control\":{\"type\":\"ephemeral\"}}]},"
                + "{\"role\":\"user\",\"content\":\"hi\"}]";
        final lodestar.api.chat.ChatRequest request = Fixtures.JSON.readValue(
                "{\"model\":\"fake-small\",\"stream\":true,\"messages\":" + system + "}",
                lodestar.api.chat.ChatRequest.class);
        final Recorder first = new Recorder();
        provider.chat(request, CallOptions.of("r1"), first);
        final Usage written = first.usage();
        assertThat(written.cacheCreationTokens()).isEqualTo(4);
        assertThat(written.cachedTokens()).isZero();
        assertThat(written.promptTokens()).isEqualTo(5);
        final Recorder second = new Recorder();
        provider.chat(request, CallOptions.of("r2"), second);
        final Usage read = second.usage();
        assertThat(read.cachedTokens()).isEqualTo(4);
        assertThat(read.cacheCreationTokens()).isZero();
        assertThat(read.promptTokens()).isEqualTo(5);
    }

    @Test
    void untranslatableRequestsFailWithoutCallingTheUpstream() throws Exception {
        final lodestar.api.chat.ChatRequest request = Fixtures.JSON.readValue(
                "{\"model\":\"fake-small\",\"n\":3,\"messages\":[{\"role\":\"user\","
                        + "\"content\":\"x\"}]}", lodestar.api.chat.ChatRequest.class);
        final Recorder recorder = new Recorder();
        provider.chat(request, CallOptions.of("r1"), recorder);
        final ProviderFailure failure = recorder.failure();
        assertThat(failure.kind()).isEqualTo(FailureKind.BAD_REQUEST);
        assertThat(failure.message()).startsWith("cannot translate the request for Anthropic: "
                + "n=3");
        assertThat(fake.served()).isZero();
        recorder.assertContract();
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
    void overloadedAndServerErrorsAreClassified() {
        fake.enqueue(Fault.status(529, null));
        final ProviderFailure overloaded = chatFailure(true);
        assertThat(overloaded.kind()).isEqualTo(FailureKind.OVERLOADED);
        assertThat(overloaded.kind().isRetryable()).isTrue();
        assertThat(overloaded.httpStatus()).isEqualTo(529);
        fake.enqueue(Fault.status(500, null));
        assertThat(chatFailure(false).kind()).isEqualTo(FailureKind.SERVER_ERROR);
        fake.enqueue(Fault.status(404, null));
        assertThat(chatFailure(false).kind()).isEqualTo(FailureKind.NOT_FOUND);
        fake.enqueue(Fault.status(413, null));
        assertThat(chatFailure(false).kind()).isEqualTo(FailureKind.BAD_REQUEST);
        fake.enqueue(Fault.status(400, null, "{\"type\":\"error\",\"error\":{\"type\":"
                + "\"invalid_request_error\",\"message\":\"Your credit balance is too low to "
                + "access the Anthropic API.\"}}"));
        assertThat(chatFailure(false).kind()).isEqualTo(FailureKind.QUOTA_EXHAUSTED);
        fake.enqueue(Fault.status(500, null, "{\"type\":\"error\",\"error\":{\"type\":"
                + "\"overloaded_error\",\"message\":\"Overloaded\"}}"));
        assertThat(chatFailure(false).kind()).isEqualTo(FailureKind.OVERLOADED);
    }

    @Test
    void authenticationErrorNeverRepeatsTheKey() {
        fake.enqueue(Fault.status(401, null, "{\"type\":\"error\",\"error\":{\"type\":"
                + "\"authentication_error\",\"message\":\"invalid x-api-key " + KEY + "\"}}"));
        final ProviderFailure failure = chatFailure(false);
        assertThat(failure.kind()).isEqualTo(FailureKind.AUTHENTICATION);
        assertThat(failure.message()).isEqualTo("invalid x-api-key [redacted]")
                .doesNotContain("0123456789abcdef");
    }

    @Test
    void errorInsideA200AnswerIsReported() {
        fake.enqueue(Fault.status(200, null, "{\"type\":\"error\",\"error\":{\"type\":"
                + "\"overloaded_error\",\"message\":\"Overloaded\"}}"));
        final ProviderFailure failure = chatFailure(false);
        assertThat(failure.kind()).isEqualTo(FailureKind.OVERLOADED);
        assertThat(failure.message()).isEqualTo("Overloaded");
    }

    @Test
    void errorEventMidStreamFailsAfterOutput() {
        fake.enqueue(Fault.status(200, null, "{\"type\":\"error\",\"error\":{\"type\":"
                + "\"overloaded_error\",\"message\":\"Overloaded\"}}"));
        final Recorder recorder = new Recorder();
        provider.chat(request("fake-small", "hi", true), CallOptions.of("r1"), recorder);
        final ProviderFailure failure = recorder.failure();
        assertThat(failure.kind()).isEqualTo(FailureKind.OVERLOADED);
        assertThat(failure.outputStarted()).isTrue();
        assertThat(failure.httpStatus()).isEqualTo(200);
        assertThat(recorder.chunks).hasSize(1);
        recorder.assertContract();
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
        fake.enqueue(Fault.resetMidStream(4));
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
        assertThat(recorder.firstOutput.await(5, TimeUnit.SECONDS)).isTrue();
        Thread.sleep(300);
        assertThat(recorder.chunks).hasSize(1);
        assertThat(recorder.terminals.get()).isZero();
        assertThat(provider.callsInFlight()).isZero();
    }

    @Test
    void cancelOfASlowStreamAbortsTheUpstreamExchange() throws Exception {
        fake.enqueue(Fault.slowStream(Duration.ofMillis(100)));
        final Recorder recorder = new Recorder();
        final ChatCall call = provider.chat(request("fake-small", "hi", true),
                CallOptions.of("r1"), recorder);
        assertThat(recorder.firstOutput.await(5, TimeUnit.SECONDS)).isTrue();
        call.cancel();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (fake.aborted() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(fake.aborted()).isEqualTo(1);
        assertThat(recorder.terminals.get()).isZero();
    }

    @Test
    void betaHeadersAreMergedAndOthersForwarded() throws Exception {
        final Map<String, Object> props = properties(fake.baseUrl());
        props.put("extraHeaders", "anthropic-beta: prompt-caching-2024-07-31; X-Team: core");
        props.put("anthropicVersion", "2024-01-01");
        final AnthropicProvider withHeaders = provider(props);
        try {
            final Recorder recorder = new Recorder();
            withHeaders.chat(request("fake-small", "hi", false), new CallOptions("r1", null,
                    null, Map.of("anthropic-beta", "interleaved-thinking-2025-05-14,"
                            + "prompt-caching-2024-07-31", "anthropic-version", "2099-01-01",
                            "x-api-key", "sk-client", "x-team", "client",
                            "x-claude-code-session-id", "s1", "x-bad", "a\r\nb")), recorder);
            recorder.usage();
            final Map<String, String> headers = fake.requests().get(0).headers();
            assertThat(headers.get("anthropic-beta")).isEqualTo(
                    "prompt-caching-2024-07-31,interleaved-thinking-2025-05-14");
            assertThat(headers.get("anthropic-version")).isEqualTo("2024-01-01");
            assertThat(headers.get("x-api-key")).isEqualTo(KEY);
            assertThat(headers.get("X-Team")).isEqualTo("core");
            assertThat(headers.get("x-claude-code-session-id")).isEqualTo("s1");
            assertThat(headers).doesNotContainKey("X-Bad");
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
        final AnthropicProvider down = provider(properties("http://127.0.0.1:" + port));
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
