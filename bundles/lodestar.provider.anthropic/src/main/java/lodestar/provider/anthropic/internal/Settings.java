package lodestar.provider.anthropic.internal;

import static lodestar.provider.common.Configs.parseBaseUrl;
import static lodestar.provider.common.Configs.parseHeaders;
import static lodestar.provider.common.Configs.parseId;
import static lodestar.provider.common.Configs.parseModelIds;
import static lodestar.provider.common.Configs.text;
import static lodestar.provider.common.Configs.timeout;
import static lodestar.provider.common.Configs.warnUnknownKeys;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;
import lodestar.api.provider.ModelInfo;
import lodestar.provider.common.Configs;
import lodestar.provider.common.InvalidConfigException;
import lodestar.provider.common.ProviderSettings;

/**
 * A validated, immutable configuration of one provider instance, built from the typed
 * configuration and the raw properties (for the {@code model.<modelId>} keys).
 *
 * @param id the provider id
 * @param baseUrl the base URL, without a trailing slash
 * @param apiKey the resolved API key, or {@code null} when there is none (the provider is inert)
 * @param keyHint what to set to provide a key: an environment variable name or
 *     {@code .apiKey in <file>}
 * @param models the configured models, with their metadata
 * @param cachePrices prompt-cache prices of the models that have them, by model id
 * @param anthropicVersion the {@code anthropic-version} header of translated requests
 * @param maxTokensDefault {@code max_tokens} of a translated request that sets none
 * @param connectTimeout TCP connect timeout
 * @param firstByteTimeout default wait for the response headers
 * @param totalTimeout default longest duration of a call
 * @param extraHeaders headers sent on every request, in configured order
 * @param probeInterval time between two health probes, zero when off
 * @param source where the configuration came from (its file when FileInstall made it)
 * @param warnings non-fatal problems (unknown keys, metadata for unlisted models), for the log
 */
