package lodestar.router.internal;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * An error answered to a client in OpenAI's shape:
 * {@code {"error":{"message","type","param","code"}}}.
 *
 * @param status the HTTP status
 * @param message a clear, secret-free message
 * @param type {@code invalid_request_error}, {@code authentication_error},
 *     {@code rate_limit_error}, {@code not_found_error}, {@code upstream_error}, ...
 * @param param the offending request field, or {@code null}
 * @param code a machine-readable code, or {@code null}
 * @param retryAfterSeconds a {@code Retry-After} to send, or 0
 */
record ApiError(int status, String message, String type, String param, String code,
        long retryAfterSeconds) {

    static ApiError invalid(final String message, final String param) {
        return new ApiError(400, message, "invalid_request_error", param, null, 0);
    }

    ObjectNode toJson() {
        final ObjectNode root = JsonNodeFactory.instance.objectNode();
        final ObjectNode error = root.putObject("error");
        error.put("message", message).put("type", type);
        if (param == null) {
            error.putNull("param");
        } else {
            error.put("param", param);
        }
        if (code == null) {
            error.putNull("code");
        } else {
            error.put("code", code);
        }
        return root;
    }
}
