package lodestar.provider.gemini.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.function.Function;
import java.util.regex.Pattern;
import lodestar.api.provider.FailureKind;
import lodestar.api.provider.ProviderFailure;
import lodestar.provider.common.Redactor;
import lodestar.provider.common.UpstreamFailures;

/**
 * Turns upstream errors (HTTP statuses, error bodies, mid-stream error events, I/O exceptions)
 * into {@link ProviderFailure}s whose messages are short and free of secrets.
 */
final class Failures {

    private static final Pattern KEY_LIKE = Pattern.compile(
            "(?<![A-Za-z0-9])AIza[A-Za-z0-9_\\-]{20,}");
    private static final Pattern KEY_PARAMETER = Pattern.compile("(?i)([?&]key=)[^&\\s\"']+");
    private static final BigDecimal MAX_DELAY_SECONDS = BigDecimal.valueOf(86_400L * 365);
    /** Removes the key, bearer tokens, Google API keys and {@code key=} parameters. */
    static final Redactor REDACTOR = new Redactor().and(KEY_LIKE, "[redacted]")
            .and(KEY_PARAMETER, "$1[redacted]");

    private Failures() {
    }

    /**
     * A failure for a non-2xx answer, from Google's error body
     * {@code {"error":{"code","message","status","details"}}} where there is one.
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
        JsonNode error = MissingNode.getInstance();
        try {
            JsonNode tree = mapper.readTree(text);
            // the JSON-array form of streamGenerateContent wraps the error in an array
            if (tree != null && tree.isArray() && tree.size() > 0) {
                tree = tree.get(0);
            }
            if (tree != null) {
                error = tree.path("error");
            }
        } catch (final IOException | RuntimeException e) {
            error = MissingNode.getInstance();
        }
        String message = error.isTextual() ? error.asText() : error.path("message").asText("");
        if (message.isBlank()) {
            message = text.isBlank() ? "HTTP " + status : "HTTP " + status + ": " + text;
        }
        final Duration wait = UpstreamFailures.retryAfter(header, now);
        return new ProviderFailure(kindOf(status, error, text), status,
                sanitize(message, secret), wait != null ? wait : retryDelay(error), false);
    }

    /**
     * A failure for an error object sent inside a successful answer (an event of a stream, or a
     * 200 body).
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
        final int effective = code.canConvertToInt() && code.asInt() >= 400
                && code.asInt() < 600 ? code.asInt() : 0;
        return new ProviderFailure(kindOf(effective, node, message), status,
                sanitize(message, secret), retryDelay(node), outputStarted);
    }

    /**
     * Classifies a Google API error by its canonical {@code status} (e.g.
     * {@code RESOURCE_EXHAUSTED}), its {@code ErrorInfo} reason and the HTTP status.
     *
     * @param httpStatus the HTTP status, 0 when there is none
     * @param error the {@code error} object, possibly missing
     * @param text the error body or message, for the quota test
     * @return the kind
     */
    static FailureKind kindOf(final int httpStatus, final JsonNode error, final String text) {
        final String code = error.path("status").asText("").toUpperCase(Locale.ROOT);
        final String message = error.path("message").asText(text == null ? "" : text);
        final String lower = message.toLowerCase(Locale.ROOT);
        if (hasReason(error, "API_KEY_") || (httpStatus == 400 || code.equals("INVALID_ARGUMENT"))
                && lower.contains("api key")) {
            // Google answers an invalid key with 400 INVALID_ARGUMENT, reason API_KEY_INVALID
            return FailureKind.AUTHENTICATION;
        }
        if (httpStatus == 429 || code.equals("RESOURCE_EXHAUSTED")) {
            return quotaOrRate(error, lower);
        }
        switch (code) {
            case "UNAVAILABLE":
                return FailureKind.OVERLOADED;
            case "DEADLINE_EXCEEDED":
                return FailureKind.TIMEOUT;
            case "INTERNAL", "UNKNOWN", "DATA_LOSS":
                return httpStatus == 0 ? FailureKind.SERVER_ERROR
                        : FailureKind.ofHttpStatus(httpStatus, message);
            case "UNAUTHENTICATED", "PERMISSION_DENIED":
                return FailureKind.AUTHENTICATION;
            case "NOT_FOUND":
                return FailureKind.NOT_FOUND;
            case "INVALID_ARGUMENT", "FAILED_PRECONDITION", "OUT_OF_RANGE":
                return FailureKind.BAD_REQUEST;
            case "CANCELLED":
                return FailureKind.CONNECTION;
            default:
                return httpStatus == 0 ? FailureKind.SERVER_ERROR
                        : FailureKind.ofHttpStatus(httpStatus, message);
        }
    }

