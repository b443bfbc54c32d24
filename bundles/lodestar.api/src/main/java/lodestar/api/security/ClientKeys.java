package lodestar.api.security;

import java.util.Optional;

/**
 * The proxy's client keys, registered by the router. When keys are configured, every endpoint
 * that serves request data (usage reports, metrics) asks for one, exactly as the proxy does.
 */
public interface ClientKeys {

    /**
     * Whether keys are configured: then a request without a valid key is refused.
     *
     * @return {@code true} when keys are required
     */
    boolean required();

    /**
     * Checks a presented key ({@code Authorization: Bearer <key>} or {@code x-api-key}).
     *
     * @param presented the key, or {@code null} when none was sent
     * @return the key's name ({@code ""} when no keys are configured), empty when refused
     */
    Optional<String> authenticate(String presented);
}
