package lodestar.provider.anthropic.internal;

import static lodestar.provider.anthropic.internal.Fixtures.KEY;
import static lodestar.provider.anthropic.internal.Fixtures.properties;
import static lodestar.provider.anthropic.internal.Fixtures.provider;
import static lodestar.provider.anthropic.internal.Fixtures.resource;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import lodestar.api.chat.Usage;
import lodestar.api.provider.CallOptions;
import lodestar.api.provider.FailureKind;
import lodestar.api.provider.ForwardRequest;
import lodestar.api.provider.ProviderFailure;
import lodestar.provider.common.Recorder;
import lodestar.provider.common.ScriptedServer;
import lodestar.test.upstream.FakeUpstream;
import lodestar.test.upstream.Fault;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Anthropic bodies forwarded untouched ({@code messages}, {@code messages/count_tokens}). */
class ForwardTest {

    private static final String BODY = "{\"model\":\"fake-small\",  \"max_tokens\":64,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"three little words\"}],"
            + "\"system\":[{\"type\":\"text\",\"text\":\"be terse\",\"cache_control\":"
            + "{\"type\":\"ephemeral\"}}]";
    private static final Map<String, String> CLIENT_HEADERS = Map.of(
            "anthropic-version", "2023-06-01", "anthropic-beta", "fine-grained-tool-streaming",
            "x-claude-code-session-id", "s-1");

    private FakeUpstream fake;
    private AnthropicProvider provider;

    @BeforeEach
    void start() throws Exception {
        fake = FakeUpstream.start();
        final Map<String, Object> props = properties(fake.baseUrl());
        props.put("anthropicVersion", "2023-01-01");
        provider = provider(props);
    }

    @AfterEach
    void stop() {
        provider.deactivate();
        fake.close();
    }

