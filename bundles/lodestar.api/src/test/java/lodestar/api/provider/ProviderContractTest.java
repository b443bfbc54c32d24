package lodestar.api.provider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProviderContractTest {

    @Test
    void modelInfoComputesCostAndQualifiedName() {
        final ModelInfo model = new ModelInfo("gpt-4o", "openai-prod", 128_000, true, true, false,
                2.5e-6, 10e-6);

        assertThat(model.qualifiedName()).isEqualTo("openai-prod/gpt-4o");
        assertThat(model.cost(1_000_000, 100_000)).isEqualTo(3.5, org.assertj.core.data.Offset
                .offset(1e-9));
    }

    @Test
    void modelInfoRejectsInvalidValues() {
        assertThatThrownBy(() -> new ModelInfo(" ", "p", 0, false, false, true, 0, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ModelInfo("m", null, 0, false, false, true, 0, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ModelInfo("m", "p", -1, false, false, true, 0, 0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void failureKindsSayWhetherARetryHelps() {
        assertThat(FailureKind.RATE_LIMITED.isRetryable()).isTrue();
        assertThat(FailureKind.QUOTA_EXHAUSTED.isRetryable()).isFalse();
        assertThat(FailureKind.BAD_REQUEST.isRetryable()).isFalse();
        assertThat(FailureKind.CONNECTION.isRetryable()).isTrue();
    }

    @Test
    void httpStatusesMapToKinds() {
        assertThat(FailureKind.ofHttpStatus(429, null)).isEqualTo(FailureKind.RATE_LIMITED);
        assertThat(FailureKind.ofHttpStatus(429, "{\"error\":{\"code\":\"insufficient_quota\"}}"))
                .isEqualTo(FailureKind.QUOTA_EXHAUSTED);
        assertThat(FailureKind.ofHttpStatus(429, "Billing hard limit")).isEqualTo(
                FailureKind.QUOTA_EXHAUSTED);
        assertThat(FailureKind.ofHttpStatus(400, "")).isEqualTo(FailureKind.BAD_REQUEST);
        assertThat(FailureKind.ofHttpStatus(422, "")).isEqualTo(FailureKind.BAD_REQUEST);
        assertThat(FailureKind.ofHttpStatus(401, "")).isEqualTo(FailureKind.AUTHENTICATION);
        assertThat(FailureKind.ofHttpStatus(403, "")).isEqualTo(FailureKind.AUTHENTICATION);
        assertThat(FailureKind.ofHttpStatus(404, "")).isEqualTo(FailureKind.NOT_FOUND);
        assertThat(FailureKind.ofHttpStatus(408, "")).isEqualTo(FailureKind.TIMEOUT);
        assertThat(FailureKind.ofHttpStatus(500, "")).isEqualTo(FailureKind.SERVER_ERROR);
        assertThat(FailureKind.ofHttpStatus(502, "")).isEqualTo(FailureKind.SERVER_ERROR);
        assertThat(FailureKind.ofHttpStatus(503, "")).isEqualTo(FailureKind.OVERLOADED);
        assertThat(FailureKind.ofHttpStatus(529, "")).isEqualTo(FailureKind.OVERLOADED);
        assertThat(FailureKind.ofHttpStatus(418, "")).isEqualTo(FailureKind.BAD_REQUEST);
    }

    @Test
    void failureDefaultsItsMessageAndRequiresAKind() {
        final ProviderFailure failure = new ProviderFailure(FailureKind.TIMEOUT, 0, null,
                Duration.ofSeconds(1), true);

        assertThat(failure.message()).isEqualTo("timeout");
        assertThat(ProviderFailure.of(FailureKind.SERVER_ERROR, 500, "boom").outputStarted())
                .isFalse();
        assertThatThrownBy(() -> ProviderFailure.of(null, 0, "x"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void callOptionsCopyHeaders() {
        final CallOptions options = new CallOptions("r1", null, null,
                Map.of("anthropic-beta", "x"));

        assertThat(options.forwardHeaders()).containsEntry("anthropic-beta", "x");
        assertThat(CallOptions.of("r2").forwardHeaders()).isEmpty();
        assertThat(new CallOptions("r3", null, null, null).forwardHeaders()).isEmpty();
    }
}
