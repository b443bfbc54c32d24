package lodestar.provider.common;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import lodestar.api.provider.ModelInfo;

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
     * The default time to the first byte of an answer.
     *
     * @return the timeout
     */
    Duration firstByteTimeout();

    /**
     * The default time for a whole call.
     *
     * @return the timeout
     */
    Duration totalTimeout();

    /**
     * Headers added to every upstream request, in order.
     *
     * @return name to value
     */
    Map<String, String> extraHeaders();

    /**
     * The models this instance offers.
     *
     * @return the models
     */
    List<ModelInfo> models();

    /**
     * Where the settings came from (the configuration file name or PID), for log messages.
     *
     * @return the source
     */
    String source();

    /**
     * What was accepted but looked wrong in the configuration, logged once per change.
     *
     * @return the warnings
     */
    List<String> warnings();

    /**
     * Whether an API key is present.
     *
     * @return {@code true} when calls can be authenticated
     */
    default boolean hasKey() {
        return apiKey() != null;
    }
}
