package lodestar.provider.common;

import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.ProtocolException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import lodestar.api.provider.FailureKind;
import lodestar.api.provider.ProviderFailure;
import org.eclipse.jetty.client.HttpResponseException;

/**
 * The parts of failure mapping every HTTP provider shares: exceptions of the HTTP exchange,
 * {@code Retry-After}, the first-byte timeout message. Error bodies are the providers' own.
 */
public final class UpstreamFailures {

    /** How much of an error body is read. */
    public static final int ERROR_BODY_LIMIT = 64 * 1024;

    private UpstreamFailures() {
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
     * @param redactor makes the message safe
     * @return the failure
     */
    public static ProviderFailure ofThrowable(final Throwable error,
            final ProviderSettings settings, final boolean outputStarted,
            final Redactor redactor) {
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
        return new ProviderFailure(kind, 0, redactor.sanitize(message, secret), null,
                outputStarted);
    }

    /**
     * The message of a first-byte timeout.
     *
     * @param firstByteTimeout the first-byte timeout of the call
     * @return the message
     */
    public static String firstByteTimeout(final Duration firstByteTimeout) {
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
    public static Duration retryAfter(final Function<String, String> header, final Instant now) {
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
}
