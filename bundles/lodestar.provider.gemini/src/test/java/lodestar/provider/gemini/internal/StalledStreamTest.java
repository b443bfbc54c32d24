package lodestar.provider.gemini.internal;

import static lodestar.provider.gemini.internal.Fixtures.properties;
import static lodestar.provider.gemini.internal.Fixtures.provider;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import lodestar.api.chat.ChatRequest;
import lodestar.api.provider.CallOptions;
import lodestar.api.provider.FailureKind;
import lodestar.api.provider.ModelProvider;
import lodestar.api.provider.ProviderFailure;
import lodestar.provider.common.Recorder;
import lodestar.provider.common.ScriptedServer;
import lodestar.provider.common.StalledStreamContract;
import org.eclipse.jetty.client.HttpClient;
import org.junit.jupiter.api.Test;

/**
 * The stalled-stream contract of every HTTP provider ({@link StalledStreamContract}), plus what
 * the gemini dialect adds: its error events in the middle of a stream and a stream that ends
 * without its end marker.
 */
class StalledStreamTest extends StalledStreamContract {

    private static final String CHUNK = "data: {\"candidates\":[{\"content\":{\"parts\":[{"
            + "\"text\":\"Hi\"}],\"role\":\"model\"},\"index\":0}]}\r\n\r\n";

    @Override
    protected ModelProvider start(final ScriptedServer server) {
        return provider(properties(server.baseUrl()));
    }

    @Override
    protected void stop(final ModelProvider provider) {
        ((GeminiProvider) provider).deactivate();
    }

    @Override
    protected HttpClient client(final ModelProvider provider) {
        return ((GeminiProvider) provider).httpClient();
    }

    @Override
    protected int callsInFlight(final ModelProvider provider) {
        return ((GeminiProvider) provider).callsInFlight();
    }

    @Override
    protected ChatRequest request(final boolean stream) {
        return Fixtures.request("m", "hi", stream);
    }

    @Override
    protected String chunk() {
        return CHUNK;
    }

    @Override
    protected String jsonAnswer() {
        return "{\"candidates\":[]}";
    }

    @Test
    void errorEventMidStreamEndsTheCall() throws Exception {
        try (ScriptedServer server = new ScriptedServer(200, "text/event-stream", List.of(CHUNK,
                "data: {\"error\":{\"code\":429,\"message\":\"Resource has been exhausted "
                        + "(e.g. check quota).\",\"status\":\"RESOURCE_EXHAUSTED\"}}\n\n"),
                false)) {
            final GeminiProvider provider = provider(properties(server.baseUrl()));
            final Recorder recorder = new Recorder();
            provider.chat(Fixtures.request("m", "hi", true), CallOptions.of("r"), recorder);
            final ProviderFailure failure = recorder.failure();
            assertThat(failure.kind()).isEqualTo(FailureKind.RATE_LIMITED);
            assertThat(failure.message()).isEqualTo("Resource has been exhausted (e.g. check "
                    + "quota).");
            assertThat(failure.httpStatus()).isEqualTo(200);
            assertThat(failure.outputStarted()).isTrue();
            assertThat(recorder.chunks).hasSize(1);
            recorder.assertContract();
            provider.deactivate();
        }
    }

    @Test
    void internalErrorMidStream() throws Exception {
        try (ScriptedServer server = new ScriptedServer(200, "text/event-stream", List.of(
                ": keep-alive\n\n", CHUNK,
                "data: {\"error\":{\"code\":500,\"message\":\"An internal error has occurred."
                        + "\",\"status\":\"INTERNAL\"}}\n\n"),
                false)) {
            final GeminiProvider provider = provider(properties(server.baseUrl()));
            final Recorder recorder = new Recorder();
            provider.chat(Fixtures.request("m", "hi", true), CallOptions.of("r"), recorder);
            final ProviderFailure failure = recorder.failure();
            assertThat(failure.kind()).isEqualTo(FailureKind.SERVER_ERROR);
            assertThat(failure.httpStatus()).isEqualTo(200);
            provider.deactivate();
        }
    }

    @Test
    void streamWithoutAFinishReasonIsACutStream() throws Exception {
        try (ScriptedServer server = new ScriptedServer(200, "text/event-stream",
                List.of(CHUNK), false)) {
            final GeminiProvider provider = provider(properties(server.baseUrl()));
            final Recorder recorder = new Recorder();
            provider.chat(Fixtures.request("m", "hi", true), CallOptions.of("r"), recorder);
            final ProviderFailure failure = recorder.failure();
            assertThat(failure.kind()).isEqualTo(FailureKind.CONNECTION);
            assertThat(failure.message()).isEqualTo("stream ended before a finishReason");
            assertThat(failure.outputStarted()).isTrue();
            provider.deactivate();
        }
    }
}
