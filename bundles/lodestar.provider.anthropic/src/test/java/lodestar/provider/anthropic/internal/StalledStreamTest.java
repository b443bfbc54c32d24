package lodestar.provider.anthropic.internal;

import static lodestar.provider.anthropic.internal.Fixtures.properties;
import static lodestar.provider.anthropic.internal.Fixtures.provider;

import lodestar.api.chat.ChatRequest;
import lodestar.api.provider.ModelProvider;
import lodestar.provider.common.ScriptedServer;
import lodestar.provider.common.StalledStreamContract;
import org.eclipse.jetty.client.HttpClient;

/**
 * The stalled-stream contract of every HTTP provider ({@link StalledStreamContract}) against the
 * Anthropic dialect; its own cut and mistyped streams are in {@link ScriptedAnswersTest}.
 */
class StalledStreamTest extends StalledStreamContract {

    /** The message's start and its first text, one write. */
    static final String CHUNK = "event: message_start\ndata: {\"type\":\"message_start\","
            + "\"message\":{\"id\":\"msg_1\",\"model\":\"m\",\"usage\":{\"input_tokens\":3}}}\n\n"
            + "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
            + "\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\n\n";

    @Override
    protected ModelProvider start(final ScriptedServer server) {
        return provider(properties(server.origin()));
    }

    @Override
    protected void stop(final ModelProvider provider) {
        ((AnthropicProvider) provider).deactivate();
    }

    @Override
    protected HttpClient client(final ModelProvider provider) {
        return ((AnthropicProvider) provider).httpClient();
    }

    @Override
    protected int callsInFlight(final ModelProvider provider) {
        return ((AnthropicProvider) provider).callsInFlight();
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
        return "{\"type\":\"message\"}";
    }
}
