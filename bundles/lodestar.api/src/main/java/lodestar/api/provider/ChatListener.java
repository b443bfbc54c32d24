package lodestar.api.provider;

import lodestar.api.chat.ChatChunk;
import lodestar.api.chat.ChatResponse;
import lodestar.api.chat.Usage;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * Receives the outcome of a {@link ModelProvider#chat} call. Methods are called sequentially
 * (never concurrently) for one call; {@link #onComplete} or {@link #onError} is the last call.
 */
@ConsumerType
public interface ChatListener {

    /**
     * A streamed chunk, in upstream order.
     *
     * @param chunk the chunk, in canonical (OpenAI) shape
     */
    void onChunk(ChatChunk chunk);

    /**
     * The complete answer of a non-streamed call.
     *
     * @param response the answer
     */
    void onResponse(ChatResponse response);

    /**
     * The call ended successfully.
     *
     * @param usage final token usage, or {@code null} when the upstream reported none
     */
    void onComplete(Usage usage);

    /**
     * The call failed.
     *
     * @param failure what went wrong, and whether any output had already been delivered
     */
    void onError(ProviderFailure failure);
}
