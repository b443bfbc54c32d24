package lodestar.api.provider;

import lodestar.api.chat.Usage;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * Receives a forwarded answer as bytes, in upstream order. Methods are called sequentially;
 * {@link #onComplete} or {@link #onError} is the last call.
 */
@ConsumerType
public interface ForwardListener {

    /**
     * The upstream answered successfully and its body follows.
     *
     * @param contentType the upstream content type
     */
    void onStart(String contentType);

    /**
     * A piece of the body (for a stream: one or more whole SSE events).
     *
     * @param data the bytes
     */
    void onBytes(byte[] data);

    /**
     * The answer is complete.
     *
     * @param usage the usage the upstream reported, or {@code null}
     */
    void onComplete(Usage usage);

    /**
     * The call failed.
     *
     * @param failure what went wrong
     */
    void onError(ProviderFailure failure);
}
