package lodestar.provider.anthropic.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.ProtocolException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import lodestar.api.provider.FailureKind;
import lodestar.api.provider.ProviderFailure;
import org.eclipse.jetty.client.HttpResponseException;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.io.EofException;
import org.junit.jupiter.api.Test;

class FailuresTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant NOW = Instant.parse("2026-11-26T10:00:00Z");

    /** Response headers as Jetty holds them (names case-insensitive). */
    private static Function<String, String> headers(final Map<String, String> values) {
        final HttpFields.Mutable fields = HttpFields.build();
        values.forEach(fields::add);
        return fields.asImmutable()::get;
    }

    private static ProviderFailure http(final int status, final String body) {
        return Failures.httpError(JSON, status, body.getBytes(StandardCharsets.UTF_8),
                headers(Map.of()), NOW, null);
    }

    private static String error(final String type, final String message) {
        return "{\"type\":\"error\",\"error\":{\"type\":\"" + type + "\",\"message\":\""
                + message + "\"},\"request_id\":\"req_011CSHoEeqs5C35K2UUqR7Fy\"}";
    }

    @Test
    void retryAfterIsSecondsMillisecondsOrADate() {
        assertThat(Failures.retryAfter(headers(Map.of("retry-after", "12")), NOW))
                .isEqualTo(Duration.ofSeconds(12));
        assertThat(Failures.retryAfter(headers(Map.of("retry-after-ms", "250",
                "retry-after", "1")), NOW)).isEqualTo(Duration.ofMillis(250));
        assertThat(Failures.retryAfter(headers(Map.of("retry-after-ms", "soon",
                "retry-after", "3")), NOW)).isEqualTo(Duration.ofSeconds(3));
        assertThat(Failures.retryAfter(headers(Map.of("retry-after",
                "Thu, 26 Nov 2026 10:00:30 GMT")), NOW)).isEqualTo(Duration.ofSeconds(30));
        assertThat(Failures.retryAfter(headers(Map.of("retry-after",
                "Thu, 26 Nov 2026 09:00:00 GMT")), NOW)).isEqualTo(Duration.ZERO);
        assertThat(Failures.retryAfter(headers(Map.of("retry-after", "later")), NOW)).isNull();
        assertThat(Failures.retryAfter(headers(Map.of("retry-after", "-4")), NOW)).isNull();
        assertThat(Failures.retryAfter(headers(Map.of()), NOW)).isNull();
    }

    @Test
    void sanitizeRemovesAnthropicKeys() {
        assertThat(Failures.sanitize("bad key sk-ant-api03-abcdefgh1234-XYZ here", null))
                .isEqualTo("bad key [redacted] here");
        assertThat(Failures.sanitize("secret mykey42 leaked", "mykey42"))
                .isEqualTo("secret [redacted] leaked");
        assertThat(Failures.sanitize("x".repeat(600), null)).hasSize(500).endsWith("...");
    }

    @Test
    void anthropicErrorBodiesAreClassified() {
        final ProviderFailure overloaded = http(529, error("overloaded_error", "Overloaded"));
        assertThat(overloaded.kind()).isEqualTo(FailureKind.OVERLOADED);
        assertThat(overloaded.message()).isEqualTo("Overloaded");
        assertThat(http(429, error("rate_limit_error", "Number of request tokens has "
                + "exceeded your per-minute rate limit")).kind())
                .isEqualTo(FailureKind.RATE_LIMITED);
        assertThat(http(401, error("authentication_error", "invalid x-api-key")).kind())
                .isEqualTo(FailureKind.AUTHENTICATION);
        assertThat(http(403, error("permission_error", "no")).kind())
                .isEqualTo(FailureKind.AUTHENTICATION);
        assertThat(http(404, error("not_found_error", "model: x")).kind())
                .isEqualTo(FailureKind.NOT_FOUND);
        assertThat(http(413, error("request_too_large", "big")).kind())
                .isEqualTo(FailureKind.BAD_REQUEST);
        assertThat(http(400, error("invalid_request_error", "Your credit balance is too low "
                + "to access the Anthropic API.")).kind()).isEqualTo(FailureKind.QUOTA_EXHAUSTED);
        assertThat(http(402, error("billing_error", "pay")).kind())
                .isEqualTo(FailureKind.QUOTA_EXHAUSTED);
        assertThat(http(500, error("api_error", "Internal server error")).kind())
                .isEqualTo(FailureKind.SERVER_ERROR);
        assertThat(http(500, error("overloaded_error", "Overloaded")).kind())
                .isEqualTo(FailureKind.OVERLOADED);
        assertThat(http(500, "").message()).isEqualTo("HTTP 500");
        assertThat(http(502, "<html>bad gateway</html>").message())
                .isEqualTo("HTTP 502: <html>bad gateway</html>");
        assertThat(http(400, "{\"error\":\"plain\"}").message()).isEqualTo("plain");
        assertThat(http(400, "{\"message\":\"top\"}").message()).isEqualTo("top");
    }

    @Test
    void inlineErrorsAreClassifiedByType() throws Exception {
        assertThat(kind("{\"type\":\"rate_limit_error\"}")).isEqualTo(FailureKind.RATE_LIMITED);
        assertThat(kind("{\"type\":\"billing_error\"}"))
                .isEqualTo(FailureKind.QUOTA_EXHAUSTED);
        assertThat(kind("{\"type\":\"invalid_request_error\",\"message\":\"Your credit "
                + "balance is too low\"}")).isEqualTo(FailureKind.QUOTA_EXHAUSTED);
        assertThat(kind("{\"type\":\"overloaded_error\"}")).isEqualTo(FailureKind.OVERLOADED);
        assertThat(kind("{\"type\":\"authentication_error\"}"))
                .isEqualTo(FailureKind.AUTHENTICATION);
        assertThat(kind("{\"type\":\"permission_error\"}"))
                .isEqualTo(FailureKind.AUTHENTICATION);
        assertThat(kind("{\"type\":\"invalid_request_error\"}"))
                .isEqualTo(FailureKind.BAD_REQUEST);
        assertThat(kind("{\"type\":\"request_too_large\"}")).isEqualTo(FailureKind.BAD_REQUEST);
        assertThat(kind("{\"type\":\"not_found_error\"}")).isEqualTo(FailureKind.NOT_FOUND);
        assertThat(kind("{\"type\":\"timeout_error\"}")).isEqualTo(FailureKind.TIMEOUT);
        assertThat(kind("{\"type\":\"api_error\"}")).isEqualTo(FailureKind.SERVER_ERROR);
        final ProviderFailure text = Failures.inlineError(JSON.readTree("\"boom\""), 200, true,
                null);
        assertThat(text.message()).isEqualTo("boom");
        assertThat(text.outputStarted()).isTrue();
    }

    private static FailureKind kind(final String error) throws IOException {
        final JsonNode node = JSON.readTree(error);
        return Failures.inlineError(node, 200, false, null).kind();
    }

    @Test
    void exceptionsAreClassified() {
        final Settings settings = Fixtures.settings(Fixtures.properties("http://h"));
        assertThat(Failures.ofThrowable(new CompletionException(
                new SocketTimeoutException("Connect Timeout")), settings, false).message())
                .isEqualTo("could not connect within 5000 ms (connect timeout)");
        assertThat(Failures.ofThrowable(new TimeoutException("Idle timeout"), settings, false)
                .kind()).isEqualTo(FailureKind.TIMEOUT);
        assertThat(Failures.ofThrowable(new ProtocolException("bad"), settings, true)
                .kind()).isEqualTo(FailureKind.PROTOCOL);
        assertThat(Failures.ofThrowable(new HttpResponseException("bad response", null),
                settings, false).kind()).isEqualTo(FailureKind.PROTOCOL);
        assertThat(Failures.ofThrowable(new ConnectException(null), settings, false)
                .message()).isEqualTo("cannot connect: ConnectException");
        assertThat(Failures.ofThrowable(new UnknownHostException("nowhere.invalid"), settings,
                false).message()).isEqualTo("cannot connect: nowhere.invalid");
        final ProviderFailure eof = Failures.ofThrowable(new ExecutionException(
                new EofException()), settings, true);
        assertThat(eof.kind()).isEqualTo(FailureKind.CONNECTION);
        assertThat(eof.outputStarted()).isTrue();
        assertThat(Failures.ofThrowable(new ClosedChannelException(), settings, true)
                .message()).isEqualTo("connection failed: ClosedChannelException");
        assertThat(Failures.ofThrowable(new RejectedExecutionException("full"), settings,
                false).kind()).isEqualTo(FailureKind.OVERLOADED);
        assertThat(Failures.ofThrowable(new IllegalStateException("odd"), settings,
                false).message()).isEqualTo("unexpected java.lang.IllegalStateException: odd");
        assertThat(Failures.ofThrowable(new IOException("reset " + Fixtures.KEY), settings,
                false).message()).isEqualTo("connection failed: reset [redacted]");
        assertThat(Failures.firstByteTimeout(Duration.ofMillis(1234)))
                .isEqualTo("no answer within 1234 ms (first-byte timeout)");
    }
}
