package lodestar.provider.openai.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Configuration of one OpenAI-compatible upstream, factory PID {@code lodestar.provider.openai}
 * (one file {@code config/lodestar.provider.openai-<name>.cfg} per upstream).
 *
 * <p>Per-model metadata cannot be typed here: keys {@code model.<modelId>} are read from the raw
 * properties (see {@link Settings}).
 */
@ObjectClassDefinition(name = "Lodestar OpenAI-compatible provider",
        description = "One upstream that speaks the OpenAI Chat Completions API (OpenAI, xAI, "
                + "DeepSeek, Groq, Mistral, Together, OpenRouter, ...). Per-model metadata: "
                + "model.<modelId>=context=128000,tools=true,vision=true,input=2.50,output=10.00 "
                + "(prices in USD per 1M tokens).")
@interface OpenAiConfig {

    /**
     * The provider id.
     *
     * @return the id; empty means {@code openai-<factory configuration name>}
     */
    @AttributeDefinition(name = "Provider id",
            description = "Unique among providers; letters, digits, '.', '_' and '-'. Empty means "
                    + "openai-<name> for config/lodestar.provider.openai-<name>.cfg.",
            required = false)
    String id() default "";

    /**
     * The API base URL, up to and including the version segment.
     *
     * @return the base URL
     */
    @AttributeDefinition(name = "Base URL",
            description = "http(s) URL up to and including the version, e.g. "
                    + "https://api.openai.com/v1; no query string.")
    String baseUrl() default Settings.DEFAULT_BASE_URL;

    /**
     * The API key (private property {@code .apiKey}: never published as a service property).
     *
     * @return the key, a reference {@code ${env:NAME}} or {@code $[env:NAME]}, or empty
     */
    @AttributeDefinition(name = "API key", type = AttributeType.PASSWORD,
            description = "The key, or ${env:NAME} / $[env:NAME] to read an environment "
                    + "variable. Empty: the provider is inert (no models, not available).",
            required = false)
    String _apiKey() default "";

    /**
     * Upstream model ids, comma-separated.
     *
     * @return the model ids
     */
    @AttributeDefinition(name = "Models",
            description = "Comma-separated upstream model ids, e.g. gpt-4o,gpt-4o-mini.",
            required = false)
    String models() default "";

    /**
     * Whether the upstream runs locally at no per-token cost.
     *
     * @return {@code true} for a local server
     */
    @AttributeDefinition(name = "Local",
            description = "true when the upstream runs on this machine (e.g. a llama.cpp server).")
    boolean local() default false;

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
                    + "OpenRouter's HTTP-Referer). Published as a service property: no secrets.",
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
