package lodestar.provider.openai.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Locale;
import java.util.function.Function;
import lodestar.api.provider.FailureKind;
import lodestar.api.provider.ProviderFailure;
import lodestar.provider.common.Redactor;
import lodestar.provider.common.UpstreamFailures;

/**
 * Turns upstream errors (HTTP statuses, error bodies, mid-stream error events, I/O exceptions)
 * into {@link ProviderFailure}s whose messages are short and free of secrets.
 */
final class Failures {

    /** Removes the key, bearer tokens and OpenAI-style keys. */
    static final Redactor REDACTOR = new Redactor().and(Redactor.KEY_LIKE,
            "[redacted]");

    private Failures() {
    }

    /**
     * A failure for a non-2xx answer.
     *
     * @param mapper JSON mapper
     * @param status the HTTP status
     * @param body the start of the error body
     * @param header the response headers: first value by case-insensitive name, or
     *     {@code null}; for {@code Retry-After}
     * @param now the current time, for an HTTP-date {@code Retry-After}
     * @param secret the API key, removed from the message
     * @return the failure, {@code outputStarted} false
     */
    static ProviderFailure httpError(final ObjectMapper mapper, final int status,
            final byte[] body, final Function<String, String> header, final Instant now,
            final String secret) {
        final String text = new String(body, StandardCharsets.UTF_8);
        String message = null;
        try {
            final JsonNode tree = mapper.readTree(text);
            if (tree != null) {
                final JsonNode error = tree.path("error");
                if (error.isTextual()) {
                    message = error.asText();
                } else if (error.path("message").isTextual()) {
                    message = error.path("message").asText();
                } else if (tree.path("message").isTextual()) {
                    message = tree.path("message").asText();
                }
            }
        } catch (final IOException | RuntimeException e) {
            message = null;
        }
        if (message == null || message.isBlank()) {
            message = text.isBlank() ? "HTTP " + status : "HTTP " + status + ": " + text;
        }
        return new ProviderFailure(FailureKind.ofHttpStatus(status, text), status,
                sanitize(message, secret), UpstreamFailures.retryAfter(header, now), false);
    }

    /**
     * A failure for an error object sent inside a successful answer (mid-stream, or a 200 body).
     *
     * @param node the {@code error} value (object or string)
     * @param status the HTTP status of the answer
     * @param outputStarted whether output had been delivered
     * @param secret the API key, removed from the message
     * @return the failure
     */
    static ProviderFailure inlineError(final JsonNode node, final int status,
            final boolean outputStarted, final String secret) {
        final String message = node.isTextual() ? node.asText()
                : node.path("message").asText("upstream error");
        final JsonNode code = node.path("code");
        final String label = (node.path("type").asText("") + " " + code.asText("")).trim();
        final FailureKind kind;
        if (code.canConvertToInt() && code.asInt() >= 400 && code.asInt() < 600) {
            kind = FailureKind.ofHttpStatus(code.asInt(), label + " " + message);
        } else {
            kind = kindOf(label.toLowerCase(Locale.ROOT));
        }
        return new ProviderFailure(kind, status, sanitize(message, secret), null, outputStarted);
    }

    private static FailureKind kindOf(final String label) {
        if (label.contains("quota") || label.contains("billing") || label.contains("credit")) {
            return FailureKind.QUOTA_EXHAUSTED;
        }
        if (label.contains("rate_limit")) {
            return FailureKind.RATE_LIMITED;
        }
        if (label.contains("overloaded")) {
            return FailureKind.OVERLOADED;
        }
        if (label.contains("authentication") || label.contains("api_key")
                || label.contains("permission")) {
            return FailureKind.AUTHENTICATION;
        }
        if (label.contains("invalid_request") || label.contains("context_length")) {
            return FailureKind.BAD_REQUEST;
        }
        if (label.contains("timeout")) {
            return FailureKind.TIMEOUT;
        }
        return FailureKind.SERVER_ERROR;
    }

    /**
     * Makes a message safe to log and pass on: the key and anything that looks like a key or a
     * bearer token removed, white space collapsed, at most {@value Redactor#MESSAGE_LIMIT}
     * characters.
     *
     * @param text the message
     * @param secret the API key, or {@code null}
     * @return the safe message
     */
    static String sanitize(final String text, final String secret) {
        return REDACTOR.sanitize(text, secret);
    }
}
