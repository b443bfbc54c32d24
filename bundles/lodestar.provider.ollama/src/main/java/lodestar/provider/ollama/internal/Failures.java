package lodestar.provider.ollama.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import lodestar.api.provider.FailureKind;
import lodestar.api.provider.ProviderFailure;

/** Turns upstream errors (HTTP statuses, exceptions) into {@link ProviderFailure}s. */
final class Failures {

    /** Longest error body read. */
    static final int MAX_ERROR_BODY = 64 * 1024;
    private static final int MAX_MESSAGE = 500;

    private Failures() {
    }

    /**
     * A failure for a non-2xx answer.
     *
     * @param status the HTTP status
     * @param body the error body (at most {@link #MAX_ERROR_BODY} bytes)
     * @param retryAfter the {@code Retry-After} header, or {@code null}
     * @param mapper a mapper to read the body
     * @param now the current time, for an HTTP-date {@code Retry-After}
     * @return the failure
     */
    static ProviderFailure ofStatus(final int status, final byte[] body, final String retryAfter,
            final ObjectMapper mapper, final Instant now) {
        final String message = message(status, body, mapper);
        return new ProviderFailure(FailureKind.ofHttpStatus(status, message), status, message,
                retryAfter(retryAfter, now), false);
    }

    /**
     * The error message of a body: Ollama's {@code {"error":"..."}}, OpenAI's
     * {@code {"error":{"message":"..."}}}, else the text itself, shortened.
     *
     * @param status the HTTP status, for an empty body
     * @param body the body
     * @param mapper a mapper
     * @return the message
     */
    static String message(final int status, final byte[] body, final ObjectMapper mapper) {
        if (body != null && body.length > 0) {
            try {
                final JsonNode json = mapper.readTree(body);
                if (json != null && json.isObject()) {
                    final String error = OllamaTranslator.error(json);
                    if (error != null) {
                        return shorten(error);
                    }
                }
            } catch (final IOException e) {
                // not JSON: use the text
            }
            final String text = new String(body, StandardCharsets.UTF_8).strip();
            if (!text.isEmpty()) {
                return shorten(text.replaceAll("\\s+", " "));
            }
        }
        return "HTTP " + status + " from Ollama";
    }

    /**
     * Parses {@code Retry-After}: seconds or an HTTP date.
     *
     * @param value the header value, or {@code null}
     * @param now the current time
     * @return the wait, or {@code null} when absent or unreadable
     */
    static Duration retryAfter(final String value, final Instant now) {
        if (value == null || value.isBlank()) {
            return null;
        }
        final String text = value.trim();
        try {
            final long seconds = Long.parseLong(text);
            return seconds < 0 ? null : Duration.ofSeconds(seconds);
        } catch (final NumberFormatException e) {
            try {
                final Instant at = ZonedDateTime.parse(text, DateTimeFormatter.RFC_1123_DATE_TIME)
                        .toInstant();
                return at.isAfter(now) ? Duration.between(now, at) : Duration.ZERO;
            } catch (final DateTimeParseException ignored) {
                return null;
            }
        }
    }

    /**
     * A failure for an exception of the HTTP client or of reading the answer.
     *
     * @param error the exception
     * @param baseUrl the Ollama base URL, for the message
     * @param firstByteTimeout the first-byte timeout in force, for the message
     * @param outputStarted whether output had already been delivered
     * @return the failure
     */
    static ProviderFailure ofException(final Throwable error, final String baseUrl,
            final Duration firstByteTimeout, final boolean outputStarted) {
        final Throwable cause = unwrap(error);
        final FailureKind kind;
        final String message;
        if (cause instanceof HttpConnectTimeoutException) {
            kind = FailureKind.TIMEOUT;
            message = "connect timeout to Ollama at " + baseUrl;
        } else if (cause instanceof HttpTimeoutException) {
            kind = FailureKind.TIMEOUT;
            message = "no answer from Ollama within " + firstByteTimeout.toMillis()
                    + " ms (first-byte timeout; is the model still loading?)";
        } else if (cause instanceof ConnectException) {
            kind = FailureKind.CONNECTION;
            message = "cannot connect to Ollama at " + baseUrl + " (is it running?)";
        } else if (cause instanceof CancellationException) {
            kind = FailureKind.CANCELLED;
            message = "cancelled";
        } else {
            kind = FailureKind.CONNECTION;
            message = "connection to Ollama failed: " + describe(cause);
        }
        return new ProviderFailure(kind, 0, message, null, outputStarted);
    }

    private static Throwable unwrap(final Throwable error) {
        Throwable cause = error;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    static String describe(final Throwable error) {
        final String message = error.getMessage();
        return message == null || message.isBlank() ? error.getClass().getSimpleName()
                : error.getClass().getSimpleName() + ": " + shorten(message);
    }

    private static String shorten(final String text) {
        return text.length() <= MAX_MESSAGE ? text : text.substring(0, MAX_MESSAGE) + "...";
    }
}
