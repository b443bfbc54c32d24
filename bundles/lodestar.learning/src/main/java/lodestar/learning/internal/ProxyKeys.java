package lodestar.learning.internal;

import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Dictionary;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * The router's client keys, read on each check from the {@code .proxyKeys} property of the
 * {@code lodestar.router} configuration through ConfigurationAdmin (never created here, so the
 * router's file stays the only source). Format as in the router: {@code name:key,...}, or
 * {@code ${env:NAME}} / {@code $[env:NAME]} naming an environment variable holding that list.
 * No keys means the API is open, as the proxy is.
 */
final class ProxyKeys {

    /** The router's configuration PID. */
    static final String ROUTER_PID = "lodestar.router";
    private static final Pattern ENV = Pattern.compile("[$][{\\[]env:([A-Za-z0-9_]+)[}\\]]");

    /**
     * The outcome of a check.
     *
     * @param status 0 when allowed, else the HTTP status to answer (401 or 403)
     * @param who the key's name ({@code "open"} without keys), or the reason when refused
     */
    record Access(int status, String who) {
        boolean allowed() {
            return status == 0;
        }
    }

    private final Supplier<String> raw;

    /**
     * Reads keys from a supplier of the raw property.
     *
     * @param raw the {@code .proxyKeys} value, {@code null} for none
     */
    ProxyKeys(final Supplier<String> raw) {
        this.raw = raw;
    }

    /**
     * Reads keys from the router's configuration.
     *
     * @param admin ConfigurationAdmin
     * @return the keys
     */
    static ProxyKeys of(final ConfigurationAdmin admin) {
        return new ProxyKeys(() -> {
            try {
                final Configuration[] found = admin.listConfigurations("(service.pid="
                        + ROUTER_PID + ")");
                if (found == null || found.length == 0) {
                    return null;
                }
                final Dictionary<String, Object> properties = found[0].getProperties();
                if (properties == null) {
                    return null;
                }
                final Object value = properties.get(".proxyKeys") != null
                        ? properties.get(".proxyKeys") : properties.get("proxyKeys");
                return value == null ? null : String.valueOf(value);
            } catch (final IOException | InvalidSyntaxException e) {
                throw new IllegalStateException("cannot read " + ROUTER_PID + ": "
                        + e.getMessage(), e);
            }
        });
    }

    /**
     * The keys in force.
     *
     * @return key to key name; empty when the proxy is open
     */
    Map<String, String> keys() {
        return parse(raw.get());
    }

    static Map<String, String> parse(final String text) {
        final Map<String, String> keys = new LinkedHashMap<>();
        if (text == null) {
            return keys;
        }
        String value = text.trim();
        final Matcher env = ENV.matcher(value);
        if (env.matches()) {
            final String fromEnv = System.getenv(env.group(1));
            value = fromEnv == null ? "" : fromEnv.trim();
        }
        int index = 0;
        for (final String entry : value.split(",")) {
            final String trimmed = entry.trim();
            if (trimmed.isEmpty()) {
                continue;
            }
            index++;
            final int colon = trimmed.indexOf(':');
            if (colon > 0) {
                keys.put(trimmed.substring(colon + 1).trim(), trimmed.substring(0, colon).trim());
            } else {
                keys.put(trimmed, "key" + index);
            }
        }
        return keys;
    }

    /**
     * Checks the key a request presents ({@code Authorization: Bearer} or {@code x-api-key}).
     *
     * @param request the request
     * @param required the key name required, or {@code null} for any valid key
     * @return the outcome
     */
    Access check(final HttpServletRequest request, final String required) {
        final Map<String, String> keys = keys();
        if (keys.isEmpty()) {
            return new Access(0, "open");
        }
        String presented = request.getHeader("x-api-key");
        final String authorization = request.getHeader("Authorization");
        if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            presented = authorization.substring(7).trim();
        }
        if (presented == null || presented.isEmpty()) {
            return new Access(401, "a proxy key is required (Authorization: Bearer <key>)");
        }
        final byte[] given = presented.getBytes(StandardCharsets.UTF_8);
        String name = null;
        for (final Map.Entry<String, String> entry : keys.entrySet()) {
            if (MessageDigest.isEqual(given, entry.getKey().getBytes(StandardCharsets.UTF_8))) {
                name = entry.getValue();
            }
        }
        if (name == null) {
            return new Access(401, "unknown proxy key");
        }
        if (required != null && !required.equals(name)) {
            return new Access(403, "this endpoint needs the '" + required + "' proxy key");
        }
        return new Access(0, name);
    }
}
