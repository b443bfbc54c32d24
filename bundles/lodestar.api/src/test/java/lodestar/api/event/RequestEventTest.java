package lodestar.api.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class RequestEventTest {

    private static RequestEvent event(final int status, final RequestEvent.TokenCounts tokens) {
        return new RequestEvent("r1", Instant.EPOCH, "/v1/chat/completions", "s", null, "auto",
                "ollama", "deepseek-coder:1.3b", "fixed", "only model", false, false, tokens,
                Duration.ofMillis(5), null, status, null, 1, 0.0, 0.01);
    }

    @Test
    void successMeansTwoHundreds() {
        assertThat(event(200, null).isSuccess()).isTrue();
        assertThat(event(299, null).isSuccess()).isTrue();
        assertThat(event(429, null).isSuccess()).isFalse();
        assertThat(event(199, null).isSuccess()).isFalse();
    }

    @Test
    void missingTokensBecomeNone() {
        assertThat(event(200, null).tokens()).isEqualTo(RequestEvent.TokenCounts.NONE);
        final RequestEvent.TokenCounts counts = new RequestEvent.TokenCounts(3, 4, 1, 0, true);
        assertThat(event(200, counts).tokens().estimated()).isTrue();
    }

    @Test
    void requiredFieldsAreChecked() {
        assertThatThrownBy(() -> new RequestEvent(null, Instant.EPOCH, "e", null, null, "m", null,
                null, null, null, false, false, null, Duration.ZERO, null, 500, "x", 0, null,
                null)).isInstanceOf(IllegalArgumentException.class);
    }
}
