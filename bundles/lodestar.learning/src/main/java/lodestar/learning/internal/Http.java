package lodestar.learning.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * JSON in and out for the bundle's servlets; errors in the OpenAI shape; the cross-site request
 * forgery rule of every state-changing call ({@link #sameOrigin}).
 */
final class Http {

    static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_BODY = 64 * 1024;

    private Http() {
    }

    /** A client error to answer with a status. */
    static final class Failure extends Exception {
        private static final long serialVersionUID = 1L;
        private final int status;
        private final String code;

        Failure(final int status, final String code, final String message) {
            super(message);
            this.status = status;
            this.code = code;
        }

        int status() {
            return status;
        }

        String code() {
            return code;
        }
    }

    /**
     * Refuses a state-changing request that a web page of another origin could have made the
     * user's browser send (CSRF): an {@code Origin} header naming another host and port than the
     * request's {@code Host}, or a {@code Sec-Fetch-Site} other than {@code same-origin} or
     * {@code none}, is answered 403; a {@code Content-Type} other than JSON (forms and
     * {@code text/plain}, which a browser sends cross-origin without asking first) 415. Requests
     * without these headers (curl, scripts) pass: the key check still applies to them.
     *
     * @param request the request
     * @throws Failure when refused
     */
    static void sameOrigin(final HttpServletRequest request) throws Failure {
        final String site = request.getHeader("Sec-Fetch-Site");
        if (site != null && !"same-origin".equalsIgnoreCase(site.trim())
                && !"none".equalsIgnoreCase(site.trim())) {
            throw new Failure(403, "cross_origin", "refused: a " + site.trim() + " request "
                    + "cannot change state (CSRF protection)");
        }
        final String origin = request.getHeader("Origin");
        if (origin != null && !origin.isBlank()) {
            final String host = request.getHeader("Host");
            if (host == null || !host.trim().equalsIgnoreCase(authority(origin.trim()))) {
                throw new Failure(403, "cross_origin", "refused: origin " + origin.trim()
                        + " is not this server's (CSRF protection)");
            }
        }
        final String type = request.getHeader("Content-Type");
        if (type != null && !type.isBlank() && !json(type)) {
            throw new Failure(415, "unsupported_media_type", "send the body as "
                    + "Content-Type: application/json, not " + type.trim());
        }
    }

    private static boolean json(final String contentType) {
        final String media = contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        return "application/json".equals(media);
    }

    /**
     * The {@code host[:port]} of an origin, with the scheme's default port left out as browsers
     * leave it out of {@code Host}.
     *
     * @param origin the {@code Origin} header
     * @return its authority, or {@code ""} when it is not a URL ({@code null} origins)
     */
    static String authority(final String origin) {
        try {
            final URI uri = new URI(origin);
            if (uri.getHost() == null) {
                return "";
            }
            final int port = uri.getPort();
            final boolean standard = port == -1 || ("http".equalsIgnoreCase(uri.getScheme())
                    && port == 80) || ("https".equalsIgnoreCase(uri.getScheme()) && port == 443);
            return standard ? uri.getHost() : uri.getHost() + ":" + port;
        } catch (final URISyntaxException e) {
            return "";
        }
    }

    /**
     * Checks the request's proxy key and answers the refusal (401 / 403) itself.
     *
     * @param keys the router's keys
     * @param keyName the key name required, or {@code null} for any valid key
     * @param request the request
     * @param response the response, written when refused
     * @return the key's name ({@code "open"} without keys), or {@code null} when refused
     * @throws IOException when writing the refusal fails
     */
    static String admit(final ProxyKeys keys, final String keyName,
            final HttpServletRequest request, final HttpServletResponse response)
            throws IOException {
        final ProxyKeys.Access access = keys.check(request, keyName);
        if (!access.allowed()) {
            error(response, access.status(), "invalid_api_key", access.who());
            return null;
        }
        return access.who();
    }

    /**
     * The non-empty segments of the request's path below the servlet's pattern.
     *
     * @param request the request
     * @return the segments
     */
    static List<String> parts(final HttpServletRequest request) {
        final String path = request.getPathInfo() == null ? "" : request.getPathInfo();
        return Arrays.stream(path.split("/")).filter(s -> !s.isEmpty()).toList();
    }

    static JsonNode body(final HttpServletRequest request) throws IOException, Failure {
        final byte[] bytes;
        try (InputStream in = request.getInputStream()) {
            bytes = in.readNBytes(MAX_BODY + 1);
        }
        if (bytes.length > MAX_BODY) {
            throw new Failure(413, "too_large", "request body over " + MAX_BODY + " bytes");
        }
        if (bytes.length == 0) {
            return JSON.createObjectNode();
        }
        try {
            final JsonNode node = JSON.readTree(bytes);
            if (node == null || !node.isObject()) {
                throw new Failure(400, "invalid_json", "the body must be a JSON object");
            }
            return node;
        } catch (final com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new Failure(400, "invalid_json", "the body is not JSON: "
                    + e.getOriginalMessage());
        }
    }

    static void send(final HttpServletResponse response, final int status, final Object body)
            throws IOException {
        response.setStatus(status);
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        response.setHeader("Cache-Control", "no-store");
        response.getOutputStream().write(JSON.writeValueAsBytes(body));
    }

    static void error(final HttpServletResponse response, final int status, final String code,
            final String message) throws IOException {
        final ObjectNode body = JSON.createObjectNode();
        body.putObject("error").put("message", message).put("type", status == 401
                ? "authentication_error" : status == 403 ? "permission_error"
                : status >= 500 ? "server_error" : "invalid_request_error").put("code", code);
        if (status == 401) {
            response.setHeader("WWW-Authenticate", "Bearer");
        }
        send(response, status, body);
    }
}
