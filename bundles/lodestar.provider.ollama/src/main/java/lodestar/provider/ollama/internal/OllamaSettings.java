package lodestar.provider.ollama.internal;

import java.lang.reflect.Array;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * A validated configuration of one Ollama provider, read from the raw configuration properties
 * (FileInstall {@code .cfg} values are strings; {@code .config} values may be typed).
 *
 * @param id the provider id
 * @param baseUrl the Ollama base URL, without a trailing slash
 * @param models the configured model names, in order
 * @param metadata per-model metadata from {@code model.<name>} keys
 * @param discoverModels whether installed models are discovered from {@code /api/tags}
 * @param refreshSeconds seconds between discovery refreshes
 * @param keepAlive Ollama's {@code keep_alive}, empty for Ollama's default
 * @param connectTimeout the connect timeout
 * @param firstByteTimeout the longest wait for the first byte of an answer
 * @param totalTimeout the longest duration of a call
 */
record OllamaSettings(
        String id,
        String baseUrl,
        List<String> models,
        Map<String, ModelMeta> metadata,
        boolean discoverModels,
        int refreshSeconds,
        String keepAlive,
        Duration connectTimeout,
        Duration firstByteTimeout,
        Duration totalTimeout) {

    static final String DEFAULT_BASE_URL = "http://127.0.0.1:11434";
    static final String DEFAULT_KEEP_ALIVE = "5m";
    static final int DEFAULT_REFRESH_SECONDS = 60;
    static final int DEFAULT_CONNECT_TIMEOUT_MS = 2000;
    static final int DEFAULT_FIRST_BYTE_TIMEOUT_MS = 120_000;
    static final int DEFAULT_TOTAL_TIMEOUT_MS = 600_000;

    static final String ID = "id";
    static final String BASE_URL = "baseUrl";
    static final String MODELS = "models";
    static final String MODEL_PREFIX = "model.";
    static final String DISCOVER = "discoverModels";
    static final String REFRESH = "refreshSeconds";
    static final String KEEP_ALIVE = "keepAlive";
    static final String CONNECT = "connectTimeoutMs";
    static final String FIRST_BYTE = "firstByteTimeoutMs";
    static final String TOTAL = "totalTimeoutMs";
    /** The property FileInstall sets to the file a configuration was read from. */
    static final String FILE_PROPERTY = "felix.fileinstall.filename";

    static final Set<String> KEYS = Set.of(ID, BASE_URL, MODELS, DISCOVER, REFRESH, KEEP_ALIVE,
            CONNECT, FIRST_BYTE, TOTAL);

    private static final Pattern ID_PATTERN = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final Pattern MODEL_PATTERN = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:/@+-]*");
    private static final Pattern KEEP_ALIVE_PATTERN = Pattern.compile(
            "-?\\d+|-?(\\d+(\\.\\d+)?(ns|us|\u00b5s|ms|s|m|h))+");
    private static final int MAX_TIMEOUT_MS = 86_400_000;

    /** Makes the collections immutable. */
    OllamaSettings {
        models = List.copyOf(models);
        metadata = Map.copyOf(metadata);
    }

    /**
     * What the configuration says about one model.
     *
     * @param context the context window in tokens, 0 when unknown
     * @param tools whether the model accepts tool definitions
     * @param vision whether the model accepts images
     * @param numCtx Ollama's {@code options.num_ctx} to send, 0 for Ollama's default
     */
    record ModelMeta(int context, boolean tools, boolean vision, int numCtx) {

        /** Nothing known. */
        static final ModelMeta UNKNOWN = new ModelMeta(0, false, false, 0);
    }

    /** Thrown when a configuration is invalid; the message lists every problem. */
    static final class InvalidConfigException extends Exception {
        private static final long serialVersionUID = 1L;

        InvalidConfigException(final String message) {
            super(message);
        }
    }

    /**
     * The metadata of a model, {@link ModelMeta#UNKNOWN} when none is configured.
     *
     * @param model the model name
     * @return the metadata
     */
    ModelMeta meta(final String model) {
        return metadata.getOrDefault(model, ModelMeta.UNKNOWN);
    }

    /**
     * Reads and validates a configuration.
     *
     * @param properties the component properties
     * @return the settings
     * @throws InvalidConfigException listing every problem found
     */
    static OllamaSettings parse(final Map<String, ?> properties) throws InvalidConfigException {
        final Map<String, ?> props = properties == null ? Map.of() : properties;
        final List<String> problems = new ArrayList<>();

        final String rawId = text(props.get(ID));
        final String id = rawId.isEmpty() ? defaultId(props) : rawId;
        if (!ID_PATTERN.matcher(id).matches()) {
            problems.add("id '" + id + "' is invalid (1 to 64 letters, digits, '.', '_' or '-', "
                    + "starting with a letter or digit)");
        }

        final String rawUrl = text(props.get(BASE_URL));
        final String baseUrl = baseUrl(rawUrl.isEmpty() ? DEFAULT_BASE_URL : rawUrl, problems);

        final List<String> models = new ArrayList<>();
        for (final String model : list(props.get(MODELS))) {
            if (!MODEL_PATTERN.matcher(model).matches()) {
                problems.add("models: '" + model + "' is not a valid Ollama model name");
            } else if (models.contains(model)) {
                problems.add("models: '" + model + "' is listed twice");
            } else {
                models.add(model);
            }
        }

        final boolean discover = bool(props, DISCOVER, false, problems);
        final int refresh = integer(props, REFRESH, DEFAULT_REFRESH_SECONDS, 86_400, problems);
        if (models.isEmpty() && !discover && problems.isEmpty()) {
            problems.add("models is empty and discoverModels is false: no model to serve");
        }

        final Object rawKeepAlive = props.get(KEEP_ALIVE);
        final String keepAlive = rawKeepAlive == null ? DEFAULT_KEEP_ALIVE : text(rawKeepAlive);
        if (!keepAlive.isEmpty() && !KEEP_ALIVE_PATTERN.matcher(keepAlive).matches()) {
            problems.add("keepAlive '" + keepAlive + "' is not a duration (e.g. 5m, 1h30m, 0, -1)");
        }

        final int connect = integer(props, CONNECT, DEFAULT_CONNECT_TIMEOUT_MS, MAX_TIMEOUT_MS,
                problems);
        final int firstByte = integer(props, FIRST_BYTE, DEFAULT_FIRST_BYTE_TIMEOUT_MS,
                MAX_TIMEOUT_MS, problems);
        final int total = integer(props, TOTAL, DEFAULT_TOTAL_TIMEOUT_MS, MAX_TIMEOUT_MS,
                problems);

        final Map<String, ModelMeta> metadata = new LinkedHashMap<>();
        for (final Map.Entry<String, ?> entry : new java.util.TreeMap<>(props).entrySet()) {
            final String key = entry.getKey();
            if (key.startsWith(MODEL_PREFIX)) {
                final String model = key.substring(MODEL_PREFIX.length());
                if (!MODEL_PATTERN.matcher(model).matches()) {
                    problems.add(key + ": '" + model + "' is not a valid Ollama model name");
                    continue;
                }
                final ModelMeta meta = meta(key, text(entry.getValue()), problems);
                if (meta != null) {
                    metadata.put(model, meta);
                }
            }
        }

        if (!problems.isEmpty()) {
            throw new InvalidConfigException(String.join("; ", problems));
        }
        return new OllamaSettings(id, baseUrl, models, metadata, discover, refresh, keepAlive,
                Duration.ofMillis(connect), Duration.ofMillis(firstByte),
                Duration.ofMillis(total));
    }

    /**
     * Keys of a configuration that this provider does not know, framework keys excluded.
     *
     * @param properties the component properties
     * @return the unknown keys, sorted
     */
    static Set<String> unknownKeys(final Map<String, ?> properties) {
        final Set<String> unknown = new TreeSet<>();
        if (properties != null) {
            for (final String key : properties.keySet()) {
                if (!KEYS.contains(key) && !key.startsWith(MODEL_PREFIX) && !isInternal(key)) {
                    unknown.add(key);
                }
            }
        }
        return unknown;
    }

    /**
     * Model names that have metadata but are not configured (only meaningful without
     * discovery).
     *
     * @return the names
     */
    Set<String> describedButNotListed() {
        final Set<String> names = new TreeSet<>(metadata.keySet());
        names.removeAll(models);
        return names;
    }

    /**
     * Names where a configuration came from, for log messages: its file when FileInstall
     * created it, else its PID.
     *
     * @param properties the component properties
     * @return a human-readable source
     */
    static String source(final Map<String, ?> properties) {
        final Object file = properties == null ? null : properties.get(FILE_PROPERTY);
        if (file != null) {
            final String text = file.toString();
            return text.startsWith("file:") ? text.substring("file:".length()) : text;
        }
        final Object pid = properties == null ? null : properties.get("service.pid");
        return "configuration " + (pid == null ? OllamaProvider.PID : pid);
    }

    /**
     * The default id: {@code ollama-} and the factory configuration name (the part after
     * {@code ~} in {@code service.pid}, else the part after the first {@code -} of the file
     * name), or {@code ollama} when there is no name.
     *
     * @param props the component properties
     * @return the id
     */
    static String defaultId(final Map<String, ?> props) {
        final String pid = text(props.get("service.pid"));
        final int tilde = pid.indexOf('~');
        if (tilde >= 0 && tilde < pid.length() - 1) {
            return "ollama-" + pid.substring(tilde + 1);
        }
        String file = text(props.get(FILE_PROPERTY));
        file = file.substring(Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\')) + 1);
        final int dot = file.lastIndexOf('.');
        if (dot > 0) {
            file = file.substring(0, dot);
        }
        final int dash = file.indexOf('-');
        if (dash >= 0 && dash < file.length() - 1) {
            return "ollama-" + file.substring(dash + 1);
        }
        return "ollama";
    }

    private static String baseUrl(final String raw, final List<String> problems) {
        final String trimmed = raw.endsWith("/") ? raw.substring(0, raw.length() - 1) : raw;
        try {
            final URI uri = new URI(trimmed);
            final String scheme = uri.getScheme() == null ? ""
                    : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!"http".equals(scheme) && !"https".equals(scheme)) {
                problems.add("baseUrl '" + raw + "' must start with http:// or https://");
            } else if (uri.getHost() == null) {
                problems.add("baseUrl '" + raw + "' has no host");
            } else if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
                problems.add("baseUrl '" + raw + "' must not have a query or fragment");
            } else if (uri.getRawUserInfo() != null) {
                problems.add("baseUrl must not contain user information");
            }
        } catch (final URISyntaxException e) {
            problems.add("baseUrl '" + raw + "' is not a URL: " + e.getReason());
        }
        return trimmed;
    }

    private static ModelMeta meta(final String key, final String value,
            final List<String> problems) {
        int context = 0;
        int numCtx = 0;
        boolean tools = false;
        boolean vision = false;
        final int before = problems.size();
        for (final String part : value.split(",")) {
            final String item = part.trim();
            if (item.isEmpty()) {
                continue;
            }
            final int eq = item.indexOf('=');
            final String name = (eq < 0 ? item : item.substring(0, eq)).trim()
                    .toLowerCase(Locale.ROOT);
            final String val = eq < 0 ? "" : item.substring(eq + 1).trim();
            switch (name) {
                case "context" -> context = metaInt(key, name, val, problems);
                case "numctx" -> numCtx = metaInt(key, name, val, problems);
                case "tools" -> tools = metaBool(key, name, val, problems);
                case "vision" -> vision = metaBool(key, name, val, problems);
                default -> problems.add(key + ": unknown attribute '" + name
                        + "' (known: context, tools, vision, numCtx)");
            }
        }
        return problems.size() == before ? new ModelMeta(context, tools, vision, numCtx) : null;
    }

    private static int metaInt(final String key, final String name, final String value,
            final List<String> problems) {
        try {
            final int parsed = Integer.parseInt(value);
            if (parsed >= 0) {
                return parsed;
            }
        } catch (final NumberFormatException e) {
            // reported below
        }
        problems.add(key + ": " + name + " '" + value + "' is not a non-negative integer");
        return 0;
    }

    private static boolean metaBool(final String key, final String name, final String value,
            final List<String> problems) {
        final Boolean parsed = parseBool(value);
        if (parsed == null) {
            problems.add(key + ": " + name + " '" + value + "' is not true or false");
            return false;
        }
        return parsed;
    }

    private static boolean bool(final Map<String, ?> props, final String key,
            final boolean fallback, final List<String> problems) {
        final Object raw = props.get(key);
        if (raw == null || raw instanceof String s && s.isBlank()) {
            return fallback;
        }
        if (raw instanceof Boolean b) {
            return b;
        }
        final Boolean parsed = parseBool(text(raw));
        if (parsed == null) {
            problems.add(key + " '" + text(raw) + "' is not true or false");
            return fallback;
        }
        return parsed;
    }

    private static Boolean parseBool(final String value) {
        if ("true".equalsIgnoreCase(value)) {
            return Boolean.TRUE;
        }
        if ("false".equalsIgnoreCase(value)) {
            return Boolean.FALSE;
        }
        return null;
    }

    private static int integer(final Map<String, ?> props, final String key, final int fallback,
            final int max, final List<String> problems) {
        final Object raw = props.get(key);
        if (raw == null || raw instanceof String s && s.isBlank()) {
            return fallback;
        }
        long value;
        if (raw instanceof Integer || raw instanceof Long || raw instanceof Short) {
            value = ((Number) raw).longValue();
        } else {
            try {
                value = Long.parseLong(text(raw));
            } catch (final NumberFormatException e) {
                problems.add(key + " '" + text(raw) + "' is not an integer");
                return fallback;
            }
        }
        if (value < 1 || value > max) {
            problems.add(key + " " + value + " is out of range (1 to " + max + ")");
            return fallback;
        }
        return (int) value;
    }

    private static List<String> list(final Object raw) {
        final List<String> out = new ArrayList<>();
        if (raw == null) {
            return out;
        }
        final List<String> values = new ArrayList<>();
        if (raw instanceof Collection<?> collection) {
            collection.forEach(v -> values.add(String.valueOf(v)));
        } else if (raw.getClass().isArray()) {
            for (int i = 0; i < Array.getLength(raw); i++) {
                values.add(String.valueOf(Array.get(raw, i)));
            }
        } else {
            values.add(raw.toString());
        }
        for (final String value : values) {
            for (final String part : value.split(",")) {
                final String item = part.trim();
                if (!item.isEmpty()) {
                    out.add(item);
                }
            }
        }
        return out;
    }

    private static String text(final Object raw) {
        if (raw == null) {
            return "";
        }
        if (raw.getClass().isArray() || raw instanceof Collection) {
            return String.join(",", list(raw));
        }
        return raw.toString().trim();
    }

    private static boolean isInternal(final String key) {
        final String lower = key.toLowerCase(Locale.ROOT);
        return lower.startsWith("service.") || lower.startsWith("component.")
                || lower.startsWith("felix.fileinstall") || lower.startsWith("osgi.")
                || lower.startsWith("webconsole.") || lower.startsWith(".");
    }
}
