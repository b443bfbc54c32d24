package lodestar.gpu.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import lodestar.api.gpu.GpuSnapshot;
import lodestar.api.gpu.GpuSnapshot.GpuState;
import lodestar.api.gpu.GpuStatus;
import lodestar.api.health.HealthResult;
import lodestar.api.health.Severity;
import org.junit.jupiter.api.Test;

class GpuHealthTest {

    private static final Instant AT = Instant.parse("2026-11-20T10:15:30Z");
    private static final GpuSettings DEFAULTS = Samples.settings();

    private static GpuStatus t600(final Integer temperature, final Long usedMiB) {
        return new GpuStatus(0, "NVIDIA T600", "GPU-1", "535.183.01", "P0", temperature, 99, 40,
                usedMiB, 4096L, 38.5, 40.0, 1500, 5000, 45);
    }

    private static GpuSnapshot ok(final GpuStatus... gpus) {
        return new GpuSnapshot("localhost", AT, GpuState.OK, "", List.of(gpus));
    }

    private static HealthResult one(final GpuSnapshot snapshot, final GpuSettings settings) {
        final List<HealthResult> results = GpuHealth.check(snapshot, settings);
        assertThat(results).hasSize(1);
        return results.get(0);
    }

    @Test
    void aHealthyGpuIsOkWithItsFigures() {
        final HealthResult result = one(ok(t600(60, 1024L)), DEFAULTS);

        assertThat(result.name()).isEqualTo("gpu.0");
        assertThat(result.severity()).isEqualTo(Severity.OK);
        assertThat(result.message()).isEqualTo("GPU 0 NVIDIA T600: 60 C, 99% busy, memory 1024 "
                + "of 4096 MiB (25%), 38.5 W");
        assertThat(result.checkedAt()).isEqualTo(AT);
        assertThat(result.details()).containsEntry("host", "localhost")
                .containsEntry("state", "OK").containsEntry("takenAt", "2026-11-20T10:15:30Z")
                .containsEntry("index", 0).containsEntry("name", "NVIDIA T600")
                .containsEntry("uuid", "GPU-1").containsEntry("driverVersion", "535.183.01")
                .containsEntry("pstate", "P0").containsEntry("temperatureC", 60)
                .containsEntry("utilizationGpuPct", 99).containsEntry("utilizationMemoryPct", 40)
                .containsEntry("memoryUsedMiB", 1024L).containsEntry("memoryTotalMiB", 4096L)
                .containsEntry("memoryUsedPct", 25).containsEntry("powerDrawW", 38.5)
                .containsEntry("powerLimitW", 40.0).containsEntry("clockSmMHz", 1500)
                .containsEntry("clockMemMHz", 5000).containsEntry("fanPct", 45);
    }

    @Test
    void detailsHoldOnlyJsonFriendlyValuesAndLeaveUnknownsOut() {
        final GpuStatus blank = new GpuStatus(1, null, null, null, null, null, null, null, null,
                null, null, null, null, null, null);

        final HealthResult result = one(ok(blank), DEFAULTS);

        assertThat(result.severity()).isEqualTo(Severity.OK);
        assertThat(result.message()).isEqualTo("GPU 1: read");
        assertThat(result.details()).containsOnlyKeys("host", "state", "takenAt", "index");
        for (final HealthResult r : GpuHealth.check(ok(t600(60, 5L), blank), DEFAULTS)) {
            assertThat(r.details().values()).allSatisfy(value -> assertThat(value)
                    .isInstanceOfAny(String.class, Number.class, Boolean.class));
        }
    }

    @Test
    void temperatureWarnsFromTheThreshold() {
        assertThat(one(ok(t600(84, 5L)), DEFAULTS).severity()).isEqualTo(Severity.OK);

        final HealthResult hot = one(ok(t600(85, 5L)), DEFAULTS);
        assertThat(hot.severity()).isEqualTo(Severity.WARNING);
        assertThat(hot.message()).isEqualTo("GPU 0 NVIDIA T600 at 85 C (warning from 85 C)");

        final GpuSettings cooler = Samples.settings("temperatureWarnC", 70);
        assertThat(one(ok(t600(70, 5L)), cooler).severity()).isEqualTo(Severity.WARNING);
        assertThat(one(ok(t600(null, 5L)), cooler).severity()).isEqualTo(Severity.OK);
    }

