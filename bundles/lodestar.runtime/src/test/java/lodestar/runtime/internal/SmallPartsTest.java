package lodestar.runtime.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import lodestar.api.health.HealthResult;
import lodestar.api.health.Severity;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;

class SmallPartsTest {

    @Test
    void loopbackIsRecognisedWithoutNameLookups() {
        assertThat(ShellServlet.isLoopback("127.0.0.1")).isTrue();
        assertThat(ShellServlet.isLoopback("127.1.2.3")).isTrue();
        assertThat(ShellServlet.isLoopback("::1")).isTrue();
        assertThat(ShellServlet.isLoopback("[::1]")).isTrue();
        assertThat(ShellServlet.isLoopback("0:0:0:0:0:0:0:1")).isTrue();
        assertThat(ShellServlet.isLoopback("10.0.0.5")).isFalse();
        assertThat(ShellServlet.isLoopback("localhost")).isFalse();
        assertThat(ShellServlet.isLoopback("")).isFalse();
        assertThat(ShellServlet.isLoopback(null)).isFalse();
    }

    @Test
    void statesHaveNames() {
        assertThat(BundleView.stateName(Bundle.ACTIVE)).isEqualTo("ACTIVE");
        assertThat(BundleView.stateName(Bundle.RESOLVED)).isEqualTo("RESOLVED");
        assertThat(BundleView.stateName(Bundle.INSTALLED)).isEqualTo("INSTALLED");
        assertThat(BundleView.stateName(Bundle.STARTING)).isEqualTo("STARTING");
        assertThat(BundleView.stateName(Bundle.STOPPING)).isEqualTo("STOPPING");
        assertThat(BundleView.stateName(Bundle.UNINSTALLED)).isEqualTo("UNINSTALLED");
        assertThat(BundleView.stateName(999)).isEqualTo("UNKNOWN(999)");
        assertThat(RuntimeReporter.componentState(ComponentConfigurationDTO.ACTIVE))
                .isEqualTo("ACTIVE");
        assertThat(RuntimeReporter.componentState(ComponentConfigurationDTO.SATISFIED))
                .isEqualTo("SATISFIED");
        assertThat(RuntimeReporter.componentState(
                ComponentConfigurationDTO.UNSATISFIED_REFERENCE))
                .isEqualTo("UNSATISFIED REFERENCE");
        assertThat(RuntimeReporter.componentState(
                ComponentConfigurationDTO.UNSATISFIED_CONFIGURATION))
                .isEqualTo("UNSATISFIED CONFIGURATION");
        assertThat(RuntimeReporter.componentState(ComponentConfigurationDTO.FAILED_ACTIVATION))
                .isEqualTo("FAILED ACTIVATION");
        assertThat(RuntimeReporter.componentState(0)).isEqualTo("UNKNOWN(0)");
    }

    @Test
    void uptimeIsPrintedForPeople() {
        assertThat(StatusCommand.human(5)).isEqualTo("5 s");
        assertThat(StatusCommand.human(125)).isEqualTo("2 min 5 s");
        assertThat(StatusCommand.human(7_260)).isEqualTo("2 h 1 min");
        assertThat(StatusCommand.human(90_000)).isEqualTo("1 d 1 h 0 min");
    }

    @Test
    void statusTextListsEverySection() {
        final RuntimeReporter.Report report = new RuntimeReporter.Report("DEGRADED", "alpha",
                Instant.EPOCH, Duration.ofSeconds(3), List.of("http://127.0.0.1:4000/"),
                new LodestarEnvironment(Paths.get("/c"), Paths.get("/d"), Paths.get("/data"),
                        "127.0.0.1", 4000),
                List.of(new BundleView(7, "lodestar.provider.fake", "1.0.0", "RESOLVED",
                        "providers")),
                List.of(new ModuleManager.ModuleView("providers", false, "disabled",
                        List.of(new BundleView(7, "lodestar.provider.fake", "1.0.0",
                                "RESOLVED", "providers"))),
                        new ModuleManager.ModuleView("usage", true, "missing", List.of()),
                        new ModuleManager.ModuleView("health", false, "missing", List.of())),
                List.of(new RuntimeReporter.ComponentView("lodestar.x.Router", "lodestar.x",
                        "UNSATISFIED REFERENCE", List.of("strategy (lodestar.api.Strategy)"))),
                List.of(HealthResult.of("disk", Severity.WARNING, "92% full")));

        final String text = StatusCommand.format(report);

        assertThat(text).contains("Lodestar 'alpha': DEGRADED, up 3 s")
                .contains("http://127.0.0.1:4000/").contains("Config dir  /c")
                .contains("Deploy dir  /d").contains("lodestar.provider.fake")
                .contains("providers    disabled  1 bundle(s)")
                .contains("usage        missing   enabled, no bundle installed")
                .contains("health       missing   disabled")
                .contains("missing reference: strategy (lodestar.api.Strategy)")
                .contains("WARNING  disk");
        final RuntimeReporter.Report noScr = new RuntimeReporter.Report("UP", "a", Instant.EPOCH,
                Duration.ZERO, List.of(), report.environment(), List.of(), List.of(),
                List.of(), List.of());
        assertThat(StatusCommand.format(noScr)).contains("Service Component Runtime not");
        assertThat(report.toJson()).containsEntry("status", "DEGRADED")
                .containsEntry("instanceName", "alpha").containsEntry("uptimeSeconds", 3L)
                .containsKeys("bundles", "modules", "checks", "startedAt");
    }
}
