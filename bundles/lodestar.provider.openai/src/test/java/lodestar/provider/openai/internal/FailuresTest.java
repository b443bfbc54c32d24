package lodestar.provider.openai.internal;

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

    private static Settings settings() {
        return Settings.parse(Fixtures.config(Fixtures.properties("http://h/v1")),
                Fixtures.properties("http://h/v1"), k -> null);
    }

    @Test
    void retryAfterIsSecondsMillisecondsOrADate() {
        assertThat(Failures.retryAfter(headers(Map.of("retry-after", "12")), NOW))
                .isEqualTo(Duration.ofSeconds(12));
        assertThat(Failures.retryAfter(headers(Map.of("retry-after", "1.5")), NOW))
                .isEqualTo(Duration.ofMillis(1500));
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
        assertThat(Failures.retryAfter(headers(Map.of("Retry-After", "2")), NOW))
                .isEqualTo(Duration.ofSeconds(2));
        assertThat(Failures.retryAfter(headers(Map.of("Retry-After-Ms", "-1",
                "Retry-After", "Infinity")), NOW)).isNull();
    }

    @Test
    void sanitizeRemovesKeysAndLimitsLength() {
        assertThat(Failures.sanitize("bad key sk-proj-abcdefgh1234 here", null))
                .isEqualTo("bad key [redacted] here");
        assertThat(Failures.sanitize("xai-ABCDEFGHIJ and gsk_0123456789", null))
                .isEqualTo("[redacted] and [redacted]");
        assertThat(Failures.sanitize("Authorization: Bearer abc.def", null))
                .isEqualTo("Authorization: Bearer [redacted]");
        assertThat(Failures.sanitize("secret mykey42 leaked", "mykey42"))
                .isEqualTo("secret [redacted] leaked");
        assertThat(Failures.sanitize("a\n\tb", null)).isEqualTo("a b");
        assertThat(Failures.sanitize("task-manager ok", null)).isEqualTo("task-manager ok");
        assertThat(Failures.sanitize("x".repeat(600), null)).hasSize(500).endsWith("...");
        assertThat(Failures.sanitize(null, null)).isEmpty();
    }

    @Test
    void httpErrorsUseTheUpstreamMessage() {
        final ProviderFailure plain = Failures.httpError(JSON, 400,
                "{\"error\":\"bad model\"}".getBytes(StandardCharsets.UTF_8), headers(Map.of()),
                NOW, null);
        assertThat(plain.kind()).isEqualTo(FailureKind.BAD_REQUEST);
        assertThat(plain.message()).isEqualTo("bad model");
        final ProviderFailure top = Failures.httpError(JSON, 403,
                "{\"message\":\"forbidden\"}".getBytes(StandardCharsets.UTF_8),
                headers(Map.of()), NOW, null);
        assertThat(top.kind()).isEqualTo(FailureKind.AUTHENTICATION);
        assertThat(top.message()).isEqualTo("forbidden");
        assertThat(Failures.httpError(JSON, 500, new byte[0], headers(Map.of()), NOW, null)
                .message()).isEqualTo("HTTP 500");
        assertThat(Failures.httpError(JSON, 422, "{}".getBytes(StandardCharsets.UTF_8),
                headers(Map.of()), NOW, null).message()).isEqualTo("HTTP 422: {}");
    }

    @Test
    void inlineErrorsAreClassifiedByCodeOrType() throws Exception {
        assertThat(kind("{\"code\":429,\"message\":\"slow down\"}"))
                .isEqualTo(FailureKind.RATE_LIMITED);
        assertThat(kind("{\"type\":\"insufficient_quota\"}"))
                .isEqualTo(FailureKind.QUOTA_EXHAUSTED);
        assertThat(kind("{\"type\":\"overloaded_error\"}")).isEqualTo(FailureKind.OVERLOADED);
        assertThat(kind("{\"code\":\"invalid_api_key\"}"))
                .isEqualTo(FailureKind.AUTHENTICATION);
        assertThat(kind("{\"code\":\"context_length_exceeded\"}"))
                .isEqualTo(FailureKind.BAD_REQUEST);
        assertThat(kind("{\"type\":\"timeout\"}")).isEqualTo(FailureKind.TIMEOUT);
        assertThat(kind("{\"type\":\"server_error\"}")).isEqualTo(FailureKind.SERVER_ERROR);
        assertThat(kind("\"plain text\"")).isEqualTo(FailureKind.SERVER_ERROR);
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
        final Settings settings = settings();
        assertThat(Failures.ofThrowable(new CompletionException(
                new SocketTimeoutException("Connect Timeout")), settings, false).message())
                .isEqualTo("could not connect within 5000 ms (connect timeout)");
        final ProviderFailure timeout = Failures.ofThrowable(
                new TimeoutException("Idle timeout 1000 ms elapsed"), settings, false);
        assertThat(timeout.kind()).isEqualTo(FailureKind.TIMEOUT);
        assertThat(timeout.message())
                .isEqualTo("connection timed out: Idle timeout 1000 ms elapsed");
        assertThat(Failures.firstByteTimeout(Duration.ofMillis(1234)))
                .isEqualTo("no answer within 1234 ms (first-byte timeout)");
        assertThat(Failures.ofThrowable(new ProtocolException("bad"), settings, true)
                .kind()).isEqualTo(FailureKind.PROTOCOL);
        final ProviderFailure badResponse = Failures.ofThrowable(new HttpResponseException(
                "HTTP protocol violation: bad response", null), settings, false);
        assertThat(badResponse.kind()).isEqualTo(FailureKind.PROTOCOL);
        assertThat(badResponse.message()).isEqualTo("HTTP protocol violation: bad response");
        assertThat(Failures.ofThrowable(new ConnectException(null), settings, false)
                .message()).isEqualTo("cannot connect: ConnectException");
        assertThat(Failures.ofThrowable(new UnknownHostException("nowhere.invalid"), settings,
                false).message()).isEqualTo("cannot connect: nowhere.invalid");
        final ProviderFailure eof = Failures.ofThrowable(new ExecutionException(
                new EofException()), settings, true);
        assertThat(eof.kind()).isEqualTo(FailureKind.CONNECTION);
        assertThat(eof.message()).isEqualTo("connection closed by the upstream: EofException");
        assertThat(eof.outputStarted()).isTrue();
        final ProviderFailure io = Failures.ofThrowable(new ClosedChannelException(), settings,
                true);
        assertThat(io.kind()).isEqualTo(FailureKind.CONNECTION);
        assertThat(io.message()).isEqualTo("connection failed: ClosedChannelException");
        final ProviderFailure queued = Failures.ofThrowable(new RejectedExecutionException(
                "Max requests queued per destination 1024 exceeded"), settings, false);
        assertThat(queued.kind()).isEqualTo(FailureKind.OVERLOADED);
        assertThat(Failures.ofThrowable(new IllegalStateException("odd"), settings,
                false).message()).isEqualTo("unexpected java.lang.IllegalStateException: odd");
        assertThat(Failures.ofThrowable(new IOException("reset " + Fixtures.KEY), settings,
                false).message()).isEqualTo("connection failed: reset [redacted]");
    }
}
