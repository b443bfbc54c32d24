package lodestar.dashboard.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The dashboard's files, read once from the bundle and kept in memory. Only the names listed in
 * {@link #NAMES} exist: a request path is looked up in a map, never resolved against a folder,
 * so there is no directory listing and no way out of the asset set ({@code ..}, encoded
 * separators, absolute paths all miss the map).
 */
final class Assets {

    /** Every file the UI consists of, relative to the {@code ui/} resource folder. */
    static final List<String> NAMES = List.of("index.html", "app.js", "charts.js", "style.css",
            "favicon.svg");

    /** Replaced in HTML files by {@link #version()}, for cache-busting query strings. */
    static final String VERSION_TOKEN = "@VERSION@";

    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html; charset=utf-8",
            "js", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8",
            "svg", "image/svg+xml",
            "png", "image/png",
            "json", "application/json");

    /**
     * One file.
     *
     * @param name its name, e.g. {@code app.js}
     * @param contentType the Content-Type header
     * @param body the bytes (HTML with the version filled in)
     * @param etag a strong ETag, quoted
     */
    record Asset(String name, String contentType, byte[] body, String etag) {

        /**
         * Whether this is a page (always revalidated) rather than a sub-resource.
         *
         * @return {@code true} for HTML
         */
        boolean page() {
            return name.endsWith(".html");
        }
    }

    private final Map<String, Asset> byName;
    private final String version;

    private Assets(final Map<String, Asset> byName, final String version) {
        this.byName = byName;
        this.version = version;
    }

    /**
     * Reads the bundled files next to this class ({@code lodestar/dashboard/internal/ui/}).
     *
     * @return the assets
     * @throws IllegalStateException when a listed file is missing from the bundle
     */
    static Assets load() {
        return load(NAMES, name -> {
            try (InputStream in = Assets.class.getResourceAsStream("ui/" + name)) {
                return in == null ? null : in.readAllBytes();
            } catch (final IOException e) {
                throw new UncheckedIOException("cannot read ui/" + name, e);
            }
        });
    }

    /**
     * Builds the assets from a source of bytes.
     *
     * @param names the file names
     * @param source the bytes of a name, {@code null} when missing
     * @return the assets
     * @throws IllegalStateException when a file is missing or has an unknown type
     */
    static Assets load(final List<String> names, final Function<String, byte[]> source) {
        final Map<String, byte[]> raw = new LinkedHashMap<>();
        final MessageDigest all = sha256();
        for (final String name : names) {
            final byte[] bytes = source.apply(name);
            if (bytes == null) {
                throw new IllegalStateException("dashboard asset ui/" + name
                        + " is missing from the bundle");
            }
            raw.put(name, bytes);
            if (!name.endsWith(".html")) {
                all.update(name.getBytes(StandardCharsets.UTF_8));
                all.update(bytes);
            }
        }
        final String version = HexFormat.of().formatHex(all.digest()).substring(0, 12);
        final Map<String, Asset> byName = new LinkedHashMap<>();
        raw.forEach((name, bytes) -> {
            final String type = TYPES.get(extension(name));
            if (type == null) {
                throw new IllegalStateException("dashboard asset ui/" + name
                        + " has no known content type");
            }
            final byte[] body = name.endsWith(".html") ? new String(bytes, StandardCharsets.UTF_8)
                    .replace(VERSION_TOKEN, version).getBytes(StandardCharsets.UTF_8) : bytes;
            final String etag = "\"" + HexFormat.of().formatHex(sha256().digest(body))
                    .substring(0, 32) + "\"";
            byName.put(name, new Asset(name, type, body, etag));
        });
        return new Assets(Map.copyOf(byName), version);
    }

    /**
     * The asset of a name.
     *
     * @param name the name relative to {@code /ui/}, e.g. {@code app.js}
     * @return the asset, or {@code null}
     */
    Asset find(final String name) {
        return name == null ? null : byName.get(name);
    }

    /**
     * A short hash over every non-HTML asset: changes whenever a script, style or image does.
     *
     * @return twelve hex digits
     */
    String version() {
        return version;
    }

    private static String extension(final String name) {
        final int dot = name.lastIndexOf('.');
        return dot < 0 ? "" : name.substring(dot + 1);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }
}
