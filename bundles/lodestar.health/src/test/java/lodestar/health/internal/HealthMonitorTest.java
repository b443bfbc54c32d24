package lodestar.health.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import lodestar.api.gpu.GpuSnapshot;
import lodestar.api.gpu.GpuStatus;
import lodestar.api.health.Alert;
import lodestar.api.health.AlertSink;
import lodestar.api.health.HealthContributor;
import lodestar.api.health.HealthResult;
import lodestar.api.health.Severity;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HealthMonitorTest {

    @TempDir
    Path data;
    private HealthMonitor monitor;
    private final List<Alert> alerts = new CopyOnWriteArrayList<>();
    private final CountDownLatch release = new CountDownLatch(1);

    private HealthMonitor monitor(final Object... keyValues) {
        // a long interval: the tests drive the rounds themselves
        final Object[] all = new Object[keyValues.length + 4];
        all[0] = "intervalSeconds";
        all[1] = 3600;
        all[2] = "confirmRounds";
        all[3] = 1;
        System.arraycopy(keyValues, 0, all, 4, keyValues.length);
        monitor = new HealthMonitor(Configs.health(all),
                Configs.context(Map.of("lodestar.data.dir", data.toString())), false);
        monitor.addSink(alerts::add);
        return monitor;
    }

    @AfterEach
    void stop() {
        release.countDown();
        if (monitor != null) {
            monitor.deactivate();
        }
    }

    private static HealthContributor contributor(final String name,
            final HealthResult... results) {
        return new HealthContributor() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public List<HealthResult> check() {
                return List.of(results);
            }
        };
    }

    @Test
    void contributorsAreRunAndJudgedAndTheirAlertsDelivered() {
        monitor("checkTimeoutMs", 300);
        final HealthContributor router = contributor("router", HealthResult.of("router",
                Severity.OK, "serving"));
        monitor.addContributor(router);
        monitor.addContributor(contributor("provider.local", new HealthResult(
                "provider.local", Severity.WARNING, "Ollama does not answer",
                Map.of("down", true), null)));
        monitor.addContributor(new HealthContributor() {
            @Override
            public String name() {
                return "hangs";
            }

            @Override
            public List<HealthResult> check() {
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return List.of();
            }
        });
        monitor.addContributor(new HealthContributor() {
            @Override
            public String name() {
                return "throws";
            }

            @Override
            public List<HealthResult> check() {
                throw new IllegalStateException("boom");
            }
        });

        monitor.round();

        final Map<String, HealthResult> latest = monitor.latest();
        assertThat(latest.get("router").severity()).isEqualTo(Severity.OK);
        assertThat(latest.get("hangs").message()).contains("did not answer within 300 ms");
        assertThat(latest.get("throws").message()).contains("failed").contains("boom");
        assertThat(latest).containsKeys("system.disk", "system.heap", "system.memory");
        assertThat(monitor.unavailable("local", "any")).get().asString()
                .contains("Ollama does not answer");
        assertThat(monitor.unavailable("other", "any")).isEmpty();
        assertThat(alerts).extracting(Alert::key).contains("provider.local", "hangs", "throws");
        assertThat(monitor.recentAlerts(2)).hasSize(2);
        assertThat(monitor.alertCounts().get(Severity.WARNING)).isGreaterThanOrEqualTo(3);
        assertThat(monitor.rounds()).isEqualTo(1);
        assertThat(monitor.worst()).isEqualTo(Severity.WARNING);

        // the monitor's own checks are published as a contributor it does not run itself
        final MonitorChecks own = new MonitorChecks(monitor);
        monitor.addContributor(own);
        assertThat(own.name()).isEqualTo("health");
        assertThat(own.check()).extracting(HealthResult::name).contains("system.disk")
                .doesNotContain("router");

        // the hung check is not started twice
        monitor.round();
        assertThat(monitor.latest().get("hangs").message()).contains("still running");

        // the router bundle goes away: critical; it comes back: recovered
        monitor.removeContributor(router);
        monitor.round();
        assertThat(monitor.latest().get("router").severity()).isEqualTo(Severity.CRITICAL);
        assertThat(alerts).anySatisfy(a -> {
            assertThat(a.key()).isEqualTo("router");
            assertThat(a.severity()).isEqualTo(Severity.CRITICAL);
        });
        monitor.addContributor(router);
        monitor.round();
        assertThat(alerts.get(alerts.size() - 1).recovery()).isTrue();
        assertThat(monitor.inForce()).doesNotContainKey("router");
    }

    @Test
    void trafficFromEventsRaisesAndClearsAlerts() {
        monitor("minRequests", 4, "windowSeconds", 10);
        monitor.addContributor(contributor("router", HealthResult.of("router", Severity.OK,
                "serving")));
        final Instant now = Instant.now();
        for (int i = 0; i < 5; i++) {
            monitor.onRequest(TrafficStatsTest.event(now, "paid", "big", 502, "upstream_error",
                    200));
        }
        monitor.round();
        assertThat(monitor.latest().get("traffic.provider.paid").severity())
                .isEqualTo(Severity.CRITICAL);
        assertThat(monitor.latest().get("traffic.model.paid/big").message())
                .contains("failing");
        assertThat(alerts).extracting(Alert::key).contains("traffic.provider.paid");
        // traffic does not mark a provider down: the router's own circuit does that
        assertThat(monitor.unavailable("paid", "big")).isEmpty();
    }

    @Test
    void aSinkThatThrowsIsCountedAndTheOthersStillGetTheAlert() {
        monitor();
        final AlertSink broken = alert -> {
            throw new IllegalStateException("sink down");
        };
        monitor.addSink(broken);
        monitor.round();
        assertThat(monitor.latest().get("router").severity()).isEqualTo(Severity.CRITICAL);
        assertThat(alerts).isNotEmpty();
        assertThat(monitor.sinkFailures()).isPositive();
        monitor.removeSink(broken);
    }

    @Test
    void skippingCanBeSwitchedOffAndTheConfigurationChangesLive() {
        monitor("skipDownProviders", false);
        monitor.addContributor(contributor("provider.x", new HealthResult("provider.x",
                Severity.WARNING, "down", Map.of("down", true), null)));
        monitor.round();
        assertThat(monitor.unavailable("x", "m")).isEmpty();
        monitor.modified(Configs.health("intervalSeconds", 1, "skipDownProviders", true));
        assertThat(monitor.unavailable("x", "m")).isPresent();
        assertThat(HealthMonitor.isDown(null)).isFalse();
    }

    @Test
    void metricsAreRenderedInPrometheusTextFormat() {
        monitor();
        monitor.addContributor(contributor("router", new HealthResult("router.events",
                Severity.OK, "fine", Map.of("dropped", 3L, "published", 10L), null),
                HealthResult.of("router", Severity.OK, "serving")));
        monitor.onRequest(TrafficStatsTest.event(Instant.now(), "p\"1", "m", 200, null, 120));
        monitor.round();
        final GpuSnapshot gpu = new GpuSnapshot("localhost", Instant.now(),
                GpuSnapshot.GpuState.OK, "", List.of(new GpuStatus(0, "NVIDIA T600", "GPU-1",
                        "535", "P8", 41, 3, 1, 512L, 4096L, 4.2, 40.0, 300, 405, null)));

        final String text = Metrics.render(monitor, gpu);

        assertThat(text).contains("# TYPE lodestar_requests_total counter")
                .contains("lodestar_requests_total{provider=\"p\\\"1\",model=\"m\",status=\"200\"}"
                        + " 1")
                .contains("lodestar_request_duration_seconds_bucket{provider=\"p\\\"1\","
                        + "model=\"m\",le=\"0.25\"} 1")
                .contains("lodestar_request_duration_seconds_bucket{provider=\"p\\\"1\","
                        + "model=\"m\",le=\"+Inf\"} 1")
                .contains("lodestar_request_duration_seconds_count{provider=\"p\\\"1\","
                        + "model=\"m\"} 1")
                .contains("lodestar_tokens_total{provider=\"p\\\"1\",model=\"m\","
                        + "direction=\"input\"} 100")
                .contains("lodestar_cost_usd_total{provider=\"p\\\"1\",model=\"m\"} 0.001")
                .contains("lodestar_events_dropped_total 3")
                .contains("lodestar_health_check_severity{check=\"router\"} 0")
                .contains("lodestar_gpu_temperature_celsius{host=\"localhost\",gpu=\"0\","
                        + "name=\"NVIDIA T600\"} 41")
                .contains("lodestar_gpu_memory_total_bytes{host=\"localhost\",gpu=\"0\","
                        + "name=\"NVIDIA T600\"} 4294967296")
                .contains("lodestar_health_up 1")
                .doesNotContain("NaN");
        for (final String line : text.split("\n")) {
            assertThat(line).matches("(# (HELP|TYPE) .*|[a-z_]+(\\{.*\\})? \\S+)");
        }
        assertThat(Metrics.number(Double.POSITIVE_INFINITY)).isEqualTo("+Inf");
        assertThat(Metrics.escape("a\\b\nc")).isEqualTo("a\\\\b\\nc");
        assertThat(Metrics.render(monitor, new GpuSnapshot("gpu-box", Instant.now(),
                GpuSnapshot.GpuState.NO_GPU, "no GPU", List.of())))
                .contains("lodestar_gpu_up{host=\"gpu-box\",state=\"no_gpu\"} 0");
    }
}
