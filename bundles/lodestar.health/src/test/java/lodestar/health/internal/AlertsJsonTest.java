package lodestar.health.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import lodestar.api.health.Alert;
import lodestar.api.health.Severity;
import org.junit.jupiter.api.Test;

/** The JSON of {@code /health/alerts}. */
class AlertsJsonTest {

    @Test
    void alertsKeepTheirOrderFieldsAndDetailsAndEveryLevelIsCounted() {
        final Instant at = Instant.parse("2026-11-26T10:15:30Z");
        final JsonNode body = AlertsJson.render(List.of(
                new Alert("provider.box", Severity.OK, "box answers again", true, Map.of(), at),
                new Alert("provider.box", Severity.CRITICAL, "<b>box</b> is down", false,
                        Map.of("down", true, "failures", 3), at.minusSeconds(60))),
                Map.of(Severity.CRITICAL, 4L, Severity.INFO, 1L));
        final JsonNode first = body.path("alerts").get(0);
        assertThat(first.path("raisedAt").asText()).isEqualTo("2026-11-26T10:15:30Z");
        assertThat(first.path("severity").asText()).isEqualTo("OK");
        assertThat(first.path("recovery").asBoolean()).isTrue();
        final JsonNode second = body.path("alerts").get(1);
        assertThat(second.path("key").asText()).isEqualTo("provider.box");
        assertThat(second.path("message").asText()).isEqualTo("<b>box</b> is down");
        assertThat(second.path("details").path("failures").asInt()).isEqualTo(3);
        assertThat(second.path("details").path("down").asBoolean()).isTrue();
        assertThat(body.path("counts").toString())
                .isEqualTo("{\"INFO\":1,\"WARNING\":0,\"CRITICAL\":4}");
    }

    @Test
    void noAlertsIsAnEmptyListWithZeroCounts() {
        final JsonNode body = AlertsJson.render(List.of(), Map.of());
        assertThat(body.path("alerts").isArray()).isTrue();
        assertThat(body.path("alerts").size()).isZero();
        assertThat(body.path("counts").path("WARNING").asLong()).isZero();
    }
}
