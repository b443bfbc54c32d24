package lodestar.api.event;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Observer of request events (usage tracking, health windows, learning, cache statistics).
 *
 * <p>Delivery is asynchronous through a bounded queue: a listener never delays a request, and
 * events that do not fit are counted as dropped. A listener must return quickly and must not
 * throw; an exception is logged and counted.
 */
@ConsumerType
public interface RequestListener {

    /**
     * Called once per finished request, on a dispatcher thread.
     *
     * @param event the event
     */
    void onRequest(RequestEvent event);
}
