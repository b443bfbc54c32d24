package lodestar.gpu.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import lodestar.api.gpu.GpuSnapshot;
import lodestar.api.gpu.GpuSnapshot.GpuState;
import lodestar.api.health.HealthResult;
import lodestar.api.health.Severity;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The component built with {@code new}, reading real scripts. */
class GpuProbeComponentTest {

    @TempDir
    Path dir;

    private GpuProbeComponent probe;

    @AfterEach
    void stop() {
        if (probe != null) {
            probe.deactivate();
        }
    }

    private GpuSnapshot await(final Predicate<GpuSnapshot> condition) throws Exception {
        final long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        GpuSnapshot snapshot = probe.latest();
        while (!condition.test(snapshot)) {
            assertThat(System.nanoTime()).as("last snapshot %s", snapshot).isLessThan(deadline);
            Thread.sleep(20);
            snapshot = probe.latest();
        }
        return snapshot;
    }

    private GpuProbeComponent start(final Object... keyValues) {
        return new GpuProbeComponent(Samples.config(keyValues), Samples.map(keyValues));
    }

    private void modify(final Object... keyValues) {
        probe.modified(Samples.config(keyValues), Samples.map(keyValues));
    }

    private static Predicate<GpuSnapshot> state(final GpuState state) {
        return snapshot -> snapshot.state() == state;
    }

