package lodestar.runtime.internal;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Helpers to talk about a configuration in logs without leaking secrets: where it came from and
 * which keys it holds, with the values of secret-looking keys masked.
 */
final class ConfigReport {

    /** The property FileInstall sets to the file a configuration was read from. */
    static final String FILE_PROPERTY = "felix.fileinstall.filename";

    private static final Pattern SECRET = Pattern.compile(
            "(?i).*(key|secret|password|passwd|token|credential|auth).*");

    private ConfigReport() {
    }

    /**
     * Names the source of a configuration: its file when FileInstall created it, else its PID.
     *
     * @param properties the component properties
     * @param pid the configuration PID
     * @return a human-readable source
     */
    static String source(final Map<String, ?> properties, final String pid) {
        final Object file = properties == null ? null : properties.get(FILE_PROPERTY);
        if (file != null) {
            final String text = file.toString();
            return text.startsWith("file:") ? text.substring("file:".length()) : text;
        }
        return "configuration " + pid;
    }

    /**
     * Whether a key names a secret (its value must never be logged).
     *
     * @param key the property key
     * @return {@code true} for keys such as {@code apiKey}, {@code _token}, {@code password}
     */
    static boolean isSecret(final String key) {
        return key.startsWith("_") || SECRET.matcher(key).matches();
    }

    /**
     * A loggable view of configuration properties: framework-internal keys dropped, secret
     * values masked, sorted by key.
     *
     * @param properties the properties
     * @return key to printable value
     */
    static Map<String, String> redact(final Map<String, ?> properties) {
        final Map<String, String> out = new TreeMap<>();
        if (properties == null) {
            return out;
        }
        for (final Map.Entry<String, ?> entry : properties.entrySet()) {
            final String key = entry.getKey();
            if (isInternal(key)) {
                continue;
            }
            out.put(key, isSecret(key) ? "****" : String.valueOf(entry.getValue()));
        }
        return out;
    }


    /**
     * Whether a key is set by the framework, SCR or FileInstall rather than by the user.
     *
     * @param key the property key
     * @return {@code true} for {@code service.*}, {@code component.*}, {@code felix.fileinstall*}
     *     and {@code osgi.*} keys
     */
    static boolean isInternal(final String key) {
        final String lower = key.toLowerCase(Locale.ROOT);
        return lower.startsWith("service.") || lower.startsWith("component.")
                || lower.startsWith("felix.fileinstall") || lower.startsWith("osgi.");
    }
}
