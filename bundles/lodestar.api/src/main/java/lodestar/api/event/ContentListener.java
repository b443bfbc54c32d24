package lodestar.api.event;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Receives the content of successful exchanges. Registering one is what makes the router keep
 * content at all: without a listener nothing of the prompt or answer outlives the request.
 * Delivery is asynchronous and bounded like {@link RequestListener}'s.
 */
@ConsumerType
public interface ContentListener {

    /**
     * Called once per successful request, on a dispatcher thread.
     *
     * @param content the exchange
     */
    void onContent(ExchangeContent content);
}
