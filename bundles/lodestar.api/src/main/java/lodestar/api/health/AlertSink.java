package lodestar.api.health;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A whiteboard service that delivers alerts somewhere (a chat webhook, a pager, a file). The
 * health monitor calls every registered sink for every alert, off the request path, on one
 * thread: a sink should hand slow work to its own queue.
 */
@ConsumerType
public interface AlertSink {

    /**
     * Delivers one alert. Exceptions are logged and counted by the caller, never rethrown.
     *
     * @param alert the alert
     */
    void deliver(Alert alert);
}
