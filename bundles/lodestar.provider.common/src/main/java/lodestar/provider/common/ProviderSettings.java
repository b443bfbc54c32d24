package lodestar.provider.common;

import java.time.Duration;

/** What the shared code reads from the validated settings of a provider instance. */
public interface ProviderSettings {

    /**
     * The provider id.
     *
     * @return the id
     */
    String id();

    /**
     * The base URL, without a trailing slash.
     *
     * @return the base URL
     */
    String baseUrl();

    /**
     * The resolved API key.
     *
     * @return the key, or {@code null} when there is none (the provider is inert)
     */
    String apiKey();

    /**
     * What to set to provide a key: an environment variable name or {@code .apiKey in <file>}.
     *
     * @return the hint, or {@code null}
     */
    String keyHint();

    /**
     * The TCP connect timeout.
     *
     * @return the timeout
     */
    Duration connectTimeout();

    /**
     * The time between two health probes.
     *
     * @return the interval, zero when probing is off
     */
    Duration probeInterval();

    /**
     * Whether an API key is present.
     *
     * @return {@code true} when calls can be authenticated
     */
    default boolean hasKey() {
        return apiKey() != null;
    }
}
