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
     * Checks the key a request presents, read from its headers the way the proxy reads them
     * ({@code Authorization: Bearer <key>}, else {@code x-api-key}).
     *
     * @param authorization the {@code Authorization} header, or {@code null}
     * @param apiKey the {@code x-api-key} header, or {@code null}
     * @return the key's name ({@code ""} when no keys are configured), empty when refused
     */
    Optional<String> authenticate(String authorization, String apiKey);
}
