package lodestar.provider.openai.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.function.Function;
import lodestar.api.provider.FailureKind;
import lodestar.api.provider.ProviderFailure;
import org.eclipse.jetty.http.HttpFields;
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
}
