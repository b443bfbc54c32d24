package lodestar.provider.gemini.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
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
        assertThat(Failures.sanitize("bad key AIzaSyA-abcdefghijklmnopqrstuvwxyz012 here", null))
                .isEqualTo("bad key [redacted] here");
        assertThat(Failures.sanitize("GET /v1beta/models?key=secret123&pageSize=1 failed",
                null)).isEqualTo("GET /v1beta/models?key=[redacted]&pageSize=1 failed");
        assertThat(Failures.sanitize("Authorization: Bearer abc.def", null))
                .isEqualTo("Authorization: Bearer [redacted]");
        assertThat(Failures.sanitize("secret mykey42 leaked", "mykey42"))
                .isEqualTo("secret [redacted] leaked");
        assertThat(Failures.sanitize("a\n\tb", null)).isEqualTo("a b");
        assertThat(Failures.sanitize("task-manager ok", null)).isEqualTo("task-manager ok");
        assertThat(Failures.sanitize("x".repeat(600), null)).hasSize(500).endsWith("...");
        assertThat(Failures.sanitize(null, null)).isEmpty();
    }

    private static ProviderFailure http(final int status, final String body,
            final Map<String, String> headers) {
        return Failures.httpError(JSON, status, body.getBytes(StandardCharsets.UTF_8),
                headers(headers), NOW, Fixtures.KEY);
    }

    private static String google(final int code, final String status, final String message,
            final String details) {
        return "{\"error\":{\"code\":" + code + ",\"message\":\"" + message
                + "\",\"status\":\"" + status + "\"" + (details == null ? ""
                        : ",\"details\":" + details) + "}}";
    }

    @Test
    void googleErrorsAreClassifiedByStatus() {
        assertThat(http(400, google(400, "INVALID_ARGUMENT", "Invalid JSON payload", null),
                Map.of()).kind()).isEqualTo(FailureKind.BAD_REQUEST);
        assertThat(http(400, google(400, "FAILED_PRECONDITION", "User location is not "
                + "supported for the API use.", null), Map.of()).kind())
                .isEqualTo(FailureKind.BAD_REQUEST);
        assertThat(http(403, google(403, "PERMISSION_DENIED", "denied", null), Map.of())
                .kind()).isEqualTo(FailureKind.AUTHENTICATION);
        assertThat(http(404, google(404, "NOT_FOUND", "models/x is not found", null),
                Map.of()).kind()).isEqualTo(FailureKind.NOT_FOUND);
        final ProviderFailure internal = http(500, google(500, "INTERNAL", "An internal error "
                + "has occurred.", null), Map.of());
        assertThat(internal.kind()).isEqualTo(FailureKind.SERVER_ERROR);
        assertThat(internal.message()).isEqualTo("An internal error has occurred.");
        final ProviderFailure unavailable = http(503, google(503, "UNAVAILABLE",
                "The model is overloaded. Please try again later.", null), Map.of());
        assertThat(unavailable.kind()).isEqualTo(FailureKind.OVERLOADED);
        assertThat(unavailable.kind().isRetryable()).isTrue();
        assertThat(http(504, google(504, "DEADLINE_EXCEEDED", "Deadline expired", null),
                Map.of()).kind()).isEqualTo(FailureKind.TIMEOUT);
        assertThat(http(499, google(499, "CANCELLED", "cancelled", null), Map.of()).kind())
                .isEqualTo(FailureKind.CONNECTION);
        assertThat(http(418, google(418, "SOMETHING_NEW", "teapot", null), Map.of()).kind())
                .isEqualTo(FailureKind.BAD_REQUEST);
        // the JSON-array form of streamGenerateContent without alt=sse
        assertThat(http(503, "[" + google(503, "UNAVAILABLE", "busy", null) + "]", Map.of())
                .message()).isEqualTo("busy");
    }

    @Test
    void anInvalidKeyIsAnAuthenticationFailureAndNeverEchoed() {
        final ProviderFailure invalid = http(400, google(400, "INVALID_ARGUMENT", "API key not "
                + "valid. Please pass a valid API key.", "[{\"@type\":\"type.googleapis.com/"
                + "google.rpc.ErrorInfo\",\"reason\":\"API_KEY_INVALID\",\"domain\":"
                + "\"googleapis.com\"}]"), Map.of());
        assertThat(invalid.kind()).isEqualTo(FailureKind.AUTHENTICATION);
        final ProviderFailure echoed = http(400, google(400, "INVALID_ARGUMENT",
                "API key expired: " + Fixtures.KEY, null), Map.of());
        assertThat(echoed.kind()).isEqualTo(FailureKind.AUTHENTICATION);
        assertThat(echoed.message()).isEqualTo("API key expired: [redacted]");
    }

    @Test
    void rateLimitsAndQuotasAreToldApart() {
        final String perMinute = "[{\"@type\":\"type.googleapis.com/google.rpc.QuotaFailure\","
                + "\"violations\":[{\"quotaMetric\":\"generativelanguage.googleapis.com/"
                + "generate_content_free_tier_requests\",\"quotaId\":\"GenerateRequestsPer"
                + "MinutePerProjectPerModel-FreeTier\"}]},{\"@type\":\"type.googleapis.com/"
                + "google.rpc.RetryInfo\",\"retryDelay\":\"57s\"}]";
        final String quotaWords = "You exceeded your current quota, please check your plan and "
                + "billing details.";
        final ProviderFailure minute = http(429, google(429, "RESOURCE_EXHAUSTED", quotaWords,
                perMinute), Map.of());
        assertThat(minute.kind()).isEqualTo(FailureKind.RATE_LIMITED);
        assertThat(minute.retryAfter()).isEqualTo(Duration.ofSeconds(57));
        // Retry-After, where sent, wins over RetryInfo
        assertThat(http(429, google(429, "RESOURCE_EXHAUSTED", quotaWords, perMinute),
                Map.of("Retry-After", "5")).retryAfter()).isEqualTo(Duration.ofSeconds(5));

        final ProviderFailure daily = http(429, google(429, "RESOURCE_EXHAUSTED", quotaWords,
                perMinute.replace("PerMinute", "PerDay")), Map.of());
        assertThat(daily.kind()).isEqualTo(FailureKind.QUOTA_EXHAUSTED);
        assertThat(daily.kind().isRetryable()).isFalse();
        assertThat(http(429, google(429, "RESOURCE_EXHAUSTED", quotaWords, null), Map.of())
                .kind()).isEqualTo(FailureKind.QUOTA_EXHAUSTED);
        assertThat(http(429, google(429, "RESOURCE_EXHAUSTED", "Your prepayment credits are "
                + "depleted.", null), Map.of()).kind()).isEqualTo(FailureKind.QUOTA_EXHAUSTED);
        assertThat(http(429, google(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted "
                + "(e.g. check quota).", null), Map.of()).kind())
                .isEqualTo(FailureKind.RATE_LIMITED);
        assertThat(http(429, google(429, "RESOURCE_EXHAUSTED", "Too many requests", null),
                Map.of("Retry-After", "7")).retryAfter()).isEqualTo(Duration.ofSeconds(7));
        assertThat(http(429, "", Map.of()).kind()).isEqualTo(FailureKind.RATE_LIMITED);
    }

    @Test
    void retryDelaysAreRead() throws Exception {
        assertThat(Failures.retryDelay(JSON.readTree("{\"details\":[{\"@type\":"
                + "\"type.googleapis.com/google.rpc.RetryInfo\",\"retryDelay\":\"1.5s\"}]}")))
                .isEqualTo(Duration.ofMillis(1500));
        assertThat(Failures.retryDelay(JSON.readTree("{\"details\":[{\"@type\":"
                + "\"type.googleapis.com/google.rpc.RetryInfo\",\"retryDelay\":{\"seconds\":"
                + "3,\"nanos\":250000000}}]}"))).isEqualTo(Duration.ofMillis(3250));
        assertThat(Failures.retryDelay(JSON.readTree("{\"details\":[{\"@type\":"
                + "\"type.googleapis.com/google.rpc.RetryInfo\",\"retryDelay\":\"soon\"}]}")))
                .isNull();
        assertThat(Failures.retryDelay(JSON.readTree("{\"details\":[{\"@type\":"
                + "\"type.googleapis.com/google.rpc.RetryInfo\",\"retryDelay\":\"-1s\"}]}")))
                .isNull();
        assertThat(Failures.retryDelay(JSON.readTree("{}"))).isNull();
    }

    @Test
    void httpErrorsUseTheUpstreamMessage() {
        final ProviderFailure plain = http(400, "{\"error\":\"bad model\"}", Map.of());
        assertThat(plain.kind()).isEqualTo(FailureKind.BAD_REQUEST);
        assertThat(plain.message()).isEqualTo("bad model");
        assertThat(http(500, "", Map.of()).message()).isEqualTo("HTTP 500");
        assertThat(http(422, "{}", Map.of()).message()).isEqualTo("HTTP 422: {}");
        assertThat(http(502, "<html>bad gateway</html>", Map.of()).message())
                .isEqualTo("HTTP 502: <html>bad gateway</html>");
    }

    @Test
    void inlineErrorsAreClassifiedByCodeOrStatus() throws Exception {
        assertThat(kind("{\"code\":429,\"message\":\"slow down\"}"))
                .isEqualTo(FailureKind.RATE_LIMITED);
        assertThat(kind("{\"code\":503,\"status\":\"UNAVAILABLE\"}"))
                .isEqualTo(FailureKind.OVERLOADED);
        assertThat(kind("{\"status\":\"INTERNAL\"}")).isEqualTo(FailureKind.SERVER_ERROR);
        assertThat(kind("{\"code\":500,\"status\":\"INTERNAL\"}"))
                .isEqualTo(FailureKind.SERVER_ERROR);
        assertThat(kind("{\"status\":\"INVALID_ARGUMENT\"}"))
                .isEqualTo(FailureKind.BAD_REQUEST);
        assertThat(kind("\"plain text\"")).isEqualTo(FailureKind.SERVER_ERROR);
        final ProviderFailure text = Failures.inlineError(JSON.readTree("\"boom\""), 200, true,
                null);
        assertThat(text.message()).isEqualTo("boom");
        assertThat(text.outputStarted()).isTrue();
        assertThat(text.httpStatus()).isEqualTo(200);
    }

    private static FailureKind kind(final String error) throws IOException {
        final JsonNode node = JSON.readTree(error);
        return Failures.inlineError(node, 200, false, null).kind();
    }
}
