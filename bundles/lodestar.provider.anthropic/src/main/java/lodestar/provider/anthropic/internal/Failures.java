package lodestar.provider.anthropic.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.ProtocolException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.regex.Pattern;
import lodestar.api.provider.FailureKind;
import lodestar.api.provider.ProviderFailure;
import org.eclipse.jetty.client.HttpResponseException;

/**
 * Turns upstream errors (HTTP statuses, Anthropic error bodies
 * {@code {"type":"error","error":{"type","message"}}}, mid-stream {@code error} events, I/O
 * exceptions) into {@link ProviderFailure}s whose messages are short and free of secrets.
 */
final class Failures {

    /** How much of an error body is read. */
    static final int ERROR_BODY_LIMIT = 64 * 1024;
    /** Longest message passed on. */
    static final int MESSAGE_LIMIT = 500;

    private static final Pattern KEY_LIKE = Pattern.compile(
            "(?i)(?<![A-Za-z0-9])(?:sk|xai|gsk|pk|rk)[-_][A-Za-z0-9_\\-*.]{6,}");
    private static final Pattern BEARER = Pattern.compile("(?i)bearer\\s+\\S+");
    private static final Pattern CONTROL = Pattern.compile("[\\p{Cntrl}\\s]+");

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
        String type = "";
        try {
            final JsonNode tree = mapper.readTree(text);
            if (tree != null) {
                final JsonNode error = tree.path("error");
                type = error.path("type").asText("");
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
        final String label = (type + " " + message).toLowerCase(Locale.ROOT);
        final FailureKind kind;
        if (isQuota(label)) {
            kind = FailureKind.QUOTA_EXHAUSTED;
        } else if (type.equals("overloaded_error")) {
            kind = FailureKind.OVERLOADED;
        } else {
            kind = FailureKind.ofHttpStatus(status, text);
        }
        return new ProviderFailure(kind, status, sanitize(message, secret),
                retryAfter(header, now), false);
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
        final String type = node.path("type").asText("").toLowerCase(Locale.ROOT);
        final FailureKind kind = isQuota(type + " " + message.toLowerCase(Locale.ROOT))
                ? FailureKind.QUOTA_EXHAUSTED : kindOf(type);
        return new ProviderFailure(kind, status, sanitize(message, secret), null, outputStarted);
    }

    /** Anthropic's {@code billing_error}, "Your credit balance is too low", quota texts. */
    private static boolean isQuota(final String label) {
        return label.contains("quota") || label.contains("billing")
                || label.contains("credit balance");
    }

    private static FailureKind kindOf(final String label) {
        if (isQuota(label)) {
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
        if (label.contains("invalid_request") || label.contains("request_too_large")) {
            return FailureKind.BAD_REQUEST;
        }
        if (label.contains("not_found")) {
            return FailureKind.NOT_FOUND;
        }
        if (label.contains("timeout")) {
            return FailureKind.TIMEOUT;
        }
        return FailureKind.SERVER_ERROR;
    }

    /**
     * A failure for an exception of the HTTP exchange (Jetty's client reports a connect timeout
     * as {@link SocketTimeoutException}, an idle connection as {@link TimeoutException}, a cut
     * connection as an {@link EOFException} or another {@link IOException}, an unreadable
     * response as {@link HttpResponseException}, a full request queue as
     * {@link RejectedExecutionException}).
     *
     * @param error the exception, possibly wrapped
     * @param settings the settings in force, for timeout values in messages
     * @param outputStarted whether output had been delivered
     * @return the failure
     */
    static ProviderFailure ofThrowable(final Throwable error, final Settings settings,
            final boolean outputStarted) {
        final Throwable cause = unwrap(error);
        final String secret = settings.apiKey();
        final String detail = cause.getMessage() == null ? cause.getClass().getSimpleName()
                : cause.getMessage();
        final FailureKind kind;
        final String message;
        if (cause instanceof SocketTimeoutException) {
            kind = FailureKind.TIMEOUT;
            message = "could not connect within " + settings.connectTimeout().toMillis()
                    + " ms (connect timeout)";
        } else if (cause instanceof TimeoutException) {
            kind = FailureKind.TIMEOUT;
            message = "connection timed out: " + detail;
        } else if (cause instanceof ProtocolException
                || cause instanceof HttpResponseException) {
            kind = FailureKind.PROTOCOL;
            message = detail;
        } else if (cause instanceof ConnectException || cause instanceof UnknownHostException
                || cause instanceof UnresolvedAddressException) {
            kind = FailureKind.CONNECTION;
            message = "cannot connect: " + detail;
        } else if (cause instanceof EOFException) {
            kind = FailureKind.CONNECTION;
            message = "connection closed by the upstream: " + detail;
        } else if (cause instanceof IOException) {
            kind = FailureKind.CONNECTION;
            message = "connection failed: " + detail;
        } else if (cause instanceof RejectedExecutionException) {
            kind = FailureKind.OVERLOADED;
            message = "request not sent: " + detail;
        } else {
            kind = FailureKind.CONNECTION;
            message = "unexpected " + cause.getClass().getName() + ": " + detail;
        }
        return new ProviderFailure(kind, 0, sanitize(message, secret), null, outputStarted);
    }

    /**
     * The message of a first-byte timeout.
     *
     * @param firstByteTimeout the first-byte timeout of the call
     * @return the message
     */
    static String firstByteTimeout(final Duration firstByteTimeout) {
        return "no answer within " + firstByteTimeout.toMillis() + " ms (first-byte timeout)";
    }

    private static Throwable unwrap(final Throwable error) {
        Throwable cause = error;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException
                || cause instanceof UncheckedIOException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    /**
     * Reads {@code retry-after-ms} or {@code Retry-After} (delta-seconds or HTTP-date).
     *
     * @param header the response headers: first value by case-insensitive name, or
     *     {@code null} when absent
     * @param now the current time
     * @return the wait, or {@code null} when absent or unreadable
     */
    static Duration retryAfter(final Function<String, String> header, final Instant now) {
        final String millis = header.apply("retry-after-ms");
        if (millis != null) {
            try {
                final double value = Double.parseDouble(millis.trim());
                if (value >= 0 && !Double.isInfinite(value)) {
                    return Duration.ofMillis(Math.round(value));
                }
            } catch (final NumberFormatException ignored) {
                // fall back to Retry-After
            }
        }
        final String raw = header.apply("retry-after");
        if (raw == null) {
            return null;
        }
        final String value = raw.trim();
        try {
            final double seconds = Double.parseDouble(value);
            return seconds >= 0 && !Double.isInfinite(seconds)
                    ? Duration.ofMillis(Math.round(seconds * 1000)) : null;
        } catch (final NumberFormatException notSeconds) {
            try {
                final Instant at = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME)
                        .toInstant();
                return at.isAfter(now) ? Duration.between(now, at) : Duration.ZERO;
            } catch (final DateTimeParseException notADate) {
                return null;
            }
        }
    }

    /**
     * Makes a message safe to log and pass on: the key and anything that looks like a key or a
     * bearer token removed, white space collapsed, at most {@value #MESSAGE_LIMIT} characters.
     *
     * @param text the message
     * @param secret the API key, or {@code null}
     * @return the safe message
     */
    static String sanitize(final String text, final String secret) {
        String safe = text == null ? "" : text;
        if (secret != null && !secret.isEmpty()) {
            safe = safe.replace(secret, "[redacted]");
        }
        safe = BEARER.matcher(safe).replaceAll("Bearer [redacted]");
        safe = KEY_LIKE.matcher(safe).replaceAll("[redacted]");
        safe = CONTROL.matcher(safe).replaceAll(" ").trim();
        return safe.length() > MESSAGE_LIMIT ? safe.substring(0, MESSAGE_LIMIT - 3) + "..." : safe;
    }
}
