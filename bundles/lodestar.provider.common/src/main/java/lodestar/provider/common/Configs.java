package lodestar.provider.common;

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
import java.util.HashSet;
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
 * Steps of validating a provider configuration that every HTTP provider shares: id, base URL,
 * API key ({@code ${env:NAME}} references included), timeouts, extra headers, model lists and
 * {@code model.<modelId>} metadata. Each step adds its problems, one sentence each and free of
 * secrets, to a list; the provider throws {@link InvalidConfigException} when there are any.
 */
public final class Configs {

    /** The property FileInstall sets to the file a configuration was read from. */
    public static final String FILE_PROPERTY = "felix.fileinstall.filename";
    /** Prefix of the per-model metadata keys. */
    public static final String MODEL_PREFIX = "model.";
    /** The private property holding the key. */
    public static final String API_KEY = ".apiKey";

    /** Highest accepted price, USD per 1M tokens. */
    private static final BigDecimal MAX_PRICE = BigDecimal.valueOf(1_000_000);
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final Pattern ENV_REFERENCE = Pattern.compile(
            "\\$(?:\\{env:([^}]*)}|\\[env:([^\\]]*)])");
    private static final Pattern KEY_LINE = Pattern.compile("\\s*\\.apiKey\\s*[=:](.*)");
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    /** Headers the HTTP client refuses or every provider sets itself. */
    private static final Set<String> RESERVED_HEADERS = Set.of("connection", "content-length",
            "expect", "host", "upgrade", "authorization", "content-type", "accept",
            "accept-encoding", "transfer-encoding", "te");

    private Configs() {
    }

    /**
     * The API key and where to set one.
     *
     * @param value the resolved key, or {@code null} when there is none
     * @param hint what to set to provide a key: an environment variable name or
     *     {@code .apiKey in <file>}
     */
    public record Key(String value, String hint) {
    }

    /**
     * The headers that must not be configured or forwarded: those the HTTP client refuses or
     * every provider sets, and the provider's own.
     *
     * @param own the provider's own headers, lower case
     * @return the names, lower case
     */
    public static Set<String> reservedHeaders(final String... own) {
        final Set<String> names = new HashSet<>(RESERVED_HEADERS);
        names.addAll(List.of(own));
        return Set.copyOf(names);
    }

    /**
     * Whether a header is set by the provider or refused by the HTTP client.
     *
     * @param reserved the reserved names of the provider, lower case
     * @param lowerCaseName the header name, lower case
     * @return {@code true} when it must not be configured or forwarded
     */
    public static boolean isReservedHeader(final Set<String> reserved,
            final String lowerCaseName) {
        return reserved.contains(lowerCaseName) || lowerCaseName.startsWith("proxy-");
    }

    /**
     * Whether a header can be sent as given: a token for a name, and a value of visible
     * ISO-8859-1 characters, spaces and tabs (no line breaks).
     *
     * @param name the header name
     * @param value the header value
     * @return {@code true} when both are valid
     */
    public static boolean isValidHeader(final String name, final String value) {
        return name != null && value != null && HEADER_NAME.matcher(name).matches()
                && value.chars().noneMatch(c -> c < ' ' && c != '\t' || c == 0x7f || c > 0xff);
    }

    /**
     * Names the source of a configuration: its file when FileInstall created it, else its PID.
     *
     * @param properties the component properties
     * @param pid the factory PID, when the properties name none
     * @return a human-readable source
     */
    public static String source(final Map<String, ?> properties, final String pid) {
        final Object file = properties == null ? null : properties.get(FILE_PROPERTY);
        if (file != null) {
            final String text = file.toString();
            return text.startsWith("file:") ? text.substring("file:".length()) : text;
        }
        final Object servicePid = properties == null ? null : properties.get("service.pid");
        return "configuration " + (servicePid == null ? pid : servicePid);
    }

