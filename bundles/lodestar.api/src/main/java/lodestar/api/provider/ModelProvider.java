package lodestar.api.provider;

import java.util.List;
import lodestar.api.chat.ChatRequest;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * An upstream that serves models: one whiteboard service per factory configuration (for example
 * {@code config/lodestar.provider.openai-prod.cfg}). Adding a provider bundle makes its models
 * routable; removing it takes them away.
 *
 * <p>Implementations translate the canonical request into their own dialect, call the upstream
 * asynchronously and report back through a {@link ChatListener}. They never block the calling
 * thread on network I/O, never throw for upstream failures (they report a
 * {@link ProviderFailure}) and never log API keys.
 *
 * <p>Service property {@value #PROVIDER_ID} carries {@link #id()}.
 */
@ConsumerType
public interface ModelProvider {

    /** Service property holding the provider id. */
    String PROVIDER_ID = "lodestar.provider.id";

    /**
     * A stable id, unique among providers, from the provider's configuration (for
     * {@code config/lodestar.provider.openai-prod.cfg} typically {@code openai-prod}).
     *
     * @return the provider id
     */
    String id();

    /**
     * The wire dialect the upstream speaks, e.g. {@code openai}, {@code ollama},
     * {@code anthropic}, {@code gemini}.
     *
     * @return the dialect name
     */
    String dialect();

    /**
     * The models this provider serves right now. Cheap: answered from a cache, never from a
     * blocking network call.
     *
     * @return the models, possibly empty (e.g. while an API key is missing)
     */
    List<ModelInfo> models();

    /**
     * Whether the provider can take calls: configured, key present, not shutting down.
     *
     * @return {@code true} when calls may be sent
     */
    boolean isAvailable();

    /**
     * Starts a chat completion. Streaming requests deliver chunks through
     * {@link ChatListener#onChunk}; other requests deliver one {@link ChatListener#onResponse}.
     * Exactly one of {@link ChatListener#onComplete} or {@link ChatListener#onError} ends every
     * call.
     *
     * @param request the request, its {@code model} being one of {@link #models()}
     * @param options per-call options (request id, deadlines, forwarded headers)
     * @param listener receives the answer; called from the provider's threads
     * @return a handle to cancel the call
     */
    ChatCall chat(ChatRequest request, CallOptions options, ChatListener listener);

    /**
     * Forwards an OpenAI-shaped request ({@code embeddings}, {@code completions}) unchanged.
     * A provider whose upstream lacks the endpoint reports {@link FailureKind#NOT_FOUND}.
     * Exactly one of {@link ForwardListener#onComplete} or {@link ForwardListener#onError} ends
     * every call.
     *
     * @param request the request
     * @param options per-call options
     * @param listener receives the answer bytes; called from the provider's threads
     * @return a handle to cancel the call
     */
    ChatCall forward(ForwardRequest request, CallOptions options, ForwardListener listener);
}
