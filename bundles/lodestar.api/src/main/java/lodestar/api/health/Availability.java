package lodestar.api.health;

import java.util.Optional;

/**
 * Verdicts of the health monitor that routing consults: a provider or model the monitor sees
 * as down is skipped until it recovers. Registered by the health bundle; the router uses every
 * registered instance and treats their absence as "everything available".
 */
public interface Availability {

    /**
     * Why a target should not be used now.
     *
     * @param providerId the provider's id
     * @param modelId the model id at that provider
     * @return the reason when the target is down, empty when it may be used
     */
    Optional<String> unavailable(String providerId, String modelId);
}
