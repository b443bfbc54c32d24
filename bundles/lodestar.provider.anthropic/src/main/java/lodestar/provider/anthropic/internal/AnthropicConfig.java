package lodestar.provider.anthropic.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Configuration of one Anthropic Messages upstream, factory PID
 * {@code lodestar.provider.anthropic} (one file
 * {@code config/lodestar.provider.anthropic-<name>.cfg} per upstream).
 *
 * <p>Per-model metadata cannot be typed here: keys {@code model.<modelId>} are read from the raw
 * properties (see {@link Settings}).
 */
@ObjectClassDefinition(name = "Lodestar Anthropic provider",
        description = "One upstream that speaks the Anthropic Messages API (api.anthropic.com "
                + "or a compatible gateway). Per-model metadata: model.<modelId>=context=200000,"
                + "tools=true,vision=true,input=3.00,output=15.00,cachedInput=0.30,"
                + "cacheWrite=3.75 (prices in USD per 1M tokens).")
@interface AnthropicConfig {

    /**
     * The provider id.
     *
     * @return the id; empty means {@code anthropic-<factory configuration name>}
     */
    @AttributeDefinition(name = "Provider id",
            description = "Unique among providers; letters, digits, '.', '_' and '-'. Empty means "
                    + "anthropic-<name> for config/lodestar.provider.anthropic-<name>.cfg.",
            required = false)
    String id() default "";

    /**
     * The API base URL, without the version segment.
     *
     * @return the base URL
     */
    @AttributeDefinition(name = "Base URL",
            description = "http(s) URL without the version segment, e.g. "
                    + "https://api.anthropic.com; requests go to <baseUrl>/v1/messages.")
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
            description = "Comma-separated upstream model ids, e.g. "
                    + "claude-sonnet-4-5-20250929,claude-opus-4-5-20251101.",
            required = false)
    String models() default "";

    /**
     * The {@code anthropic-version} header sent with translated requests.
     *
     * @return the API version
     */
    @AttributeDefinition(name = "API version",
            description = "anthropic-version header of translated requests (forwarded requests "
                    + "keep the client's).")
    String anthropicVersion() default Settings.DEFAULT_VERSION;

    /**
     * The {@code max_tokens} sent when the client gave none (Anthropic requires it).
     *
     * @return tokens
     */
    @AttributeDefinition(name = "Default max_tokens", min = "1",
            description = "max_tokens of a translated request whose client set neither "
                    + "max_tokens nor max_completion_tokens.")
    int maxTokensDefault() default Settings.DEFAULT_MAX_TOKENS;

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
                    + "anthropic-beta). Published as a service property: no secrets.",
            required = false)
    String extraHeaders() default "";

    /**
     * Seconds between two health probes ({@code GET <baseUrl>/v1/models}, free), 0 = no probe.
     *
     * @return seconds
     */
    @AttributeDefinition(name = "Health probe (s)", min = "0",
            description = "Seconds between two GET <baseUrl>/v1/models health probes (free of "
                    + "charge); 0 turns the probe off")
    long probeSeconds() default Settings.DEFAULT_PROBE_SECONDS;
}
