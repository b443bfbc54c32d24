package lodestar.provider.anthropic.internal;

import static lodestar.provider.anthropic.internal.Fixtures.properties;
import static lodestar.provider.anthropic.internal.Fixtures.provider;
import static lodestar.provider.anthropic.internal.Fixtures.request;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import lodestar.api.provider.CallOptions;
import lodestar.api.provider.FailureKind;
import lodestar.api.provider.ProviderFailure;
import lodestar.provider.common.Recorder;
import lodestar.provider.common.ScriptedServer;
import org.junit.jupiter.api.Test;

/** Answers the fake does not script: cut, stalled or mistyped streams and bodies. */
class ScriptedAnswersTest {

    private static final String START = "event: message_start\ndata: {\"type\":\"message_start\","
            + "\"message\":{\"id\":\"msg_1\",\"model\":\"m\",\"usage\":{\"input_tokens\":3}}}\n\n";
    private static final String TEXT = "event: content_block_delta\ndata: {\"type\":"
            + "\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":"
            + "\"Hi\"}}\n\n";

    private static Recorder chat(final ScriptedServer server, final boolean stream) {
        final AnthropicProvider provider = provider(properties(server.origin()));
        try {
            final Recorder recorder = new Recorder();
            provider.chat(request("m", "hi", stream), CallOptions.of("r"), recorder);
            recorder.failureOrUsage();
            recorder.assertContract();
            return recorder;
        } finally {
            provider.deactivate();
        }
    }

    private static ProviderFailure failure(final String contentType, final boolean stream,
            final String... parts) throws Exception {
        try (ScriptedServer server = new ScriptedServer(200, contentType, List.of(parts),
                false)) {
            return chat(server, stream).failure();
        }
    }

    @Test
    void aStreamWithoutMessageStopIsCut() throws Exception {
        final ProviderFailure failure = failure("text/event-stream", true, START, TEXT);
        assertThat(failure.kind()).isEqualTo(FailureKind.CONNECTION);
        assertThat(failure.message()).isEqualTo("stream ended before message_stop");
        assertThat(failure.outputStarted()).isTrue();
    }

    @Test
    void aLastEventWithoutItsBlankLineStillCounts() throws Exception {
        try (ScriptedServer server = new ScriptedServer(200, "text/event-stream",
                List.of(START, TEXT, "event: message_stop\ndata: {\"type\":\"message_stop\"}"),
                false)) {
            final Recorder recorder = chat(server, true);
            assertThat(recorder.usage().promptTokens()).isEqualTo(3);
            assertThat(recorder.text()).isEqualTo("Hi");
        }
    }

    @Test
    void eventsWithoutDataOrTypeAreTolerated() throws Exception {
        try (ScriptedServer server = new ScriptedServer(200, "text/event-stream",
                List.of(": comment\n\n", "event: ping\n\n", START,
                        "event: message_stop\ndata: {}\n\n"), false)) {
            final Recorder recorder = chat(server, true);
            assertThat(recorder.usage().promptTokens()).isEqualTo(3);
        }
    }

    @Test
    void mistypedAnswersAreProtocolErrors() throws Exception {
        assertThat(failure("text/event-stream", true, START, "data: [1]\n\n").message())
                .isEqualTo("stream event is not a JSON object");
        assertThat(failure("application/json", true, "{\"type\":\"message\"}").message())
                .isEqualTo("expected text/event-stream, got application/json");
        assertThat(failure("application/json", false, "[]").message())
                .isEqualTo("upstream answer is not a JSON object");
        assertThat(failure("application/json", false, "{\"object\":\"chat.completion\"}")
                .message()).isEqualTo("upstream answer is not an Anthropic message");
        final ProviderFailure error = failure("application/json", false,
                "{\"error\":{\"type\":\"api_error\",\"message\":\"boom\"}}");
        assertThat(error.kind()).isEqualTo(FailureKind.SERVER_ERROR);
        assertThat(error.message()).isEqualTo("boom");
    }
}
