package lodestar.api.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class HealthResultTest {

    @Test
    void worstPicksTheMoreSevere() {
        assertThat(Severity.OK.worst(Severity.WARNING)).isEqualTo(Severity.WARNING);
        assertThat(Severity.CRITICAL.worst(Severity.INFO)).isEqualTo(Severity.CRITICAL);
        assertThat(Severity.INFO.worst(null)).isEqualTo(Severity.INFO);
    }

    @Test
    void resultDefaultsItsOptionalParts() {
        final HealthResult result = new HealthResult("disk", Severity.OK, null, null, null);

        assertThat(result.message()).isEmpty();
        assertThat(result.details()).isEmpty();
        assertThat(result.checkedAt()).isNotNull();
        assertThat(HealthResult.of("x", Severity.INFO, "m").message()).isEqualTo("m");
        assertThatThrownBy(() -> HealthResult.of(null, Severity.OK, "m"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