    @Test
    void activationDoesNotWaitForTheFirstReading() throws Exception {
        final Path slow = Samples.shell(dir, "slow", "sleep 1\ncat <<'EOF'\n" + Samples.T600
                + "EOF\n");
        final long start = System.nanoTime();

        probe = start("command", slow.toString());

        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(900));
        assertThat(probe.latest().state()).isEqualTo(GpuState.UNKNOWN);
        assertThat(probe.latest().host()).isEqualTo("localhost");
        assertThat(probe.check()).singleElement().satisfies(result -> {
            assertThat(result.severity()).isEqualTo(Severity.INFO);
            assertThat(result.message()).isEqualTo("GPUs not read yet");
        });
        final GpuSnapshot snapshot = await(state(GpuState.OK));
        assertThat(snapshot.gpus()).singleElement()
                .satisfies(gpu -> assertThat(gpu.name()).isEqualTo("NVIDIA T600"));
    }

    @Test
    void servesHealthAndTheGogoTableFromTheLatestReading() throws Exception {
        final Path counter = dir.resolve("runs");
        final Path script = Samples.shell(dir, "t600", "echo run >> " + counter
                + "\ncat <<'EOF'\n" + Samples.T600.replace(" 5, 4096", " 3974, 4096")
                + "EOF\n");
        probe = start("command", script.toString());
        await(state(GpuState.OK));
        final long runs = Files.readAllLines(counter).size();

        assertThat(probe.name()).isEqualTo("gpu");
        final List<HealthResult> results = probe.check();
        assertThat(results).singleElement().satisfies(result -> {
            assertThat(result.name()).isEqualTo("gpu.0");
            assertThat(result.severity()).isEqualTo(Severity.WARNING);
            assertThat(result.message()).isEqualTo("GPU 0 NVIDIA T600 memory 97% used: local "
                    + "models may spill to the CPU");
        });
        assertThat(probe.gpu()).startsWith("Host     localhost").contains("State    OK")
                .contains("NVIDIA T600").contains("3974 / 4096 MiB (97%)");
        assertThat(Files.readAllLines(counter)).hasSize((int) runs);

        assertThat(probe.gpu("refresh")).contains("NVIDIA T600");
        assertThat(Files.readAllLines(counter)).hasSize((int) runs + 1);
        assertThat(probe.gpu("help")).isEqualTo("usage: lodestar:gpu [refresh]"
                + System.lineSeparator());
    }

    @Test
    void readsAgainEveryInterval() throws Exception {
        final Path counter = dir.resolve("runs");
        final Path script = Samples.shell(dir, "count", "echo run >> " + counter + "\n"
                + "cat <<'EOF'\n" + Samples.H200 + "EOF\n");

        probe = start("command", script.toString(),
                "intervalSeconds", 1);

        final long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!Files.exists(counter) || Files.readAllLines(counter).size() < 3) {
            assertThat(System.nanoTime()).isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    @Test
    void aNewConfigurationAppliesLive() throws Exception {
        final Path good = Samples.script(dir, "good", Samples.H100, "", 0);
        final Path lost = Samples.script(dir, "lost", "GPU is lost\n", "", 15);
        probe = start("command", good.toString(),
                "intervalSeconds", 3600);
        await(state(GpuState.OK));

        modify("command", lost.toString(), "intervalSeconds", 3600);

        final GpuSnapshot failed = await(state(GpuState.ERROR));
        assertThat(failed.message()).startsWith("a GPU has fallen off the bus (exit 15)");
        assertThat(probe.check()).singleElement().satisfies(result -> {
            assertThat(result.name()).isEqualTo("gpu");
            assertThat(result.severity()).isEqualTo(Severity.WARNING);
        });

        modify("command", good.toString(), "intervalSeconds", 3600,
                "temperatureWarnC", 30);
        await(state(GpuState.OK));
        assertThat(probe.check()).singleElement()
                .satisfies(result -> assertThat(result.severity()).isEqualTo(Severity.WARNING));
    }

    @Test
    void aThresholdChangeKeepsTheReadingUntilTheNextOne() throws Exception {
        final Path good = Samples.script(dir, "good", Samples.T600, "", 0);
        probe = start("command", good.toString());
        final GpuSnapshot first = await(state(GpuState.OK));

        modify("command", good.toString(), "memoryWarnPercent", 50);

        assertThat(probe.latest().state()).isEqualTo(GpuState.OK);
        await(snapshot -> snapshot != first && snapshot.state() == GpuState.OK);
    }

    @Test
    void aReadingTakenWithTheOldConfigurationIsDiscarded() throws Exception {
        final Path slowOld = Samples.shell(dir, "old", "sleep 1\ncat <<'EOF'\n" + Samples.T600
                + "EOF\n");
        final Path fastNew = Samples.script(dir, "new", Samples.H200, "", 0);
        probe = start("command", slowOld.toString());
        Thread.sleep(200);

        modify("command", fastNew.toString());

        final GpuSnapshot snapshot = await(state(GpuState.OK));
        assertThat(snapshot.gpus().get(0).name()).isEqualTo("NVIDIA H200");
    }

    @Test
    void disabledReportsUnknownAndReadsNothing() throws Exception {
        final Path counter = dir.resolve("runs");
        final Path script = Samples.shell(dir, "count", "echo run >> " + counter + "\n"
                + "cat <<'EOF'\n" + Samples.T600 + "EOF\n");

        probe = start("command", script.toString(), "enabled",
                false);

        assertThat(probe.latest().state()).isEqualTo(GpuState.UNKNOWN);
        assertThat(probe.latest().message()).isEqualTo("GPU probe disabled (enabled=false)");
        assertThat(probe.refresh().state()).isEqualTo(GpuState.UNKNOWN);
        assertThat(probe.check()).singleElement().satisfies(result -> {
            assertThat(result.severity()).isEqualTo(Severity.INFO);
            assertThat(result.message()).isEqualTo("GPU probe disabled (enabled=false)");
        });
        Thread.sleep(300);
        assertThat(counter).doesNotExist();

        modify("command", script.toString());
        await(state(GpuState.OK));
    }

    @Test
    void deactivationKillsAReadingInProgressAndStopsTheThread() throws Exception {
        final Path pidFile = dir.resolve("pid");
        final Path hang = Samples.shell(dir, "hang", "echo $$ > " + pidFile + "\nexec sleep 30\n");
        probe = start("command", hang.toString(),
                "timeoutSeconds", 60);
        final long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!Files.exists(pidFile) || Files.readString(pidFile).isBlank()) {
            assertThat(System.nanoTime()).isLessThan(deadline);
            Thread.sleep(20);
        }
        final long pid = Long.parseLong(Files.readString(pidFile).trim());
        final long start = System.nanoTime();

        probe.deactivate();

        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(thread -> thread.getName()
                .equals(GpuProbeComponent.THREAD_NAME) && thread.isAlive());
        assertThat(probe.refresh().state()).isEqualTo(GpuState.UNKNOWN);
        modify("command", hang.toString());
        assertThat(probe.latest().state()).isEqualTo(GpuState.UNKNOWN);
        probe = null;
    }

    @Test
    void anInvalidUpdateKeepsTheValuesInForceAndUnknownKeysAreHarmless() throws Exception {
        final Path good = Samples.script(dir, "good",
                Samples.T600.replace(" 5, 4096", " 3974, 4096"), "", 0);
        probe = start("command", good.toString(), "memoryWarnPercent", 99, "colour", "red");
        await(state(GpuState.OK));

        modify("command", " ", "memoryWarnPercent", 500);

        assertThat(probe.latest().state()).isEqualTo(GpuState.OK);
        assertThat(probe.refresh().state()).isEqualTo(GpuState.OK);
        assertThat(probe.check()).singleElement()
                .satisfies(result -> assertThat(result.severity()).isEqualTo(Severity.OK));
        modify("command", good.toString(), "memoryWarnPercent", 90);
        assertThat(probe.check()).singleElement()
                .satisfies(result -> assertThat(result.severity()).isEqualTo(Severity.WARNING));
    }

    @Test
    void theDefaultConstructorReadsThisMachine() throws Exception {
        probe = new GpuProbeComponent(Samples.config(), Map.of());

        // no GPU on a build machine, the GPUs on a GPU machine: never UNKNOWN for long
        final GpuSnapshot snapshot = await(s -> s.state() != GpuState.UNKNOWN);
        assertThat(snapshot.host()).isEqualTo("localhost");
        assertThat(snapshot.state()).isIn(GpuState.OK, GpuState.NO_GPU, GpuState.ERROR);
    }
}