    /**
     * A 429: a daily quota ({@code QuotaFailure} naming a per-day quota) or a message about
     * billing, credits or quota without a {@code RetryInfo} is exhausted quota; anything else is
     * a rate limit. Google words per-minute limits "You exceeded your current quota" too, but
     * sends a {@code RetryInfo} with them.
     */
    private static FailureKind quotaOrRate(final JsonNode error, final String lower) {
        boolean retryInfo = false;
        for (final JsonNode detail : error.path("details")) {
            final String type = detail.path("@type").asText("");
            if (type.endsWith("google.rpc.QuotaFailure")) {
                for (final JsonNode violation : detail.path("violations")) {
                    final String quota = (violation.path("quotaId").asText("") + " "
                            + violation.path("quotaMetric").asText("")).toLowerCase(Locale.ROOT);
                    if (quota.contains("perday")) {
                        return FailureKind.QUOTA_EXHAUSTED;
                    }
                }
            } else if (type.endsWith("google.rpc.RetryInfo")) {
                retryInfo = true;
            }
        }
        if (lower.contains("resource has been exhausted")) {
            // Google's generic wording for a shared-capacity or per-minute limit
            return FailureKind.RATE_LIMITED;
        }
        if (lower.contains("billing") && !retryInfo || lower.contains("credit")
                || lower.contains("prepayment") || lower.contains("quota") && !retryInfo) {
            return FailureKind.QUOTA_EXHAUSTED;
        }
        return FailureKind.RATE_LIMITED;
    }

    private static boolean hasReason(final JsonNode error, final String prefix) {
        for (final JsonNode detail : error.path("details")) {
            if (detail.path("reason").asText("").startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Reads {@code google.rpc.RetryInfo.retryDelay} ({@code "57s"}, {@code "1.5s"}) from the
     * details of an error.
     *
     * @param error the {@code error} object
     * @return the delay, or {@code null} when there is none or it cannot be read
     */
    static Duration retryDelay(final JsonNode error) {
        for (final JsonNode detail : error.path("details")) {
            if (!detail.path("@type").asText("").endsWith("google.rpc.RetryInfo")) {
                continue;
            }
            final JsonNode delay = detail.path("retryDelay");
            String value = delay.isObject() ? delay.path("seconds").asText("0") + "."
                    + String.format(Locale.ROOT, "%09d", delay.path("nanos").asLong(0))
                    : delay.asText("").trim();
            if (value.endsWith("s")) {
                value = value.substring(0, value.length() - 1);
            }
            try {
                final BigDecimal seconds = new BigDecimal(value);
                if (seconds.signum() >= 0 && seconds.compareTo(MAX_DELAY_SECONDS) <= 0) {
                    return Duration.ofMillis(seconds.movePointRight(3).setScale(0,
                            RoundingMode.HALF_UP).longValueExact());
                }
            } catch (final NumberFormatException | ArithmeticException e) {
                return null;
            }
        }
        return null;
    }

    /**
     * Makes a message safe to log and pass on: the key, anything that looks like a Google API key
     * ({@code AIza...}), {@code key=} URL parameters and bearer tokens removed, white space
     * collapsed, at most {@value Redactor#MESSAGE_LIMIT} characters.
     *
     * @param text the message
     * @param secret the API key, or {@code null}
     * @return the safe message
     */
    static String sanitize(final String text, final String secret) {
        return REDACTOR.sanitize(text, secret);
    }
}
