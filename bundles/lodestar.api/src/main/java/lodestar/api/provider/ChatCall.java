package lodestar.api.provider;

import org.osgi.annotation.versioning.ConsumerType;

/** A call in flight. */
@ConsumerType
public interface ChatCall {

    /**
     * Cancels the call: the upstream request is aborted and no further listener method is
     * called except, possibly, one that was already running. Idempotent.
     */
    void cancel();
}
