package lodestar.api.gpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class GpuSnapshotTest {

    @Test
    void memoryFractionIsUnknownWithoutBothFigures() {
        final GpuStatus t600 = new GpuStatus(0, "NVIDIA T600", "GPU-1", "535.1", "P8", 40, 0, 0,
                1024L, 4096L, 5.0, 40.0, 300, 405, 30);
        final GpuStatus unknown = new GpuStatus(0, "x", "u", "d", "P0", null, null, null, null,
                4096L, null, null, null, null, null);
        final GpuStatus zero = new GpuStatus(0, "x", "u", "d", "P0", null, null, null, 0L, 0L,
                null, null, null, null, null);

        assertThat(t600.memoryUsedFraction()).isEqualTo(0.25);
        assertThat(unknown.memoryUsedFraction()).isNull();
        assertThat(zero.memoryUsedFraction()).isNull();
    }

    @Test
    void snapshotNormalisesMissingParts() {
        final GpuSnapshot none = new GpuSnapshot("localhost", Instant.EPOCH,
                GpuSnapshot.GpuState.NO_GPU, null, null);

        assertThat(none.gpus()).isEmpty();
        assertThat(none.message()).isEmpty();
        assertThat(new GpuSnapshot("h", Instant.EPOCH, GpuSnapshot.GpuState.OK, "ok",
                List.of()).state()).isEqualTo(GpuSnapshot.GpuState.OK);
    }
}
