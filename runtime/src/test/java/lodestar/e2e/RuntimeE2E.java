package lodestar.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The Foundation, end to end: the assembled runtime as a separate process, driven over HTTP,
 * through the scripts and the watched folders, as a person would.
 */
class RuntimeE2E {

    @Test
    void startsHotDeploysReloadsConfigAndStopsCleanly() throws Exception {
        try (LodestarProcess lodestar = new LodestarProcess()) {
            lodestar.start();
            System.out.printf("[e2e] cold start to first answer from /health: %d ms%n",
                    lodestar.startTime.toMillis());
            // UP, or DOWN on a machine without Ollama and keys: the shipped routes cannot serve
            assertThat(lodestar.health().path("status").asText()).isIn("UP", "DEGRADED",
                    "DOWN");
            assertThat(lodestar.health().path("checks").toString()).contains("\"router\"")
                    .contains("system.disk");
            final String hostName = lodestar.health().path("instanceName").asText();

            // the shipped config/ works as the embedded default
            assertThat(lodestar.health().path("modules")).hasSize(9);

            // a bundle dropped into deploy/ is installed and started
            lodestar.deploy("e2e-provider.jar", "lodestar.provider.e2e", "1.0.0");
            lodestar.healthUntil(h -> "ACTIVE 1.0.0".equals(
                    LodestarProcess.bundleState(h, "lodestar.provider.e2e")), "deployed bundle");
            final LodestarProcess.ScriptResult lb = lodestar.script("shell.sh", "lb");
            assertThat(lb.exitCode()).as(lb.output()).isZero();
            assertThat(lb.output())
                    .containsPattern("Active\\s*\\|\\s*\\d+\\|lodestar.provider.e2e");

            // replacing the file updates the bundle in place, still active
            lodestar.deploy("e2e-provider.jar", "lodestar.provider.e2e", "1.0.1");
            lodestar.healthUntil(h -> "ACTIVE 1.0.1".equals(
                    LodestarProcess.bundleState(h, "lodestar.provider.e2e")), "updated bundle");

            // editing a config file reconfigures the running component
            lodestar.writeConfig("lodestar.runtime.cfg", "instanceName=e2e-one\n");
            final Duration reload = lodestar.healthUntil(
                    h -> "e2e-one".equals(h.path("instanceName").asText()), "config edit");
            System.out.printf("[e2e] config edit visible in /health after %d ms%n",
                    reload.toMillis());

            // a malformed file is reported with its name; the last good configuration stays
            lodestar.writeConfig("lodestar.runtime.cfg", "instanceName=broken\\u00zz\n");
            final String malformed = "Failed to update artifact "
                    + lodestar.config.resolve("lodestar.runtime.cfg")
                    + ": java.lang.IllegalArgumentException: Unable to parse unicode value";
            LodestarProcess.waitFor(() -> lodestar.log().contains(malformed),
                    Duration.ofSeconds(10), "malformed-file message in the log");
            assertThat(lodestar.health().path("instanceName").asText()).isEqualTo("e2e-one");

            // an invalid value is refused the same way, and secrets never reach the log
            lodestar.writeConfig("lodestar.runtime.cfg",
                    "instanceName=bad\\u0007name\napiKey=sk-e2e-secret-value\n");
            LodestarProcess.waitFor(() -> lodestar.log().contains("Unknown key 'apiKey'"),
                    Duration.ofSeconds(10), "unknown-key warning");
            assertThat(lodestar.log()).contains("Invalid configuration in "
                    + lodestar.config.resolve("lodestar.runtime.cfg"));
            assertThat(lodestar.health().path("instanceName").asText()).isEqualTo("e2e-one");
            assertThat(lodestar.log()).doesNotContain("sk-e2e-secret-value");

            // modules switch off and on live from config/lodestar.modules.cfg
            final String modules = Files.readString(lodestar.config.resolve(
                    "lodestar.modules.cfg"));
            lodestar.writeConfig("lodestar.modules.cfg",
                    modules.replace("providers.enabled=true", "providers.enabled=false"));
            lodestar.healthUntil(h -> "RESOLVED 1.0.1".equals(
                    LodestarProcess.bundleState(h, "lodestar.provider.e2e")), "module off");
            final LodestarProcess.ScriptResult status = lodestar.script("status.sh");
            assertThat(status.exitCode()).as(status.output()).isZero();
            assertThat(status.output()).contains("providers    disabled")
                    .contains("usage        enabled").contains("lodestar.runtime")
                    .contains("Deploy dir  " + lodestar.deploy);
            lodestar.writeConfig("lodestar.modules.cfg", modules);
            lodestar.healthUntil(h -> "ACTIVE 1.0.1".equals(
                    LodestarProcess.bundleState(h, "lodestar.provider.e2e")), "module on");

            // deleting the JAR uninstalls the bundle
            Files.delete(lodestar.deploy.resolve("e2e-provider.jar"));
            lodestar.healthUntil(h -> LodestarProcess.bundleState(h,
                    "lodestar.provider.e2e") == null, "undeployed bundle");
            assertThat(lodestar.script("shell.sh", "lb").output())
                    .doesNotContain("lodestar.provider.e2e");

            // deleting the config file removes the configuration: back to the host name
            Files.delete(lodestar.config.resolve("lodestar.runtime.cfg"));
            lodestar.healthUntil(h -> hostName.equals(h.path("instanceName").asText()),
                    "configuration removed");

            System.out.printf("[e2e] RSS after the run: %d KiB%n", lodestar.rssKib());
            final Duration stop = lodestar.stop();
            System.out.printf("[e2e] SIGTERM to exit: %d ms%n", stop.toMillis());
            assertThat(stop).isLessThan(Duration.ofSeconds(5));
            assertThat(lodestar.log()).contains("Lodestar stopped in");
            assertThat(lodestar.data.resolve("shell.token")).doesNotExist();
        }
    }

    @Test
    void shellRefusesCallersWithoutTheToken() throws Exception {
        try (LodestarProcess lodestar = new LodestarProcess()) {
            lodestar.start();
            Files.writeString(lodestar.data.resolve("shell.token"), "0".repeat(64));
            final LodestarProcess.ScriptResult denied = lodestar.script("shell.sh", "lb");
            assertThat(denied.exitCode()).isEqualTo(1);
            assertThat(denied.output()).contains("HTTP 401");
            lodestar.stop();
        }
    }
}