    /**
     * The name of a factory configuration: the part after {@code ~} in {@code service.pid}, else
     * the part of the file name after the first {@code -}.
     *
     * @param properties the component properties
     * @return the name, or {@code null} when unknown
     */
    public static String factoryName(final Map<String, ?> properties) {
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

    /**
     * Warns about keys that are neither known nor set by the framework, and about
     * {@code model.<modelId>} keys for models that are not listed.
     *
     * @param props the raw properties
     * @param keys the keys the provider knows
     * @param modelIds the listed models
     * @param warnings receives the warnings
     */
    public static void warnUnknownKeys(final Map<String, ?> props, final Set<String> keys,
            final List<String> modelIds, final List<String> warnings) {
        final String known = String.join(", ", new TreeSet<>(keys));
        for (final String name : new TreeMap<>(props).keySet()) {
            if (name.startsWith(MODEL_PREFIX)) {
                final String modelId = name.substring(MODEL_PREFIX.length());
                if (!modelIds.contains(modelId)) {
                    warnings.add("'" + name + "' describes a model that is not in 'models'; "
                            + "ignored");
                }
            } else if (!keys.contains(name) && !isInternal(name)) {
                warnings.add("unknown key '" + name + "' (known keys: " + known
                        + " and model.<modelId>)");
            }
        }
    }

    private static boolean isInternal(final String key) {
        final String lower = key.toLowerCase(Locale.ROOT);
        return lower.startsWith("service.") || lower.startsWith("component.")
                || lower.startsWith("felix.fileinstall") || lower.startsWith("osgi.");
    }

    /**
     * Reads a text value, trimmed.
     *
     * @param value reads the value
     * @param key the key, for the problem
     * @param problems receives a problem when it cannot be read
     * @return the text, empty when absent or unreadable
     */
    public static String text(final Supplier<String> value, final String key,
            final List<String> problems) {
        try {
            final String text = value.get();
            return text == null ? "" : text.trim();
        } catch (final RuntimeException e) {
            problems.add(key + " cannot be read as text");
            return "";
        }
    }

    /**
     * Validates the provider id; an empty one defaults to the prefix, followed by
     * {@code -<factory name>} when there is one.
     *
     * @param configured the configured id, trimmed
     * @param props the raw properties
     * @param prefix the default id
     * @param problems receives the problem
     * @return the id, or {@code null} when invalid
     */
    public static String parseId(final String configured, final Map<String, ?> props,
            final String prefix, final List<String> problems) {
        String id = configured;
        if (id.isEmpty()) {
            final String name = factoryName(props);
            id = name == null || name.isBlank() ? prefix : prefix + "-" + name;
        }
        if (!ID.matcher(id).matches()) {
            problems.add("id '" + id + "' is invalid (1 to 64 letters, digits, '.', '_' or '-', "
                    + "starting with a letter or digit)");
            return null;
        }
        return id;
    }

    /**
     * Validates a base URL: http or https, a host, no user info, query or fragment.
     *
     * @param text the configured URL, trimmed; empty for the default
     * @param defaultUrl the default URL
     * @param problems receives the problem
     * @return the URL without trailing slashes, or {@code null} when invalid
     */
    public static String parseBaseUrl(final String text, final String defaultUrl,
            final List<String> problems) {
        final String url = text.isEmpty() ? defaultUrl : text;
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

    /**
     * Resolves the API key: a literal, or an {@code ${env:NAME}} / {@code $[env:NAME]}
     * reference. When the key is empty because FileInstall already replaced an unset reference
     * by nothing, the hint names the variable found in the configuration file.
     *
     * @param value reads the configured {@code .apiKey}
     * @param source where the configuration came from
     * @param props the raw properties
     * @param env environment lookup
     * @param problems receives the problems
     * @return the key and the hint
     */
    public static Key apiKey(final Supplier<String> value, final String source,
            final Map<String, ?> props, final Function<String, String> env,
            final List<String> problems) {
        final String raw = text(value, API_KEY, problems);
        final Key key = resolveKey(raw, source, env, problems);
        if (key.value() == null && raw.isEmpty()) {
            final String variable = referenceInFile(props.get(FILE_PROPERTY));
            return variable != null ? new Key(null, variable) : key;
        }
        return key;
    }

    private static Key resolveKey(final String raw, final String source,
            final Function<String, String> env, final List<String> problems) {
        final String fileHint = API_KEY + " in " + source;
        if (raw.isEmpty()) {
            return new Key(null, fileHint);
        }
        final Matcher reference = ENV_REFERENCE.matcher(raw);
        if (reference.matches()) {
            final String name = (reference.group(1) != null ? reference.group(1)
                    : reference.group(2)).trim();
            if (!ENV_NAME.matcher(name).matches()) {
                problems.add(API_KEY + " refers to an invalid environment variable name");
                return new Key(null, fileHint);
            }
            final String value = env.apply(name);
            final String key = value == null ? "" : value.trim();
            if (!key.isEmpty() && !validKey(key)) {
                problems.add("the environment variable " + name
                        + " holds characters that cannot be sent in a header");
                return new Key(null, name);
            }
            return new Key(key.isEmpty() ? null : key, name);
        }
        if (raw.startsWith("${") || raw.startsWith("$[")) {
            problems.add(API_KEY + " looks like an unresolved reference; use ${env:NAME} or "
                    + "$[env:NAME]");
            return new Key(null, fileHint);
        }
        if (!validKey(raw)) {
            problems.add(API_KEY + " holds characters that cannot be sent in a header");
            return new Key(null, fileHint);
        }
        return new Key(raw, fileHint);
    }

    /**
     * Finds the environment variable named by {@code .apiKey} in the configuration file, for when
     * FileInstall already replaced an unset {@code ${env:NAME}} by nothing.
     *
     * @param file the {@code felix.fileinstall.filename} property, or {@code null}
     * @return the variable name, or {@code null} when there is no file or no reference
     */
    public static String referenceInFile(final Object file) {
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

    /**
     * Reads a positive timeout in milliseconds.
     *
     * @param value reads the value
     * @param key the key, for the problem
     * @param problems receives the problem
     * @return the timeout, or {@code null} when invalid
     */
    public static Duration timeout(final Supplier<Long> value, final String key,
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

    /**
     * Reads {@code probeSeconds}: 0 (off) to 86400.
     *
     * @param value reads the value
     * @param problems receives the problem
     * @return the interval, zero when off or invalid
     */
    public static Duration probeInterval(final Supplier<Long> value,
            final List<String> problems) {
        final long seconds;
        try {
            seconds = value.get();
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

    /**
     * Reads {@code extraHeaders}: {@code Name: value} entries separated by {@code ;}.
     *
     * @param text the configured text, trimmed
     * @param reserved the names that must not be set, lower case
     * @param problems receives the problems
     * @return the valid headers, in configured order
     */
    public static Map<String, String> parseHeaders(final String text,
            final Set<String> reserved, final List<String> problems) {
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
            } else if (reserved.contains(name.toLowerCase(Locale.ROOT))) {
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

    /**
     * Reads the comma-separated model ids, without duplicates.
     *
     * @param text the configured text, trimmed
     * @param problems receives the problems
     * @return the ids, in configured order
     */
    public static List<String> parseModelIds(final String text, final List<String> problems) {
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

    /**
     * Reads the metadata of one model: {@code context}, {@code tools}, {@code vision},
     * {@code input} and {@code output} (USD per 1M tokens), and the provider's extra prices.
     *
     * @param modelId the model id
     * @param providerId the provider id
     * @param local whether the upstream is local
     * @param vision whether a model sees images unless its metadata says otherwise
     * @param meta the {@code model.<modelId>} value
     * @param extraPrices the provider's extra price attributes, by name; receives the values
     *     given, in USD per token (the others stay {@code null})
     * @param problems receives the problems
     * @return the model, or {@code null} when its metadata has problems
     */
    public static ModelInfo parseModel(final String modelId, final String providerId,
            final boolean local, final boolean vision, final String meta,
            final Map<String, Double> extraPrices, final List<String> problems) {
        final String key = MODEL_PREFIX + modelId;
        int context = 0;
        boolean tools = true;
        boolean sees = vision;
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
                case "vision" -> sees = bool(key, name, value, sees, problems);
                case "input" -> input = price(key, name, value, problems);
                case "output" -> output = price(key, name, value, problems);
                default -> {
                    if (extraPrices.containsKey(name)) {
                        extraPrices.put(name, price(key, name, value, problems));
                    } else {
                        problems.add(key + ": unknown attribute '" + name
                                + "' (known: context, tools, vision, input, output"
                                + extraPrices.keySet().stream().map(extra -> ", " + extra)
                                        .reduce("", String::concat) + ")");
                    }
                }
            }
        }
        if (problems.size() > before) {
            return null;
        }
        return new ModelInfo(modelId, providerId, context, tools, sees, local, input, output);
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
}