record Settings(
        String id,
        String baseUrl,
        String apiKey,
        String keyHint,
        List<ModelInfo> models,
        Map<String, CachePrices> cachePrices,
        String anthropicVersion,
        int maxTokensDefault,
        Duration connectTimeout,
        Duration firstByteTimeout,
        Duration totalTimeout,
        Map<String, String> extraHeaders,
        Duration probeInterval,
        String source,
        List<String> warnings) implements ProviderSettings {

    /** The factory configuration PID. */
    static final String PID = "lodestar.provider.anthropic";
    /** The property FileInstall sets to the file a configuration was read from. */
    static final String FILE_PROPERTY = Configs.FILE_PROPERTY;
    static final String DEFAULT_BASE_URL = "https://api.anthropic.com";
    static final String DEFAULT_VERSION = "2023-06-01";
    static final int DEFAULT_MAX_TOKENS = 4096;
    static final long DEFAULT_CONNECT_TIMEOUT_MS = 5_000L;
    static final long DEFAULT_FIRST_BYTE_TIMEOUT_MS = 60_000L;
    static final long DEFAULT_TOTAL_TIMEOUT_MS = 600_000L;
    static final long DEFAULT_PROBE_SECONDS = 60L;
    /** Prefix of the per-model metadata keys. */
    static final String MODEL_PREFIX = Configs.MODEL_PREFIX;
    /** The private property holding the key. */
    static final String API_KEY = Configs.API_KEY;

    private static final Set<String> KEYS = Set.of("id", "baseUrl", API_KEY, "models",
            "anthropicVersion", "maxTokensDefault", "connectTimeoutMs", "firstByteTimeoutMs",
            "totalTimeoutMs", "extraHeaders", "probeSeconds");
    private static final Pattern VERSION = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    /** Headers the HTTP client refuses or the provider sets itself. */
    private static final Set<String> RESERVED_HEADERS = Configs.reservedHeaders("x-api-key",
            "anthropic-version");

    /** Copies the collections. */
    Settings {
        models = List.copyOf(models);
        cachePrices = Map.copyOf(cachePrices);
        extraHeaders = Collections.unmodifiableMap(new LinkedHashMap<>(extraHeaders));
        warnings = List.copyOf(warnings);
    }

    /** Never shows the key. */
    @Override
    public String toString() {
        return "Settings[id=" + id + ", baseUrl=" + baseUrl + ", apiKey="
                + (apiKey == null ? "none" : "****") + ", models=" + models.size()
                + ", source=" + source + "]";
    }

    /**
     * Validates a configuration.
     *
     * @param config the typed configuration
     * @param properties the raw component properties
     * @param env environment lookup for {@code ${env:NAME}} references
     * @return the settings
     * @throws InvalidConfigException listing every problem found
     */
    static Settings parse(final AnthropicConfig config, final Map<String, ?> properties,
            final Function<String, String> env) {
        final Map<String, ?> props = properties == null ? Map.of() : properties;
        final String source = Configs.source(props, PID);
        final List<String> problems = new ArrayList<>();
        final List<String> warnings = new ArrayList<>();

        final String id = parseId(text(() -> config.id(), "id", problems), props, "anthropic",
                problems);
        final String baseUrl = withoutV1(parseBaseUrl(text(() -> config.baseUrl(), "baseUrl",
                problems), DEFAULT_BASE_URL, problems), warnings);
        final String version = parseVersion(text(() -> config.anthropicVersion(),
                "anthropicVersion", problems), problems);
        final int maxTokens = maxTokens(config, problems);
        final Configs.Key key = Configs.apiKey(() -> config._apiKey(), source, props, env,
                problems);
        final Duration connect = timeout(() -> config.connectTimeoutMs(), "connectTimeoutMs",
                problems);
        final Duration firstByte = timeout(() -> config.firstByteTimeoutMs(),
                "firstByteTimeoutMs", problems);
        final Duration total = timeout(() -> config.totalTimeoutMs(), "totalTimeoutMs",
                problems);
        final Map<String, String> headers = parseHeaders(
                text(() -> config.extraHeaders(), "extraHeaders", problems), RESERVED_HEADERS,
                problems);
        final Duration probe = Configs.probeInterval(() -> config.probeSeconds(), problems);
        final List<String> modelIds = parseModelIds(
                text(() -> config.models(), "models", problems), problems);
        final List<ModelInfo> models = new ArrayList<>();
        final Map<String, CachePrices> cachePrices = new LinkedHashMap<>();
        if (id != null) {
            for (final String modelId : modelIds) {
                final Object meta = props.get(MODEL_PREFIX + modelId);
                final ModelInfo info = parseModel(modelId, id,
                        meta == null ? "" : meta.toString(), cachePrices, problems);
                if (info != null) {
                    models.add(info);
                }
            }
        }
        warnUnknownKeys(props, KEYS, modelIds, warnings);
        if (!problems.isEmpty()) {
            throw new InvalidConfigException(source, problems);
        }
        return new Settings(id, baseUrl, key.value(), key.hint(), models, cachePrices, version,
                maxTokens, connect, firstByte, total, headers, probe, source, warnings);
    }

    /**
     * Whether a header is set by the provider or refused by the HTTP client.
     *
     * @param lowerCaseName the header name, lower case
     * @return {@code true} when it must not be configured or forwarded
     */
    static boolean isReservedHeader(final String lowerCaseName) {
        return Configs.isReservedHeader(RESERVED_HEADERS, lowerCaseName);
    }

    /** The provider adds {@code /v1/} itself: a base URL ending with it loses it (warned). */
    private static String withoutV1(final String url, final List<String> warnings) {
        if (url != null && url.endsWith("/v1")) {
            final String normalised = url.substring(0, url.length() - 3);
            warnings.add("baseUrl ends with /v1: the provider adds /v1/ itself; using "
                    + normalised);
            return normalised;
        }
        return url;
    }

    /** Reads a model's metadata, with its prompt-cache prices when it has any. */
    private static ModelInfo parseModel(final String modelId, final String providerId,
            final String meta, final Map<String, CachePrices> cachePrices,
            final List<String> problems) {
        final Map<String, Double> cache = new LinkedHashMap<>();
        cache.put("cachedInput", null);
        cache.put("cacheWrite", null);
        final ModelInfo info = Configs.parseModel(modelId, providerId, false, true, meta, cache,
                problems);
        final Double cachedInput = cache.get("cachedInput");
        final Double cacheWrite = cache.get("cacheWrite");
        if (info != null && (cachedInput != null || cacheWrite != null)) {
            final double input = info.inputCostPerToken();
            cachePrices.put(modelId, new CachePrices(cachedInput == null ? input : cachedInput,
                    cacheWrite == null ? input : cacheWrite));
        }
        return info;
    }

    private static String parseVersion(final String text, final List<String> problems) {
        final String version = text.isEmpty() ? DEFAULT_VERSION : text;
        if (!VERSION.matcher(version).matches()) {
            problems.add("anthropicVersion '" + version + "' is invalid (e.g. " + DEFAULT_VERSION
                    + ")");
            return null;
        }
        return version;
    }

    private static int maxTokens(final AnthropicConfig config, final List<String> problems) {
        final int tokens;
        try {
            tokens = config.maxTokensDefault();
        } catch (final RuntimeException e) {
            problems.add("maxTokensDefault is not a whole number");
            return DEFAULT_MAX_TOKENS;
        }
        if (tokens <= 0) {
            problems.add("maxTokensDefault must be positive (is " + tokens + ")");
        }
        return tokens;
    }

    /**
     * Prompt-cache prices of one model, USD per token. {@code ModelInfo} has no field for them:
     * they are validated and kept for the log and for future use.
     *
     * @param read price of a token read from the cache ({@code cachedInput})
     * @param write price of a token written to the cache ({@code cacheWrite})
     */
    record CachePrices(double read, double write) {
    }
}
