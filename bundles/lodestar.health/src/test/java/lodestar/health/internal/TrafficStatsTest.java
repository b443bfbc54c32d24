package lodestar.health.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import lodestar.api.event.RequestEvent;
import lodestar.api.health.HealthResult;
import lodestar.api.health.Severity;
import org.junit.jupiter.api.Test;

class TrafficStatsTest {

    private static final Instant T0 = Instant.parse("2026-11-26T10:00:00Z");

    static RequestEvent event(final Instant at, final String provider, final String model,
            final int status, final String errorType, final long latencyMs) {
        return new RequestEvent("r", at, "/v1/chat/completions", null, null, model, provider,
                model, "fixed", "why", false, false, new RequestEvent.TokenCounts(100, 20, 10, 0,
                        false), Duration.ofMillis(latencyMs), Duration.ofMillis(latencyMs / 2),
                status, errorType, 1, 0.001, 0.01);
    }

    @Test
    void errorsAreTheProvidersFaultsOnly() {
        assertThat(TrafficStats.isError(event(T0, "p", "m", 500, "upstream_error", 1)))
                .isTrue();
        assertThat(TrafficStats.isError(event(T0, "p", "m", 502, null, 1))).isTrue();
        assertThat(TrafficStats.isError(event(T0, "p", "m", 429, "upstream_rate_limited", 1)))
                .isTrue();
        assertThat(TrafficStats.isError(event(T0, "p", "m", 429, "insufficient_quota", 1)))
                .isTrue();
        assertThat(TrafficStats.isError(event(T0, "p", "m", 200, "stream_interrupted", 1)))
                .isTrue();
        assertThat(TrafficStats.isError(event(T0, "p", "m", 429, "rate_limit_exceeded", 1)))
                .as("the client's own key limit").isFalse();
        assertThat(TrafficStats.isError(event(T0, "p", "m", 400, "invalid_request_error", 1)))
                .isFalse();
        assertThat(TrafficStats.isError(event(T0, "p", "m", 499, "client_closed_request", 1)))
                .isFalse();
        assertThat(TrafficStats.isError(event(T0, "p", "m", 200, null, 1))).isFalse();
    }

    @Test
    void windowsSlideAndRatesAndPercentilesFollow() {
        final TrafficStats stats = new TrafficStats(Duration.ofSeconds(60));
        for (int i = 0; i < 8; i++) {
            stats.record(event(T0.plusSeconds(i), "p1", "small", 200, null, 80));
        }
        stats.record(event(T0.plusSeconds(9), "p1", "small", 502, "upstream_error", 3000));
        stats.record(event(T0.plusSeconds(9), "p1", "large", 500, "upstream_error", 40_000));
        stats.record(event(T0.plusSeconds(9), null, null, 404, "model_not_found", 1));

        final Map<String, TrafficStats.Window> providers = stats.byProvider(T0.plusSeconds(10));
        assertThat(providers).containsOnlyKeys("p1");
        assertThat(providers.get("p1").requests()).isEqualTo(10);
        assertThat(providers.get("p1").errors()).isEqualTo(2);
        assertThat(providers.get("p1").errorRate()).isEqualTo(0.2);
        assertThat(providers.get("p1").p95Seconds()).isEqualTo(60.0);

        final Map<String, TrafficStats.Window> models = stats.byModel(T0.plusSeconds(10));
        assertThat(models).containsOnlyKeys("p1/large", "p1/small");
        assertThat(models.get("p1/small").p95Seconds()).isEqualTo(5.0);
        assertThat(models.get("p1/small").errorRate()).isEqualTo(1.0 / 9);

        // a minute later the window is empty, but the series are still reported
        assertThat(stats.byProvider(T0.plusSeconds(75)).get("p1").requests()).isZero();
        assertThat(stats.all()).hasSize(3);
        assertThat(new TrafficStats.Window(0, 0, new long[TrafficStats.BOUNDS.length + 1])
                .errorRate()).isZero();
    }

    @Test
    void theJudgementFollowsTheThresholds() {
        final HealthConfig config = Configs.health("minRequests", 5, "errorRateWarn", 0.25,
                "errorRateCritical", 0.9, "latencyP95WarnMs", 10_000);
        final long[] fast = new long[TrafficStats.BOUNDS.length + 1];
        fast[1] = 10;
        final long[] slow = new long[TrafficStats.BOUNDS.length + 1];
        slow[8] = 10;
        final Instant now = T0;
        assertThat(judge(new TrafficStats.Window(4, 4, fast), config, now).severity())
                .as("too few").isEqualTo(Severity.OK);
        assertThat(judge(new TrafficStats.Window(10, 1, fast), config, now).severity())
                .isEqualTo(Severity.OK);
        assertThat(judge(new TrafficStats.Window(10, 3, fast), config, now).severity())
                .isEqualTo(Severity.WARNING);
        final HealthResult failing = judge(new TrafficStats.Window(10, 10, fast), config, now);
        assertThat(failing.severity()).isEqualTo(Severity.CRITICAL);
        assertThat(failing.message()).startsWith("provider p failing: 10 request(s), 100% "
                + "errors");
        assertThat(judge(new TrafficStats.Window(10, 0, slow), config, now).message())
                .contains("slow");
    }

    private static HealthResult judge(final TrafficStats.Window window,
            final HealthConfig config, final Instant now) {
        return HealthMonitor.judge("traffic.provider.p", "provider p", window, config, now);
    }
}