    @Test
    void memoryWarnsFromTheThresholdThatLocalModelsMaySpill() {
        // 3891/4096 = 94.99%: not yet
        assertThat(one(ok(t600(40, 3891L)), DEFAULTS).severity()).isEqualTo(Severity.OK);

        final HealthResult full = one(ok(t600(40, 3974L)), DEFAULTS);
        assertThat(full.severity()).isEqualTo(Severity.WARNING);
        assertThat(full.message()).isEqualTo("GPU 0 NVIDIA T600 memory 97% used: local models "
                + "may spill to the CPU");
        assertThat(full.details()).containsEntry("memoryUsedPct", 97);

        assertThat(one(ok(t600(40, 3277L)), Samples.settings("memoryWarnPercent", 80))
                .severity()).isEqualTo(Severity.WARNING);
    }

    @Test
    void bothWarningsAreJoined() {
        assertThat(one(ok(t600(95, 4096L)), DEFAULTS).message()).isEqualTo("GPU 0 NVIDIA T600 "
                + "at 95 C (warning from 85 C); GPU 0 NVIDIA T600 memory 100% used: local "
                + "models may spill to the CPU");
    }

    @Test
    void eachGpuHasItsOwnResult() {
        final GpuStatus other = new GpuStatus(1, "NVIDIA H200", "GPU-2", "580", "P0", 38, 0, 0,
                0L, 143_771L, 126.54, 700.0, 1980, 3201, null);

        final List<HealthResult> results = GpuHealth.check(ok(t600(90, 5L), other), DEFAULTS);

        assertThat(results).extracting(HealthResult::name).containsExactly("gpu.0", "gpu.1");
        assertThat(results).extracting(HealthResult::severity)
                .containsExactly(Severity.WARNING, Severity.OK);
        assertThat(results.get(1).details()).doesNotContainKey("fanPct");
    }

    @Test
    void noGpuIsInformation() {
        final HealthResult result = one(new GpuSnapshot("localhost", AT, GpuState.NO_GPU,
                "nvidia-smi not found (no NVIDIA driver installed)", List.of()), DEFAULTS);

        assertThat(result.name()).isEqualTo("gpu");
        assertThat(result.severity()).isEqualTo(Severity.INFO);
        assertThat(result.message())
                .isEqualTo("no GPU: nvidia-smi not found (no NVIDIA driver installed)");
        assertThat(result.details()).isEqualTo(Map.of("host", "localhost", "state", "NO_GPU",
                "takenAt", "2026-11-20T10:15:30Z"));
        assertThat(one(ok(), DEFAULTS).message()).isEqualTo("no GPU");
    }

    @Test
    void anErrorIsAWarning() {
        final HealthResult result = one(new GpuSnapshot("gpubox", AT, GpuState.ERROR,
                "ssh to gpubox failed: Connection refused", List.of()), DEFAULTS);

        assertThat(result.name()).isEqualTo("gpu");
        assertThat(result.severity()).isEqualTo(Severity.WARNING);
        assertThat(result.message()).isEqualTo("ssh to gpubox failed: Connection refused");
        assertThat(result.details()).containsEntry("host", "gpubox");
    }

    @Test
    void notReadYetIsInformation() {
        final HealthResult unknown = one(new GpuSnapshot("localhost", null, GpuState.UNKNOWN,
                null, null), DEFAULTS);

        assertThat(unknown.severity()).isEqualTo(Severity.INFO);
        assertThat(unknown.message()).isEqualTo("GPUs not read yet");
        assertThat(unknown.details()).doesNotContainKey("takenAt");
        assertThat(one(new GpuSnapshot("localhost", AT, GpuState.UNKNOWN,
                "GPU probe disabled (enabled=false)", null), DEFAULTS).message())
                .isEqualTo("GPU probe disabled (enabled=false)");
    }

    @Test
    void memoryPercentIsRoundedDownAndUnknownWithoutBothFigures() {
        assertThat(GpuHealth.memoryPercent(t600(1, 4095L))).isEqualTo(99);
        assertThat(GpuHealth.memoryPercent(t600(1, null))).isNull();
        assertThat(GpuHealth.memoryPercent(new GpuStatus(0, "x", "u", "d", "P0", 1, 1, 1, 5L,
                0L, 1.0, 1.0, 1, 1, 1))).isNull();
    }
}
