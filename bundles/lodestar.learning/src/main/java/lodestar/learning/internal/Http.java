package lodestar.learning.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;

/** JSON in and out for the bundle's servlets; errors in the OpenAI shape. */
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
