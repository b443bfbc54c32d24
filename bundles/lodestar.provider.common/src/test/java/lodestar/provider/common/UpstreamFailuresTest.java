package lodestar.provider.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ConnectException;
import java.net.ProtocolException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.channels.ClosedChannelException;
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

/** Exceptions of the HTTP exchange and {@code Retry-After}, as every provider maps them. */
class UpstreamFailuresTest {

    private static final Instant NOW = Instant.parse("2026-11-26T10:00:00Z");
    private static final String KEY = "sk-test-0123456789abcdef";
    private static final ProviderSettings SETTINGS = TestSettings.of("http://h/v1", KEY);
    private static final Redactor REDACTOR = new Redactor().and(Redactor.KEY_LIKE, "[redacted]");

    /** Response headers as Jetty holds them (names case-insensitive). */
    private static Function<String, String> headers(final Map<String, String> values) {
        final HttpFields.Mutable fields = HttpFields.build();
        values.forEach(fields::add);
        return fields.asImmutable()::get;
    }

    private static ProviderFailure map(final Throwable error, final boolean outputStarted) {
        return UpstreamFailures.ofThrowable(error, SETTINGS, outputStarted, REDACTOR);
    }

    @Test
    void retryAfterIsSecondsMillisecondsOrADate() {
        assertThat(UpstreamFailures.retryAfter(headers(Map.of("retry-after", "12")), NOW))
                .isEqualTo(Duration.ofSeconds(12));
        assertThat(UpstreamFailures.retryAfter(headers(Map.of("retry-after", "1.5")), NOW))
                .isEqualTo(Duration.ofMillis(1500));
        assertThat(UpstreamFailures.retryAfter(headers(Map.of("retry-after-ms", "250",
                "retry-after", "1")), NOW)).isEqualTo(Duration.ofMillis(250));
        assertThat(UpstreamFailures.retryAfter(headers(Map.of("retry-after-ms", "soon",
                "retry-after", "3")), NOW)).isEqualTo(Duration.ofSeconds(3));
        assertThat(UpstreamFailures.retryAfter(headers(Map.of("retry-after",
                "Thu, 26 Nov 2026 10:00:30 GMT")), NOW)).isEqualTo(Duration.ofSeconds(30));
        assertThat(UpstreamFailures.retryAfter(headers(Map.of("retry-after",
                "Thu, 26 Nov 2026 09:00:00 GMT")), NOW)).isEqualTo(Duration.ZERO);
        assertThat(UpstreamFailures.retryAfter(headers(Map.of("retry-after", "later")), NOW))
                .isNull();
        assertThat(UpstreamFailures.retryAfter(headers(Map.of("retry-after", "-4")), NOW)).isNull();
        assertThat(UpstreamFailures.retryAfter(headers(Map.of()), NOW)).isNull();
        assertThat(UpstreamFailures.retryAfter(headers(Map.of("Retry-After", "2")), NOW))
                .isEqualTo(Duration.ofSeconds(2));
        assertThat(UpstreamFailures.retryAfter(headers(Map.of("Retry-After-Ms", "-1",
                "Retry-After", "Infinity")), NOW)).isNull();
    }

    @Test
    void exceptionsAreClassified() {
        assertThat(map(new CompletionException(
                new SocketTimeoutException("Connect Timeout")), false).message())
                .isEqualTo("could not connect within 5000 ms (connect timeout)");
        final ProviderFailure timeout = map(
                new TimeoutException("Idle timeout 1000 ms elapsed"), false);
        assertThat(timeout.kind()).isEqualTo(FailureKind.TIMEOUT);
        assertThat(timeout.message())
                .isEqualTo("connection timed out: Idle timeout 1000 ms elapsed");
        assertThat(UpstreamFailures.firstByteTimeout(Duration.ofMillis(1234)))
                .isEqualTo("no answer within 1234 ms (first-byte timeout)");
        assertThat(map(new ProtocolException("bad"), true)
                .kind()).isEqualTo(FailureKind.PROTOCOL);
        final ProviderFailure badResponse = map(new HttpResponseException(
                "HTTP protocol violation: bad response", null), false);
        assertThat(badResponse.kind()).isEqualTo(FailureKind.PROTOCOL);
        assertThat(badResponse.message()).isEqualTo("HTTP protocol violation: bad response");
        assertThat(map(new ConnectException(null), false)
                .message()).isEqualTo("cannot connect: ConnectException");
        assertThat(map(new UnknownHostException("nowhere.invalid"),
                false).message()).isEqualTo("cannot connect: nowhere.invalid");
        final ProviderFailure eof = map(new ExecutionException(
                new EofException()), true);
        assertThat(eof.kind()).isEqualTo(FailureKind.CONNECTION);
        assertThat(eof.message()).isEqualTo("connection closed by the upstream: EofException");
        assertThat(eof.outputStarted()).isTrue();
        final ProviderFailure io = map(new ClosedChannelException(),
                true);
        assertThat(io.kind()).isEqualTo(FailureKind.CONNECTION);
        assertThat(io.message()).isEqualTo("connection failed: ClosedChannelException");
        final ProviderFailure queued = map(new RejectedExecutionException(
                "Max requests queued per destination 1024 exceeded"), false);
        assertThat(queued.kind()).isEqualTo(FailureKind.OVERLOADED);
        assertThat(map(new IllegalStateException("odd"),
                false).message()).isEqualTo("unexpected java.lang.IllegalStateException: odd");
        assertThat(map(new IOException("reset " + KEY),
                false).message()).isEqualTo("connection failed: reset [redacted]");
    }
}
