package lodestar.provider.gemini.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Configuration of one Google Gemini API upstream, factory PID {@code lodestar.provider.gemini}
 * (one file {@code config/lodestar.provider.gemini-<name>.cfg} per upstream).
 *
 * <p>Per-model metadata cannot be typed here: keys {@code model.<modelId>} are read from the raw
 * properties (see {@link Settings}).
 */
@ObjectClassDefinition(name = "Lodestar Gemini provider",
        description = "One upstream that speaks the Google Gemini API (generateContent, "
                + "streamGenerateContent). Per-model metadata: "
                + "model.<modelId>=context=1048576,tools=true,vision=true,input=0.30,"
                + "output=2.50 (prices in USD per 1M tokens).")
@interface GeminiConfig {

    /**
     * The provider id.
     *
     * @return the id; empty means {@code gemini-<factory configuration name>}
     */
    @AttributeDefinition(name = "Provider id",
            description = "Unique among providers; letters, digits, '.', '_' and '-'. Empty means "
                    + "gemini-<name> for config/lodestar.provider.gemini-<name>.cfg.",
            required = false)
    String id() default "";

    /**
     * The API base URL, up to and including the version segment.
     *
     * @return the base URL
     */
    @AttributeDefinition(name = "Base URL",
            description = "http(s) URL up to and including the version, e.g. "
                    + "https://generativelanguage.googleapis.com/v1beta; no query string.")
    String baseUrl() default Settings.DEFAULT_BASE_URL;

    /**
     * The API key (private property {@code .apiKey}: never published as a service property).
     *
     * @return the key, a reference {@code ${env:NAME}} or {@code $[env:NAME]}, or empty
     */
    @AttributeDefinition(name = "API key", type = AttributeType.PASSWORD,
            description = "The key, or ${env:NAME} / $[env:NAME] to read an environment "
                    + "variable. Sent in the x-goog-api-key header only. Empty: the provider is "
                    + "inert (no models, not available).",
            required = false)
    String _apiKey() default "";

    /**
     * Upstream model ids, comma-separated.
     *
     * @return the model ids
     */
    @AttributeDefinition(name = "Models",
            description = "Comma-separated Gemini model ids, e.g. gemini-2.5-flash.",
            required = false)
    String models() default "";

    /**
     * TCP connect timeout.
     *
     * @return milliseconds
     */
    @AttributeDefinition(name = "Connect timeout (ms)", min = "1")
    long connectTimeoutMs() default Settings.DEFAULT_CONNECT_TIMEOUT_MS;

    /**
     * Default wait for the response headers, unless the router gives one per call.
     *
     * @return milliseconds
     */
    @AttributeDefinition(name = "First-byte timeout (ms)", min = "1")
    long firstByteTimeoutMs() default Settings.DEFAULT_FIRST_BYTE_TIMEOUT_MS;

    /**
     * Default longest duration of a whole call, unless the router gives one per call.
     *
     * @return milliseconds
     */
    @AttributeDefinition(name = "Total timeout (ms)", min = "1")
    long totalTimeoutMs() default Settings.DEFAULT_TOTAL_TIMEOUT_MS;

    /**
     * Headers sent on every upstream request.
     *
     * @return {@code Name: value; Name2: value2}, or empty
     */
    @AttributeDefinition(name = "Extra headers",
            description = "Sent on every upstream request: 'Name: value; Name2: value2' (e.g. "
                    + "for a proxy in front of the API). Not for secrets: the key goes in "
                    + ".apiKey.",
            required = false)
    String extraHeaders() default "";

    /**
     * Seconds between two health probes ({@code GET <baseUrl>/models}, free), 0 = no probe.
     *
     * @return seconds
     */
    @AttributeDefinition(name = "Health probe (s)", min = "0",
            description = "Seconds between two GET <baseUrl>/models health probes (free of "
                    + "charge); 0 turns the probe off")
    long probeSeconds() default Settings.DEFAULT_PROBE_SECONDS;
}
