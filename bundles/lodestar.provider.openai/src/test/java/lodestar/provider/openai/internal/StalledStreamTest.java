package lodestar.provider.openai.internal;

import static lodestar.provider.openai.internal.Fixtures.properties;
import static lodestar.provider.openai.internal.Fixtures.provider;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import lodestar.api.chat.ChatRequest;
import lodestar.api.provider.CallOptions;
import lodestar.api.provider.FailureKind;
import lodestar.api.provider.ForwardRequest;
import lodestar.api.provider.ModelProvider;
import lodestar.api.provider.ProviderFailure;
import lodestar.provider.common.Recorder;
import lodestar.provider.common.ScriptedServer;
import lodestar.provider.common.StalledStreamContract;
import org.eclipse.jetty.client.HttpClient;
import org.junit.jupiter.api.Test;

/**
 * The stalled-stream contract of every HTTP provider ({@link StalledStreamContract}), plus what
 * the openai dialect adds: its error events in the middle of a stream and a stream that ends
 * without its end marker.
 */
class StalledStreamTest extends StalledStreamContract {

    private static final String CHUNK = "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\","
            + "\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":"
            + "\"Hi\"},\"finish_reason\":null}]}\n\n";

    @Override
    protected ModelProvider start(final ScriptedServer server) {
        return provider(properties(server.baseUrl()));
    }

    @Override
    protected void stop(final ModelProvider provider) {
        ((OpenAiProvider) provider).deactivate();
    }

    @Override
    protected HttpClient client(final ModelProvider provider) {
        return ((OpenAiProvider) provider).httpClient();
    }

    @Override
    protected int callsInFlight(final ModelProvider provider) {
        return ((OpenAiProvider) provider).callsInFlight();
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
        return "{\"id\":\"x\",\"choices\":[]}";
    }

    @Test
    void deactivateEndsAStalledForward() throws Exception {
        try (ScriptedServer server = new ScriptedServer(200, "text/event-stream",
                List.of("data: {\"choices\":[{\"text\":\"x\"}]}\n\n"), true)) {
            final OpenAiProvider provider = provider(properties(server.baseUrl()));
            final Recorder recorder = new Recorder();
            provider.forward(new ForwardRequest("completions", "m",
                    "{}".getBytes(StandardCharsets.UTF_8), true), CallOptions.of("r"),
                    recorder);
            assertThat(recorder.firstOutput.await(5, TimeUnit.SECONDS)).isTrue();
            provider.deactivate();
            final ProviderFailure failure = recorder.failure();
            assertThat(failure.kind()).isEqualTo(FailureKind.CONNECTION);
            assertThat(failure.message()).isEqualTo("provider stopped");
            assertThat(failure.outputStarted()).isTrue();
            recorder.assertContract();
        }
    }

    @Test
    void errorEventMidStreamEndsTheCall() throws Exception {
        try (ScriptedServer server = new ScriptedServer(200, "text/event-stream", List.of(CHUNK,
                "event: error\ndata: {\"error\":{\"message\":\"Rate limit reached\",\"type\":"
                        + "\"rate_limit_exceeded\"}}\n\n"), false)) {
            final OpenAiProvider provider = provider(properties(server.baseUrl()));
            final Recorder recorder = new Recorder();
            provider.chat(Fixtures.request("m", "hi", true), CallOptions.of("r"), recorder);
            final ProviderFailure failure = recorder.failure();
            assertThat(failure.kind()).isEqualTo(FailureKind.RATE_LIMITED);
            assertThat(failure.message()).isEqualTo("Rate limit reached");
            assertThat(failure.outputStarted()).isTrue();
            assertThat(recorder.chunks).hasSize(1);
            recorder.assertContract();
            provider.deactivate();
        }
    }

    @Test
    void openRouterStyleErrorCodeMidStream() throws Exception {
        try (ScriptedServer server = new ScriptedServer(200, "text/event-stream", List.of(
                ": OPENROUTER PROCESSING\n\n", CHUNK,
                "data: {\"error\":{\"code\":502,\"message\":\"Provider returned error\"}}\n\n"),
                false)) {
            final OpenAiProvider provider = provider(properties(server.baseUrl()));
            final Recorder recorder = new Recorder();
            provider.chat(Fixtures.request("m", "hi", true), CallOptions.of("r"), recorder);
            final ProviderFailure failure = recorder.failure();
            assertThat(failure.kind()).isEqualTo(FailureKind.SERVER_ERROR);
            assertThat(failure.httpStatus()).isEqualTo(200);
            provider.deactivate();
        }
    }

    @Test
    void streamWithoutDoneIsACutStream() throws Exception {
        try (ScriptedServer server = new ScriptedServer(200, "text/event-stream",
                List.of(CHUNK), false)) {
            final OpenAiProvider provider = provider(properties(server.baseUrl()));
            final Recorder recorder = new Recorder();
            provider.chat(Fixtures.request("m", "hi", true), CallOptions.of("r"), recorder);
            final ProviderFailure failure = recorder.failure();
            assertThat(failure.kind()).isEqualTo(FailureKind.CONNECTION);
            assertThat(failure.message()).isEqualTo("stream ended before [DONE]");
            assertThat(failure.outputStarted()).isTrue();
            provider.deactivate();
        }
    }
}
