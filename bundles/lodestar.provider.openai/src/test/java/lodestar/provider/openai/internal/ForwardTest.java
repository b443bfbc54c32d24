package lodestar.provider.openai.internal;

import static lodestar.provider.openai.internal.Fixtures.KEY;
import static lodestar.provider.openai.internal.Fixtures.properties;
import static lodestar.provider.openai.internal.Fixtures.provider;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
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

/** Forwarded requests (embeddings, text completions) against the fake upstream. */
class ForwardTest {

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

    private static byte[] utf8(final String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void embeddingsPassThroughWithUsage() throws Exception {
        final String body = "{\"model\":\"fake-embed\",  \"input\":\"three little words\","
                + "\"encoding_format\":\"float\"}";
        final Recorder recorder = new Recorder();
        provider.forward(new ForwardRequest("embeddings", "fake-embed", utf8(body), false),
                CallOptions.of("r1"), recorder);

        final Usage usage = recorder.usage();
        assertThat(usage.promptTokens()).isEqualTo(3);
        assertThat(recorder.contentTypes).containsExactly("application/json");
        assertThat(recorder.bytes()).contains("\"embedding\":[0.125,-0.5,0.25]");
        recorder.assertContract();

        final FakeUpstream.Recorded sent = fake.requests().get(0);
        assertThat(sent.path()).isEqualTo("/v1/embeddings");
        assertThat(sent.body()).isEqualTo(body);
        assertThat(sent.headers().get("Authorization")).isEqualTo("Bearer " + KEY);
        assertThat(sent.headers().get("Accept")).isEqualTo("application/json");
    }

    @Test
    void streamedCompletionsPassWholeEvents() {
        final String body = "{\"model\":\"fake-small\",\"prompt\":\"def main(\",\"stream\":true}";
        final Recorder recorder = new Recorder();
        provider.forward(new ForwardRequest("/completions", "fake-small", utf8(body), true),
                CallOptions.of("r1"), recorder);

        assertThat(recorder.usage()).isNull();
        assertThat(recorder.contentTypes).containsExactly("text/event-stream");
        final List<byte[]> pieces = recorder.pieces;
        assertThat(pieces).hasSize(4);
        for (final byte[] piece : pieces) {
            final String event = new String(piece, StandardCharsets.UTF_8);
            assertThat(event).startsWith("data: ").endsWith("\n\n");
        }
        assertThat(new String(pieces.get(3), StandardCharsets.UTF_8))
                .isEqualTo("data: [DONE]\n\n");
        assertThat(recorder.bytes()).contains("\"text\":\"Hello\"")
                .contains("\"text\":\" fake-small\"");
        assertThat(fake.requests().get(0).headers().get("Accept"))
                .isEqualTo("text/event-stream");
        recorder.assertContract();
    }

    @Test
    void nonStreamedCompletionsCarryUsage() {
        final Recorder recorder = new Recorder();
        provider.forward(new ForwardRequest("completions", "fake-small",
                utf8("{\"model\":\"fake-small\",\"prompt\":\"a b\"}"), false),
                CallOptions.of("r1"), recorder);
        final Usage usage = recorder.usage();
        assertThat(usage.promptTokens()).isEqualTo(2);
        assertThat(usage.completionTokens()).isEqualTo(3);
    }

    @Test
    void errorsAreClassified() {
        fake.enqueue(Fault.status(429, "2"));
        final ProviderFailure limited = forwardFailure("embeddings");
        assertThat(limited.kind()).isEqualTo(FailureKind.RATE_LIMITED);
        assertThat(limited.retryAfter()).hasSeconds(2);

        assertThat(forwardFailure("moderations").kind()).isEqualTo(FailureKind.NOT_FOUND);
        assertThat(forwardFailure("../admin").kind()).isEqualTo(FailureKind.BAD_REQUEST);
        assertThat(fake.requests()).hasSize(2);
    }

    @Test
    void streamCutIsAConnectionFailure() {
        fake.enqueue(Fault.resetMidStream(1));
        final Recorder recorder = new Recorder();
        provider.forward(new ForwardRequest("completions", "fake-small",
                utf8("{\"model\":\"fake-small\",\"prompt\":\"x\",\"stream\":true}"), true),
                CallOptions.of("r1"), recorder);
        final ProviderFailure failure = recorder.failure();
        assertThat(failure.kind()).isEqualTo(FailureKind.CONNECTION);
        assertThat(failure.outputStarted()).isTrue();
        recorder.assertContract();
    }

    @Test
    void scriptedStreamsReportUsageErrorsAndCuts() throws Exception {
        final String usageEvent = "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":4,"
                + "\"completion_tokens\":6,\"total_tokens\":10}}\n\n";
        final String text = "data: {\"choices\":[{\"text\":\"x\"}],\"usage\":null}\n\n";
        try (ScriptedServer server = new ScriptedServer(200, "text/event-stream",
                List.of(text, usageEvent, "data: [DONE]\n\n"), false)) {
            final Recorder recorder = scriptedForward(server);
            final Usage usage = recorder.usage();
            assertThat(usage.totalTokens()).isEqualTo(10);
            assertThat(recorder.bytes()).isEqualTo(text + usageEvent + "data: [DONE]\n\n");
        }
        try (ScriptedServer server = new ScriptedServer(200, "text/event-stream", List.of(text,
                "data: {\"error\":{\"message\":\"quota gone\",\"type\":"
                        + "\"insufficient_quota\"}}\n\n"), false)) {
            final ProviderFailure failure = scriptedForward(server).failure();
            assertThat(failure.kind()).isEqualTo(FailureKind.QUOTA_EXHAUSTED);
            assertThat(failure.outputStarted()).isTrue();
        }
        try (ScriptedServer server = new ScriptedServer(200, "text/event-stream",
                List.of(text, "data: {\"error\" is not json\n\n", "data: \"usage\"\n\n"),
                false)) {
            final ProviderFailure failure = scriptedForward(server).failure();
            assertThat(failure.kind()).isEqualTo(FailureKind.CONNECTION);
            assertThat(failure.message()).isEqualTo("stream ended before [DONE]");
        }
        try (ScriptedServer server = new ScriptedServer(200, "application/json",
                List.of("{\"usage\": 3}"), false)) {
            final Recorder recorder = scriptedForward(server);
            assertThat(recorder.usage()).isNull();
            assertThat(recorder.bytes()).isEqualTo("{\"usage\": 3}");
        }
        try (ScriptedServer server = new ScriptedServer(200, "application/json",
                List.of("not json"), false)) {
            assertThat(scriptedForward(server).usage()).isNull();
        }
    }

    private static Recorder scriptedForward(final ScriptedServer server) {
        final OpenAiProvider scripted = provider(properties(server.baseUrl()));
        try {
            final Recorder recorder = new Recorder();
            scripted.forward(new ForwardRequest("completions", "m", utf8("{}"), true),
                    CallOptions.of("r"), recorder);
            recorder.failureOrUsage();
            recorder.assertContract();
            return recorder;
        } finally {
            scripted.deactivate();
        }
    }

    private ProviderFailure forwardFailure(final String endpoint) {
        final Recorder recorder = new Recorder();
        provider.forward(new ForwardRequest(endpoint, "m", utf8("{\"model\":\"m\"}"), false),
                CallOptions.of("r1"), recorder);
        final ProviderFailure failure = recorder.failure();
        assertThat(failure.outputStarted()).isFalse();
        assertThat(recorder.contentTypes).isEmpty();
        recorder.assertContract();
        return failure;
    }
}
