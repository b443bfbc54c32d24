package lodestar.gpu.it;

import static lodestar.test.support.Framework.gogo;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.function.Predicate;
import lodestar.api.gpu.GpuProbe;
import lodestar.api.gpu.GpuSnapshot;
import lodestar.api.gpu.GpuSnapshot.GpuState;
import lodestar.api.health.HealthContributor;
import lodestar.api.health.HealthResult;
import lodestar.api.health.Severity;
import org.apache.felix.service.command.CommandProcessor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.junit5.context.BundleContextExtension;
import org.osgi.test.junit5.service.ServiceExtension;

/** The probe in a framework, configured through ConfigAdmin with scripts for nvidia-smi. */
@ExtendWith({BundleContextExtension.class, ServiceExtension.class})
class GpuProbeIT {

    private static final String PID = "lodestar.gpu";
    private static final String T600 = "0, NVIDIA T600, GPU-5a2b1c3d-9e8f-4a6b-b1c2-d3e4f5a6b7c8,"
            + " 535.183.01, P8, 41, 0, 0, 5, 4096, 4.21, 40.00, 300, 405, 30\n";

    @InjectBundleContext
    BundleContext context;

    @InjectService
    ConfigurationAdmin configAdmin;

    @InjectService(filter = "(component.name=lodestar.gpu)")
    GpuProbe probe;

    @InjectService(filter = "(component.name=lodestar.gpu)")
    HealthContributor health;

    @InjectService
    CommandProcessor shell;

    private Path dir;

    @BeforeEach
    void createFolder() throws Exception {
        dir = Files.createTempDirectory("lodestar-gpu-it");
    }

    @AfterEach
    void deleteConfigurationAndScripts() throws Exception {
        final Configuration[] existing = configAdmin.listConfigurations("(service.pid=" + PID
                + ")");
        if (existing != null) {
            for (final Configuration configuration : existing) {
                configuration.delete();
            }
        }
        try (var files = Files.list(dir)) {
            for (final Path file : files.toList()) {
                Files.delete(file);
            }
        }
        Files.delete(dir);
    }

    private Path script(final String name, final String stdout, final int exit)
            throws Exception {
        final Path file = dir.resolve(name);
        Files.writeString(file, "#!/bin/sh\ncat <<'EOF'\n" + stdout + "EOF\nexit " + exit + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwx------"));
        return file;
    }

    private static Dictionary<String, Object> command(final Path script) {
        final Hashtable<String, Object> properties = new Hashtable<>();
        properties.put("command", script.toString());
        properties.put("intervalSeconds", "3600");
        properties.put("timeoutSeconds", "5");
        return properties;
    }

    private GpuSnapshot await(final Predicate<GpuSnapshot> condition) throws Exception {
        final long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        GpuSnapshot snapshot = probe.latest();
        while (!condition.test(snapshot)) {
            assertThat(System.nanoTime()).as("last snapshot %s", snapshot).isLessThan(deadline);
            Thread.sleep(50);
            snapshot = probe.latest();
        }
        return snapshot;
    }

    @Test
    void runsWithoutConfigurationAndRegistersTheShellCommand() throws Exception {
        final ServiceReference<GpuProbe> reference = context.getServiceReference(GpuProbe.class);

        assertThat(reference.getProperty("osgi.command.scope")).isEqualTo("lodestar");
        assertThat(reference.getProperty("osgi.command.function")).isEqualTo("gpu");
        assertThat(health.name()).isEqualTo("gpu");
        // the machine's own nvidia-smi: no GPU on a build machine, the GPUs on a GPU machine
        final GpuSnapshot snapshot = await(s -> s.state() != GpuState.UNKNOWN);
        assertThat(snapshot.host()).isEqualTo("localhost");
    }

    @Test
    void followsConfigAdminLive() throws Exception {
        final Path good = script("nvidia-smi-ok", T600, 0);
        final Path noDevice = script("nvidia-smi-6", "No devices were found\n", 6);
        final Path lost = script("nvidia-smi-15", "GPU is lost\n", 15);
        final Configuration configuration = configAdmin.getConfiguration(PID, "?");

        configuration.update(command(good));
        final GpuSnapshot ok = await(s -> s.state() == GpuState.OK);
        assertThat(ok.gpus()).singleElement()
                .satisfies(gpu -> assertThat(gpu.name()).isEqualTo("NVIDIA T600"));
        final List<HealthResult> results = health.check();
        assertThat(results).singleElement().satisfies(result -> {
            assertThat(result.name()).isEqualTo("gpu.0");
            assertThat(result.severity()).isEqualTo(Severity.OK);
            assertThat(result.details()).containsEntry("memoryTotalMiB", 4096L);
        });

        configuration.update(command(lost));
        final GpuSnapshot failed = await(s -> s.state() == GpuState.ERROR);
        assertThat(failed.message()).startsWith("a GPU has fallen off the bus (exit 15)");
        assertThat(health.check()).singleElement()
                .satisfies(result -> assertThat(result.severity()).isEqualTo(Severity.WARNING));

        configuration.update(command(noDevice));
        await(s -> s.state() == GpuState.NO_GPU);
        assertThat(health.check()).singleElement()
                .satisfies(result -> assertThat(result.severity()).isEqualTo(Severity.INFO));

        configuration.delete();
        // back on the defaults: this machine's nvidia-smi
        await(s -> s.state() != GpuState.NO_GPU || !s.message().contains("exit 6"));
    }

    @Test
    void theGogoCommandPrintsTheTableAndRefreshes() throws Exception {
        final Path counter = dir.resolve("runs");
        final Path counting = dir.resolve("nvidia-smi-counting");
        Files.writeString(counting, "#!/bin/sh\necho run >> " + counter + "\ncat <<'EOF'\n"
                + T600 + "EOF\n");
        Files.setPosixFilePermissions(counting, PosixFilePermissions.fromString("rwx------"));
        configAdmin.getConfiguration(PID, "?").update(command(counting));
        await(s -> s.state() == GpuState.OK);
        final int runs = Files.readAllLines(counter).size();

        final String table = gogo(shell, "lodestar:gpu");
        assertThat(table).contains("Host     localhost").contains("State    OK")
                .contains("NVIDIA T600").contains("5 / 4096 MiB (0%)").contains("P8");
        assertThat(Files.readAllLines(counter)).hasSize(runs);

        assertThat(gogo(shell, "lodestar:gpu refresh")).contains("NVIDIA T600");
        assertThat(Files.readAllLines(counter)).hasSize(runs + 1);
        assertThat(gogo(shell, "gpu nonsense")).contains("usage: lodestar:gpu [refresh]");
    }
}
