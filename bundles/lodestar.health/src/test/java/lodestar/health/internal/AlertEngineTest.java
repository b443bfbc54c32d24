package lodestar.health.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import lodestar.api.health.Alert;
import lodestar.api.health.HealthResult;
import lodestar.api.health.Severity;
import org.junit.jupiter.api.Test;

class AlertEngineTest {

    private final AlertEngine engine = new AlertEngine();
    private final Instant t0 = Instant.parse("2026-11-26T10:00:00Z");

    private static HealthResult result(final String name, final Severity severity) {
        return HealthResult.of(name, severity, name + " is " + severity);
    }

    private List<Alert> round(final int seconds, final HealthResult... results) {
        return engine.update(List.of(results), t0.plusSeconds(seconds), Duration.ofMinutes(60),
                2);
    }

    @Test
    void aBadCheckIsAnnouncedOnceConfirmedThenOnlyOnChangeAndRecovery() {
        assertThat(round(0, result("a", Severity.WARNING))).as("first bad round").isEmpty();
        final List<Alert> raised = round(10, result("a", Severity.WARNING));
        assertThat(raised).singleElement().satisfies(alert -> {
            assertThat(alert.key()).isEqualTo("a");
            assertThat(alert.severity()).isEqualTo(Severity.WARNING);
            assertThat(alert.recovery()).isFalse();
            assertThat(alert.message()).isEqualTo("a is WARNING");
        });
        assertThat(round(20, result("a", Severity.WARNING))).as("unchanged").isEmpty();
        assertThat(engine.inForce()).containsEntry("a", Severity.WARNING);

        assertThat(round(30, result("a", Severity.CRITICAL))).singleElement()
                .extracting(Alert::severity).isEqualTo(Severity.CRITICAL);

        final List<Alert> recovered = round(40, result("a", Severity.OK));
        assertThat(recovered).singleElement().satisfies(alert -> {
            assertThat(alert.recovery()).isTrue();
            assertThat(alert.severity()).isEqualTo(Severity.INFO);
            assertThat(alert.message()).startsWith("recovered: ");
        });
        assertThat(round(50, result("a", Severity.OK))).isEmpty();
        assertThat(engine.inForce()).isEmpty();
    }

    @Test
    void aOneRoundBlipIsAbsorbed() {
        assertThat(round(0, result("a", Severity.CRITICAL))).isEmpty();
        assertThat(round(10, result("a", Severity.OK))).isEmpty();
        assertThat(round(20, result("a", Severity.CRITICAL))).as("counting starts again")
                .isEmpty();
        assertThat(round(30, result("a", Severity.CRITICAL))).hasSize(1);
    }

    @Test
    void anUnchangedAlertIsRepeatedAfterTheRepeatPeriodOnly() {
        engine.update(List.of(result("a", Severity.WARNING)), t0, Duration.ofMinutes(5), 1);
        assertThat(engine.update(List.of(result("a", Severity.WARNING)), t0.plusSeconds(299),
                Duration.ofMinutes(5), 1)).isEmpty();
        assertThat(engine.update(List.of(result("a", Severity.WARNING)), t0.plusSeconds(300),
                Duration.ofMinutes(5), 1)).singleElement().extracting(Alert::message)
                .isEqualTo("still: a is WARNING");
        assertThat(engine.update(List.of(result("a", Severity.WARNING)), t0.plusSeconds(9000),
                Duration.ZERO, 1)).as("repeat 0 = never").isEmpty();
    }

    @Test
    void aCheckThatDisappearsIsAnnouncedAsRecovered() {
        engine.update(List.of(result("gone", Severity.WARNING), result("b", Severity.INFO)),
                t0, Duration.ZERO, 1);
        final List<Alert> alerts = engine.update(List.of(result("b", Severity.INFO)),
                t0.plusSeconds(10), Duration.ZERO, 1);
        assertThat(alerts).singleElement().satisfies(alert -> {
            assertThat(alert.key()).isEqualTo("gone");
            assertThat(alert.recovery()).isTrue();
            assertThat(alert.message()).contains("no longer reported");
        });
    }

    @Test
    void infoAndOkResultsRaiseNothing() {
        assertThat(engine.update(List.of(result("a", Severity.INFO), result("b", Severity.OK)),
                t0, Duration.ZERO, 1)).isEmpty();
    }
}