    private static byte[] utf8(final String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private Recorder forward(final String endpoint, final String body, final boolean stream) {
        final Recorder recorder = new Recorder();
        provider.forward(new ForwardRequest(endpoint, "fake-small", utf8(body), stream),
                new CallOptions("r1", null, null, CLIENT_HEADERS), recorder);
        return recorder;
    }

    @Test
    void messagesPassThroughWithUsage() throws Exception {
        final String body = BODY + "}";
        final Recorder recorder = forward("messages", body, false);
        final Usage usage = recorder.usage();
        assertThat(usage.promptTokens()).isEqualTo(5);
        assertThat(usage.cacheCreationTokens()).isEqualTo(2);
        assertThat(usage.completionTokens()).isEqualTo(3);
        assertThat(recorder.contentTypes).containsExactly("application/json");
        assertThat(Fixtures.JSON.readTree(recorder.bytes()).path("type").asText())
                .isEqualTo("message");
        recorder.assertContract();

        final FakeUpstream.Recorded sent = fake.requests().get(0);
        assertThat(sent.path()).isEqualTo("/v1/messages");
        assertThat(sent.body()).isEqualTo(body);
        assertThat(sent.headers().get("x-api-key")).isEqualTo(KEY);
        assertThat(sent.headers().get("anthropic-version")).isEqualTo("2023-06-01");
        assertThat(sent.headers().get("anthropic-beta")).isEqualTo("fine-grained-tool-streaming");
        assertThat(sent.headers().get("x-claude-code-session-id")).isEqualTo("s-1");
        assertThat(sent.headers().get("Accept")).isEqualTo("application/json");
    }

    @Test
    void streamsPassWholeEventsAndReportUsage() {
        final Recorder recorder = forward("/v1/messages?beta=true", BODY + ",\"stream\":true}",
                true);
        final Usage usage = recorder.usage();
        assertThat(usage.promptTokens()).isEqualTo(5);
        assertThat(usage.completionTokens()).isEqualTo(3);
        assertThat(usage.cacheCreationTokens()).isEqualTo(2);
        assertThat(recorder.contentTypes).containsExactly("text/event-stream; charset=utf-8");
        for (final byte[] piece : recorder.pieces) {
            final String event = new String(piece, StandardCharsets.UTF_8);
            assertThat(event).startsWith("event: ").endsWith("\n\n");
        }
        assertThat(new String(recorder.pieces.get(recorder.pieces.size() - 1),
                StandardCharsets.UTF_8)).startsWith("event: message_stop\n");
        assertThat(recorder.bytes()).contains("\"text\":\" fake-small\"");
        final FakeUpstream.Recorded sent = fake.requests().get(0);
        assertThat(sent.path()).isEqualTo("/v1/messages");
        assertThat(sent.headers().get("Accept")).isEqualTo("text/event-stream");
        recorder.assertContract();
    }

    @Test
    void countTokensPassesWithoutUsage() throws Exception {
        final String body = "{\"model\":\"fake-small\",\"messages\":[{\"role\":\"user\","
                + "\"content\":\"a b c\"}]}";
        final Recorder recorder = forward("messages/count_tokens", body, false);
        assertThat(recorder.usage()).isNull();
        assertThat(recorder.bytes()).isEqualTo("{\"input_tokens\":3}");
        assertThat(fake.requests().get(0).path()).isEqualTo("/v1/messages/count_tokens");
        assertThat(fake.served()).isZero();
    }

    @Test
    void theConfiguredVersionIsUsedWhenTheClientSendsNone() {
        final Recorder recorder = new Recorder();
        provider.forward(new ForwardRequest("messages", "m", utf8(BODY + "}"), false),
                new CallOptions("r1", null, null, Map.of("anthropic-version", "bad version")),
                recorder);
        recorder.usage();
        assertThat(fake.requests().get(0).headers().get("anthropic-version"))
                .isEqualTo("2023-01-01");
        assertThat(fake.requests().get(0).headers()).doesNotContainKey("anthropic-beta");
    }

    @Test
    void errorsAreClassified() {
        fake.enqueue(Fault.status(429, "2"));
        final ProviderFailure limited = forwardFailure("messages");
        assertThat(limited.kind()).isEqualTo(FailureKind.RATE_LIMITED);
        assertThat(limited.retryAfter()).hasSeconds(2);
        fake.enqueue(Fault.status(529, null));
        assertThat(forwardFailure("messages").kind()).isEqualTo(FailureKind.OVERLOADED);

        assertThat(forwardFailure("embeddings").kind()).isEqualTo(FailureKind.NOT_FOUND);
        assertThat(forwardFailure("messages/batches").message())
                .contains("no endpoint /v1/messages/batches");
        assertThat(forwardFailure("../admin").kind()).isEqualTo(FailureKind.BAD_REQUEST);
        assertThat(forwardFailure("messages/../x").kind()).isEqualTo(FailureKind.BAD_REQUEST);
        assertThat(forwardFailure("messages?x=<y>").kind()).isEqualTo(FailureKind.BAD_REQUEST);
        assertThat(fake.requests()).hasSize(2);
    }

    @Test
    void streamCutIsAConnectionFailure() {
        fake.enqueue(Fault.resetMidStream(2));
        final ProviderFailure failure = forward("messages", BODY + ",\"stream\":true}", true)
                .failure();
        assertThat(failure.kind()).isEqualTo(FailureKind.CONNECTION);
        assertThat(failure.outputStarted()).isTrue();
    }

    @Test
    void anErrorEventIsPassedOnThenFailsTheCall() {
        fake.enqueue(Fault.status(200, null, "{\"type\":\"error\",\"error\":{\"type\":"
                + "\"overloaded_error\",\"message\":\"Overloaded\"}}"));
        final Recorder recorder = forward("messages", BODY + ",\"stream\":true}", true);
        final ProviderFailure failure = recorder.failure();
        assertThat(failure.kind()).isEqualTo(FailureKind.OVERLOADED);
        assertThat(failure.outputStarted()).isTrue();
        assertThat(recorder.bytes()).contains("event: error\n");
        recorder.assertContract();
    }

    @Test
    void aStreamIsRelayedByteForByte() throws Exception {
        final String stream = resource("golden/tool-use.stream.sse");
        // split inside an event and inside a CRLF-free line, as TCP may
        final int cut = stream.indexOf("input_json_delta");
        try (ScriptedServer server = new ScriptedServer(200, "text/event-stream",
                List.of(stream.substring(0, cut), stream.substring(cut)), false)) {
            final Recorder recorder = scriptedForward(server);
            final Usage usage = recorder.usage();
            assertThat(recorder.bytes()).isEqualTo(stream);
            assertThat(recorder.pieces).hasSize(16);
            assertThat(usage.promptTokens()).isEqualTo(472 + 2048);
            assertThat(usage.cachedTokens()).isEqualTo(2048);
            assertThat(usage.completionTokens()).isEqualTo(89);
        }
    }

    @Test
    void scriptedStreamsWithoutEventNamesOrEnd() throws Exception {
        final String start = "data: {\"type\":\"message_start\",\"message\":{\"usage\":"
                + "{\"input_tokens\":4,\"output_tokens\":1}}}\n\n";
        final String delta = "data: {\"type\":\"message_delta\",\"delta\":{},\"usage\":"
                + "{\"output_tokens\":6}}\n\n";
        final String text = "data: {\"type\":\"content_block_delta\",\"delta\":{\"text\":"
                + "\"x\"}}\n\n";
        try (ScriptedServer server = new ScriptedServer(200, "text/event-stream",
                List.of(start, text, delta, "data: {\"type\":\"message_stop\"}\n\n"), false)) {
            final Recorder recorder = scriptedForward(server);
            assertThat(recorder.usage().totalTokens()).isEqualTo(10);
        }
        try (ScriptedServer server = new ScriptedServer(200, "text/event-stream",
                List.of(start, "data: {\"type\":\"error\",\"error\":{\"type\":"
                        + "\"rate_limit_error\",\"message\":\"slow\"}}\n\n"), false)) {
            final ProviderFailure failure = scriptedForward(server).failure();
            assertThat(failure.kind()).isEqualTo(FailureKind.RATE_LIMITED);
        }
        try (ScriptedServer server = new ScriptedServer(200, "text/event-stream",
                List.of(start, "event: error\ndata: not json\n\n"), false)) {
            assertThat(scriptedForward(server).failure().message()).isEqualTo("upstream error");
        }
        try (ScriptedServer server = new ScriptedServer(200, "text/event-stream",
                List.of(start, "data: {\"type\": \"message_ oops\n\n", text), false)) {
            final ProviderFailure failure = scriptedForward(server).failure();
            assertThat(failure.kind()).isEqualTo(FailureKind.CONNECTION);
            assertThat(failure.message()).isEqualTo("stream ended before message_stop");
        }
        try (ScriptedServer server = new ScriptedServer(200, "application/json",
                List.of("not json"), false)) {
            assertThat(scriptedForward(server).usage()).isNull();
        }
    }

    private static Recorder scriptedForward(final ScriptedServer server) {
        final AnthropicProvider scripted = provider(properties(server.origin()));
        try {
            final Recorder recorder = new Recorder();
            scripted.forward(new ForwardRequest("messages", "m", utf8("{}"), true),
                    CallOptions.of("r"), recorder);
            recorder.failureOrUsage();
            recorder.assertContract();
            return recorder;
        } finally {
            scripted.deactivate();
        }
    }

    private ProviderFailure forwardFailure(final String endpoint) {
        final Recorder recorder = forward(endpoint, BODY + "}", false);
        final ProviderFailure failure = recorder.failure();
        assertThat(failure.outputStarted()).isFalse();
        assertThat(recorder.contentTypes).isEmpty();
        recorder.assertContract();
        return failure;
    }
}
