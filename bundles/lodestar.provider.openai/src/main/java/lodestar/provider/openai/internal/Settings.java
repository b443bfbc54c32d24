package lodestar.provider.openai.internal;

import static lodestar.provider.common.Configs.parseBaseUrl;
import static lodestar.provider.common.Configs.parseHeaders;
import static lodestar.provider.common.Configs.parseId;
import static lodestar.provider.common.Configs.parseModel;
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
 * @param local whether the upstream is local
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
        boolean local,
        Duration connectTimeout,
        Duration firstByteTimeout,
        Duration totalTimeout,
        Map<String, String> extraHeaders,
        Duration probeInterval,
        String source,
        List<String> warnings) implements ProviderSettings {

    /** The factory configuration PID. */
    static final String PID = "lodestar.provider.openai";
    /** The property FileInstall sets to the file a configuration was read from. */
    static final String FILE_PROPERTY = Configs.FILE_PROPERTY;
    static final String DEFAULT_BASE_URL = "https://api.openai.com/v1";
    static final long DEFAULT_CONNECT_TIMEOUT_MS = 5_000L;
    static final long DEFAULT_FIRST_BYTE_TIMEOUT_MS = 60_000L;
    static final long DEFAULT_TOTAL_TIMEOUT_MS = 600_000L;
    static final long DEFAULT_PROBE_SECONDS = 60L;
    /** Prefix of the per-model metadata keys. */
    static final String MODEL_PREFIX = Configs.MODEL_PREFIX;
    /** The private property holding the key. */
    static final String API_KEY = Configs.API_KEY;

    private static final Set<String> KEYS = Set.of("id", "baseUrl", API_KEY, "models", "local",
            "connectTimeoutMs", "firstByteTimeoutMs", "totalTimeoutMs", "extraHeaders",
            "probeSeconds");
    /** Headers the HTTP client refuses or the provider sets itself. */
    private static final Set<String> RESERVED_HEADERS = Configs.reservedHeaders();

    /** Copies the collections. */
    Settings {
        models = List.copyOf(models);
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
    static Settings parse(final OpenAiConfig config, final Map<String, ?> properties,
            final Function<String, String> env) {
        final Map<String, ?> props = properties == null ? Map.of() : properties;
        final String source = Configs.source(props, PID);
        final List<String> problems = new ArrayList<>();
        final List<String> warnings = new ArrayList<>();

        final String id = parseId(text(() -> config.id(), "id", problems), props, "openai",
                problems);
        final String baseUrl = parseBaseUrl(text(() -> config.baseUrl(), "baseUrl", problems),
                DEFAULT_BASE_URL, problems);
        final Configs.Key key = Configs.apiKey(() -> config._apiKey(), source, props, env,
                problems);
        final boolean local = parseLocal(config, props, problems);
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
        if (id != null) {
            for (final String modelId : modelIds) {
                final Object meta = props.get(MODEL_PREFIX + modelId);
                final ModelInfo info = parseModel(modelId, id, local, false,
                        meta == null ? "" : meta.toString(), Map.of(), problems);
                if (info != null) {
                    models.add(info);
                }
            }
        }
        warnUnknownKeys(props, KEYS, modelIds, warnings);
        if (!problems.isEmpty()) {
            throw new InvalidConfigException(source, problems);
        }
        return new Settings(id, baseUrl, key.value(), key.hint(), models, local, connect,
                firstByte, total, headers, probe, source, warnings);
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

    private static boolean parseLocal(final OpenAiConfig config, final Map<String, ?> props,
            final List<String> problems) {
        final Object raw = props.get("local");
        if (raw instanceof String text && !text.trim().equalsIgnoreCase("true")
                && !text.trim().equalsIgnoreCase("false")) {
            problems.add("local must be true or false");
            return false;
        }
        try {
            return config.local();
        } catch (final RuntimeException e) {
            problems.add("local must be true or false");
            return false;
        }
    }
}
