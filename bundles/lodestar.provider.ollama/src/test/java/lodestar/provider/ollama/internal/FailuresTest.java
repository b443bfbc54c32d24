package lodestar.provider.ollama.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import lodestar.api.provider.FailureKind;
import lodestar.api.provider.ProviderFailure;
import org.junit.jupiter.api.Test;

class FailuresTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant NOW = Instant.parse("2026-11-26T10:00:00Z");

    private static byte[] bytes(final String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void ollamaErrorBodiesGiveTheMessageAndTheKind() {
        final ProviderFailure failure = Failures.ofStatus(404,
                bytes("{\"error\":\"model 'x' not found, try pulling it first\"}"), null, JSON,
                NOW);

        assertThat(failure.kind()).isEqualTo(FailureKind.NOT_FOUND);
        assertThat(failure.httpStatus()).isEqualTo(404);
        assertThat(failure.message()).isEqualTo("model 'x' not found, try pulling it first");
        assertThat(failure.retryAfter()).isNull();
        assertThat(failure.outputStarted()).isFalse();
    }

    @Test
    void otherBodiesAreUsedAsText() {
        assertThat(Failures.message(500, bytes("{\"error\":{\"message\":\"m\"}}"), JSON))
                .isEqualTo("m");
        assertThat(Failures.message(502, bytes("  Bad\n  gateway "), JSON))
                .isEqualTo("Bad gateway");
        assertThat(Failures.message(500, bytes("{\"detail\":1}"), JSON))
                .isEqualTo("{\"detail\":1}");
        assertThat(Failures.message(503, new byte[0], JSON)).isEqualTo("HTTP 503 from Ollama");
        assertThat(Failures.message(503, null, JSON)).isEqualTo("HTTP 503 from Ollama");
        assertThat(Failures.message(500, bytes("x".repeat(2000)), JSON)).hasSize(503);
        assertThat(Failures.ofStatus(429, bytes("{\"error\":\"quota exceeded\"}"), "3", JSON,
                NOW).kind()).isEqualTo(FailureKind.QUOTA_EXHAUSTED);
    }

    @Test
    void retryAfterIsSecondsOrADate() {
        assertThat(Failures.retryAfter("7", NOW)).isEqualTo(Duration.ofSeconds(7));
        assertThat(Failures.retryAfter("Thu, 26 Nov 2026 10:00:30 GMT", NOW))
                .isEqualTo(Duration.ofSeconds(30));
        assertThat(Failures.retryAfter("Thu, 26 Nov 2026 09:00:00 GMT", NOW))
                .isEqualTo(Duration.ZERO);
        assertThat(Failures.retryAfter("-1", NOW)).isNull();
        assertThat(Failures.retryAfter("soon", NOW)).isNull();
        assertThat(Failures.retryAfter(" ", NOW)).isNull();
        assertThat(Failures.retryAfter(null, NOW)).isNull();
    }

    @Test
    void exceptionsAreClassified() {
        final Duration firstByte = Duration.ofMillis(1500);
        assertThat(Failures.ofException(new CompletionException(
                new HttpConnectTimeoutException("x")), "http://h", firstByte, false))
                .satisfies(f -> {
                    assertThat(f.kind()).isEqualTo(FailureKind.TIMEOUT);
                    assertThat(f.message()).contains("connect timeout").contains("http://h");
                });
        assertThat(Failures.ofException(new ExecutionException(new HttpTimeoutException("x")),
                "http://h", firstByte, false).message()).contains("1500 ms");
        assertThat(Failures.ofException(new ConnectException(), "http://h", firstByte, false))
                .satisfies(f -> {
                    assertThat(f.kind()).isEqualTo(FailureKind.CONNECTION);
                    assertThat(f.message()).contains("is it running?");
                });
        assertThat(Failures.ofException(new CancellationException(), "http://h", firstByte,
                false).kind()).isEqualTo(FailureKind.CANCELLED);
        assertThat(Failures.ofException(new IOException("reset"), "http://h", firstByte, true))
                .satisfies(f -> {
                    assertThat(f.kind()).isEqualTo(FailureKind.CONNECTION);
                    assertThat(f.message()).endsWith("IOException: reset");
                    assertThat(f.outputStarted()).isTrue();
                });
        assertThat(Failures.describe(new IOException())).isEqualTo("IOException");
    }
}
