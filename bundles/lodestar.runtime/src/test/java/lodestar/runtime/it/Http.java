package lodestar.runtime.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.function.Predicate;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/** Helpers for the in-framework tests: HTTP calls, polling /health, tiny bundles. */
final class Http {

    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient CLIENT = HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(2)).build();

    private Http() {
    }

    static HttpResponse<String> get(final String url) throws IOException, InterruptedException {
        return CLIENT.send(HttpRequest.newBuilder(URI.create(url)).GET()
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> post(final String url, final String body,
            final Map<String, String> headers) throws IOException, InterruptedException {
        final HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(builder::header);
        return CLIENT.send(builder.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Polls {@code /health} until its JSON satisfies the condition. */
    static JsonNode healthUntil(final String base, final Predicate<JsonNode> condition)
            throws Exception {
        final long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            final HttpResponse<String> response = get(base + "/health");
            if (response.statusCode() == 200 || response.statusCode() == 503) {
                last = JSON.readTree(response.body());
                if (condition.test(last)) {
                    return last;
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("condition not met within 20 s; last /health: " + last);
    }

    /** The state of a bundle in a /health report, or {@code null} when it is not listed. */
    static String bundleState(final JsonNode health, final String symbolicName) {
        for (final JsonNode bundle : health.path("bundles")) {
            if (symbolicName.equals(bundle.path("symbolicName").asText())) {
                return bundle.path("state").asText();
            }
        }
        return null;
    }

    /** The status of a module in a /health report. */
    static String moduleStatus(final JsonNode health, final String module) {
        for (final JsonNode node : health.path("modules")) {
            if (module.equals(node.path("name").asText())) {
                return node.path("status").asText();
            }
        }
        return null;
    }

    /**
     * Whether a module is switched on in a /health report.
     *
     * @return its {@code enabled} flag, or {@code null} when the module is not listed
     */
    static Boolean moduleEnabled(final JsonNode health, final String module) {
        for (final JsonNode node : health.path("modules")) {
            if (module.equals(node.path("name").asText())) {
                return node.path("enabled").asBoolean();
            }
        }
        return null;
    }

    /** A bundle with no code: just a manifest. */
    static InputStream emptyBundle(final String symbolicName) throws IOException {
        final Manifest manifest = new Manifest();
        final Attributes main = manifest.getMainAttributes();
        main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        main.putValue("Bundle-ManifestVersion", "2");
        main.putValue("Bundle-SymbolicName", symbolicName);
        main.putValue("Bundle-Version", "1.0.0");
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JarOutputStream jar = new JarOutputStream(bytes, manifest)) {
            jar.flush();
        }
        return new ByteArrayInputStream(bytes.toByteArray());
    }
}
