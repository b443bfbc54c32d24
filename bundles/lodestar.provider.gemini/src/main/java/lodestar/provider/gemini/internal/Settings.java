package lodestar.provider.gemini.internal;

import java.io.IOException;
import java.math.BigDecimal;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import lodestar.api.provider.ModelInfo;

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
        Duration connectTimeout,
        Duration firstByteTimeout,
        Duration totalTimeout,
        Map<String, String> extraHeaders,
        Duration probeInterval,
        String source,
        List<String> warnings) {

    /** The factory configuration PID. */
    static final String PID = "lodestar.provider.gemini";
    /** The property FileInstall sets to the file a configuration was read from. */
    static final String FILE_PROPERTY = "felix.fileinstall.filename";
    static final String DEFAULT_BASE_URL =
            "https://generativelanguage.googleapis.com/v1beta";
    static final long DEFAULT_CONNECT_TIMEOUT_MS = 5_000L;
    static final long DEFAULT_FIRST_BYTE_TIMEOUT_MS = 60_000L;
    static final long DEFAULT_TOTAL_TIMEOUT_MS = 600_000L;
    static final long DEFAULT_PROBE_SECONDS = 60L;
    /** Prefix of the per-model metadata keys. */
    static final String MODEL_PREFIX = "model.";
    /** The private property holding the key. */
    static final String API_KEY = ".apiKey";

    /** Highest accepted price, USD per 1M tokens. */
    private static final BigDecimal MAX_PRICE = BigDecimal.valueOf(1_000_000);
    private static final Set<String> KEYS = Set.of("id", "baseUrl", API_KEY, "models",
            "connectTimeoutMs", "firstByteTimeoutMs", "totalTimeoutMs", "extraHeaders",
            "probeSeconds");
    private static final String KNOWN_KEYS = String.join(", ", new TreeSet<>(KEYS));
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final Pattern ENV_REFERENCE = Pattern.compile(
            "\\$(?:\\{env:([^}]*)}|\\[env:([^\\]]*)])");
    private static final Pattern KEY_LINE = Pattern.compile("\\s*\\.apiKey\\s*[=:](.*)");
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    /** Headers the HTTP client refuses or the provider sets itself. */
    private static final Set<String> RESERVED_HEADERS = Set.of("connection", "content-length",
            "expect", "host", "upgrade", "authorization", "content-type", "accept",
            "accept-encoding", "transfer-encoding", "te", "x-goog-api-key");

    /** Copies the collections. */
    Settings {
        models = List.copyOf(models);
        extraHeaders = Collections.unmodifiableMap(new LinkedHashMap<>(extraHeaders));
        warnings = List.copyOf(warnings);
    }

    /**
     * Whether an API key is present.
     *
     * @return {@code true} when calls can be authenticated
     */
    boolean hasKey() {
        return apiKey != null;
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
    static Settings parse(final GeminiConfig config, final Map<String, ?> properties,
            final Function<String, String> env) {
        final Map<String, ?> props = properties == null ? Map.of() : properties;
        final String source = source(props);
        final List<String> problems = new ArrayList<>();
        final List<String> warnings = new ArrayList<>();

        final String id = parseId(text(() -> config.id(), "id", problems), props, problems);
        final String baseUrl = parseBaseUrl(text(() -> config.baseUrl(), "baseUrl", problems),
                problems);
        final String rawKey = text(() -> config._apiKey(), API_KEY, problems);
        final String[] key = resolveKey(rawKey, source, env, problems);
        if (key[0] == null && rawKey.isEmpty()) {
            final String variable = referenceInFile(props.get(FILE_PROPERTY));
            key[1] = variable != null ? variable : key[1];
        }
        final Duration connect = timeout(() -> config.connectTimeoutMs(), "connectTimeoutMs",
                problems);
        final Duration firstByte = timeout(() -> config.firstByteTimeoutMs(),
                "firstByteTimeoutMs", problems);
        final Duration total = timeout(() -> config.totalTimeoutMs(), "totalTimeoutMs",
                problems);
        final Map<String, String> headers = parseHeaders(
                text(() -> config.extraHeaders(), "extraHeaders", problems), problems);
        final Duration probe = probeInterval(config, problems);
        final List<String> modelIds = parseModelIds(
                text(() -> config.models(), "models", problems), problems);
        final List<ModelInfo> models = new ArrayList<>();
        if (id != null) {
            for (final String modelId : modelIds) {
                final Object meta = props.get(MODEL_PREFIX + modelId);
                final ModelInfo info = parseModel(modelId, id,
                        meta == null ? "" : meta.toString(), problems);
                if (info != null) {
                    models.add(info);
                }
            }
        }
        for (final String name : new TreeMap<>(props).keySet()) {
            if (name.startsWith(MODEL_PREFIX)) {
                final String modelId = name.substring(MODEL_PREFIX.length());
                if (!modelIds.contains(modelId)) {
                    warnings.add("'" + name + "' describes a model that is not in 'models'; "
                            + "ignored");
                }
            } else if (!KEYS.contains(name) && !isInternal(name)) {
                warnings.add("unknown key '" + name + "' (known keys: " + KNOWN_KEYS
                        + " and model.<modelId>)");
            }
        }
        if (!problems.isEmpty()) {
            throw new InvalidConfigException(source, problems);
        }
        return new Settings(id, baseUrl, key[0], key[1], models, connect, firstByte,
                total, headers, probe, source, warnings);
    }

    /**
     * Whether a header is set by the provider or refused by the HTTP client.
     *
     * @param lowerCaseName the header name, lower case
     * @return {@code true} when it must not be configured or forwarded
     */
    static boolean isReservedHeader(final String lowerCaseName) {
        return RESERVED_HEADERS.contains(lowerCaseName) || lowerCaseName.startsWith("proxy-");
    }

    /**
     * Whether a header can be sent as given: a token for a name, and a value of visible
     * ISO-8859-1 characters, spaces and tabs (no line breaks).
     *
     * @param name the header name
     * @param value the header value
     * @return {@code true} when both are valid
     */
    static boolean isValidHeader(final String name, final String value) {
        return name != null && value != null && HEADER_NAME.matcher(name).matches()
                && value.chars().noneMatch(c -> c < ' ' && c != '\t' || c == 0x7f || c > 0xff);
    }

    /**
     * Names the source of a configuration: its file when FileInstall created it, else its PID.
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
        return "configuration " + (pid == null ? PID : pid);
    }

    /**
     * The name of a factory configuration: the part after {@code ~} in {@code service.pid}, else
     * the part of the file name after the first {@code -}.
     *
     * @param properties the component properties
     * @return the name, or {@code null} when unknown
     */
    static String factoryName(final Map<String, ?> properties) {
        final Object pid = properties.get("service.pid");
        if (pid != null && pid.toString().indexOf('~') >= 0) {
            return pid.toString().substring(pid.toString().indexOf('~') + 1);
        }
        final Object file = properties.get(FILE_PROPERTY);
        if (file != null) {
            String name = file.toString().replace('\\', '/');
            name = name.substring(name.lastIndexOf('/') + 1);
            final int dash = name.indexOf('-');
            final int dot = name.lastIndexOf('.');
            if (dash >= 0 && dot > dash + 1) {
                return name.substring(dash + 1, dot);
            }
        }
        return null;
    }

    private static boolean isInternal(final String key) {
        final String lower = key.toLowerCase(Locale.ROOT);
        return lower.startsWith("service.") || lower.startsWith("component.")
                || lower.startsWith("felix.fileinstall") || lower.startsWith("osgi.");
    }

    private static String text(final Supplier<String> value, final String key,
            final List<String> problems) {
        try {
            final String text = value.get();
            return text == null ? "" : text.trim();
        } catch (final RuntimeException e) {
            problems.add(key + " cannot be read as text");
            return "";
        }
    }

    private static String parseId(final String configured, final Map<String, ?> props,
            final List<String> problems) {
        String id = configured;
        if (id.isEmpty()) {
            final String name = factoryName(props);
            id = name == null || name.isBlank() ? "gemini" : "gemini-" + name;
        }
        if (!ID.matcher(id).matches()) {
            problems.add("id '" + id + "' is invalid (1 to 64 letters, digits, '.', '_' or '-', "
                    + "starting with a letter or digit)");
            return null;
        }
        return id;
    }

    private static String parseBaseUrl(final String text, final List<String> problems) {
        final String url = text.isEmpty() ? DEFAULT_BASE_URL : text;
        final URI uri;
        try {
            uri = new URI(url);
        } catch (final URISyntaxException e) {
            problems.add("baseUrl is not a valid URL (" + e.getReason() + ")");
            return null;
        }
        final String scheme = uri.getScheme() == null ? ""
                : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            problems.add("baseUrl must start with http:// or https://");
            return null;
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            problems.add("baseUrl has no host");
            return null;
        }
        if (uri.getRawUserInfo() != null) {
            problems.add("baseUrl must not contain user info; put credentials in .apiKey");
            return null;
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            problems.add("baseUrl must not have a query or fragment");
            return null;
        }
        String normalised = uri.toString();
        while (normalised.endsWith("/")) {
            normalised = normalised.substring(0, normalised.length() - 1);
        }
        return normalised;
    }

    /** Returns {key or null, hint}. */
    private static String[] resolveKey(final String raw, final String source,
            final Function<String, String> env, final List<String> problems) {
        final String fileHint = API_KEY + " in " + source;
        if (raw.isEmpty()) {
            return new String[] {null, fileHint};
        }
        final Matcher reference = ENV_REFERENCE.matcher(raw);
        if (reference.matches()) {
            final String name = (reference.group(1) != null ? reference.group(1)
                    : reference.group(2)).trim();
            if (!ENV_NAME.matcher(name).matches()) {
                problems.add(API_KEY + " refers to an invalid environment variable name");
                return new String[] {null, fileHint};
            }
            final String value = env.apply(name);
            final String key = value == null ? "" : value.trim();
            if (!key.isEmpty() && !validKey(key)) {
                problems.add("the environment variable " + name
                        + " holds characters that cannot be sent in a header");
                return new String[] {null, name};
            }
            return new String[] {key.isEmpty() ? null : key, name};
        }
        if (raw.startsWith("${") || raw.startsWith("$[")) {
            problems.add(API_KEY + " looks like an unresolved reference; use ${env:NAME} or "
                    + "$[env:NAME]");
            return new String[] {null, fileHint};
        }
        if (!validKey(raw)) {
            problems.add(API_KEY + " holds characters that cannot be sent in a header");
            return new String[] {null, fileHint};
        }
        return new String[] {raw, fileHint};
    }

    /**
     * Finds the environment variable named by {@code .apiKey} in the configuration file, for when
     * FileInstall already replaced an unset {@code ${env:NAME}} by nothing.
     *
     * @param file the {@code felix.fileinstall.filename} property, or {@code null}
     * @return the variable name, or {@code null} when there is no file or no reference
     */
    static String referenceInFile(final Object file) {
        if (file == null) {
            return null;
        }
        final String name = file.toString();
        try {
            final Path path = name.startsWith("file:") ? Paths.get(URI.create(name))
                    : Paths.get(name);
            for (final String line : Files.readAllLines(path, StandardCharsets.UTF_8)) {
                final Matcher assignment = KEY_LINE.matcher(line);
                if (assignment.matches()) {
                    final Matcher reference = ENV_REFERENCE.matcher(assignment.group(1).trim());
                    if (reference.matches()) {
                        final String variable = (reference.group(1) != null ? reference.group(1)
                                : reference.group(2)).trim();
                        return ENV_NAME.matcher(variable).matches() ? variable : null;
                    }
                }
            }
        } catch (final IOException | RuntimeException e) {
            return null;
        }
        return null;
    }

    private static boolean validKey(final String key) {
        for (int i = 0; i < key.length(); i++) {
            final char c = key.charAt(i);
            if (c <= ' ' || c >= 0x7f) {
                return false;
            }
        }
        return true;
    }

    private static Duration timeout(final Supplier<Long> value, final String key,
            final List<String> problems) {
        final long millis;
        try {
            millis = value.get();
        } catch (final RuntimeException e) {
            problems.add(key + " is not a whole number of milliseconds");
            return null;
        }
        if (millis <= 0) {
            problems.add(key + " must be positive (is " + millis + ")");
            return null;
        }
        return Duration.ofMillis(millis);
    }

    private static Duration probeInterval(final GeminiConfig config,
            final List<String> problems) {
        final long seconds;
        try {
            seconds = config.probeSeconds();
        } catch (final RuntimeException e) {
            problems.add("probeSeconds is not a whole number of seconds");
            return Duration.ZERO;
        }
        if (seconds < 0 || seconds > 86_400) {
            problems.add("probeSeconds must be between 0 and 86400 (is " + seconds + ")");
            return Duration.ZERO;
        }
        return Duration.ofSeconds(seconds);
    }

    private static Map<String, String> parseHeaders(final String text,
            final List<String> problems) {
        final Map<String, String> headers = new LinkedHashMap<>();
        for (final String part : text.split(";")) {
            final String entry = part.trim();
            if (entry.isEmpty()) {
                continue;
            }
            final int colon = entry.indexOf(':');
            if (colon <= 0) {
                problems.add("extraHeaders entry " + (headers.size() + 1)
                        + " is not 'Name: value'");
                continue;
            }
            final String name = entry.substring(0, colon).trim();
            final String value = entry.substring(colon + 1).trim();
            if (!HEADER_NAME.matcher(name).matches()) {
                problems.add("extraHeaders has an invalid header name '" + name + "'");
            } else if (RESERVED_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
                problems.add("extraHeaders must not set " + name
                        + " (set by the provider or the HTTP client)");
            } else if (value.chars().anyMatch(c -> c < ' ' && c != '\t' || c == 0x7f)) {
                problems.add("extraHeaders value of " + name + " has control characters");
            } else {
                headers.put(name, value);
            }
        }
        return headers;
    }

    private static List<String> parseModelIds(final String text, final List<String> problems) {
        final Set<String> ids = new LinkedHashSet<>();
        for (final String part : text.split(",")) {
            final String id = part.trim();
            if (id.isEmpty()) {
                continue;
            }
            if (id.chars().anyMatch(c -> Character.isWhitespace(c) || c < ' ')) {
                problems.add("models: model id '" + id + "' contains white space");
                continue;
            }
            ids.add(id);
        }
        return new ArrayList<>(ids);
    }

    private static ModelInfo parseModel(final String modelId, final String providerId,
            final String meta, final List<String> problems) {
        final String key = MODEL_PREFIX + modelId;
        int context = 0;
        boolean tools = true;
        boolean vision = true;
        double input = 0;
        double output = 0;
        final int before = problems.size();
        for (final String part : meta.split(",")) {
            final String entry = part.trim();
            if (entry.isEmpty()) {
                continue;
            }
            final int eq = entry.indexOf('=');
            final String name = eq < 0 ? entry : entry.substring(0, eq).trim();
            final String value = eq < 0 ? "" : entry.substring(eq + 1).trim();
            if (eq < 0 || value.isEmpty()) {
                problems.add(key + ": '" + name + "' needs a value (name=value)");
                continue;
            }
            switch (name) {
                case "context" -> context = whole(key, name, value, problems);
                case "tools" -> tools = bool(key, name, value, tools, problems);
                case "vision" -> vision = bool(key, name, value, vision, problems);
                case "input" -> input = price(key, name, value, problems);
                case "output" -> output = price(key, name, value, problems);
                default -> problems.add(key + ": unknown attribute '" + name
                        + "' (known: context, tools, vision, input, output)");
            }
        }
        if (problems.size() > before) {
            return null;
        }
        return new ModelInfo(modelId, providerId, context, tools, vision, false, input,
                output);
    }

    private static int whole(final String key, final String name, final String value,
            final List<String> problems) {
        try {
            final long number = Long.parseLong(value);
            if (number < 0 || number > Integer.MAX_VALUE) {
                problems.add(key + ": " + name + " must be between 0 and " + Integer.MAX_VALUE
                        + " (is " + value + ")");
                return 0;
            }
            return (int) number;
        } catch (final NumberFormatException e) {
            problems.add(key + ": " + name + " is not a whole number ('" + value + "')");
            return 0;
        }
    }

    /** Reads USD per 1M tokens, exactly, and answers USD per token. */
    private static double price(final String key, final String name, final String value,
            final List<String> problems) {
        try {
            final BigDecimal perMillion = new BigDecimal(value);
            if (perMillion.signum() < 0 || perMillion.compareTo(MAX_PRICE) > 0) {
                problems.add(key + ": " + name + " must be between 0 and " + MAX_PRICE
                        + " USD per 1M tokens (is " + value + ")");
                return 0;
            }
            return perMillion.movePointLeft(6).doubleValue();
        } catch (final NumberFormatException e) {
            problems.add(key + ": " + name + " is not a number ('" + value + "')");
            return 0;
        }
    }

    private static boolean bool(final String key, final String name, final String value,
            final boolean fallback, final List<String> problems) {
        if (value.equalsIgnoreCase("true")) {
            return true;
        }
        if (value.equalsIgnoreCase("false")) {
            return false;
        }
        problems.add(key + ": " + name + " must be true or false (is '" + value + "')");
        return fallback;
    }

    /** A configuration that cannot be used, with every problem found. */
    static final class InvalidConfigException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        private final String source;
        private final List<String> problems;

        InvalidConfigException(final String source, final List<String> problems) {
            super("Invalid configuration in " + source + ": " + String.join("; ", problems));
            this.source = source;
            this.problems = List.copyOf(problems);
        }

        /**
         * Where the configuration came from.
         *
         * @return the file or PID
         */
        String source() {
            return source;
        }

        /**
         * The problems, one sentence each, free of secrets.
         *
         * @return the problems
         */
        List<String> problems() {
            return problems;
        }
    }
}
