package lodestar.provider.anthropic.internal;

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

    private static ProviderFailure http(final int status, final String body) {
        return Failures.httpError(JSON, status, body.getBytes(StandardCharsets.UTF_8),
                headers(Map.of()), NOW, null);
    }

    private static String error(final String type, final String message) {
        return "{\"type\":\"error\",\"error\":{\"type\":\"" + type + "\",\"message\":\""
                + message + "\"},\"request_id\":\"req_011CSHoEeqs5C35K2UUqR7Fy\"}";
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
}
