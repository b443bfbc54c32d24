package lodestar.health.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Instant;
import lodestar.api.health.HealthResult;
import lodestar.api.health.Severity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SystemChecksTest {

    private final HealthConfig config = Configs.health();
    private final Instant now = Instant.now();

    @Test
    void diskThresholds() {
        final long gib = 1L << 30;
        assertThat(SystemChecks.disk("/data", 50 * gib, 100 * gib, config, now).severity())
                .isEqualTo(Severity.OK);
        assertThat(SystemChecks.disk("/data", 5 * gib, 100 * gib, config, now).severity())
                .isEqualTo(Severity.WARNING);
        final HealthResult full = SystemChecks.disk("/data", gib, 100 * gib, config, now);
        assertThat(full.severity()).isEqualTo(Severity.CRITICAL);
        assertThat(full.message()).contains("1.0% free").contains("nearly full");
        assertThat(full.details()).containsEntry("freeBytes", gib);
    }

    @Test
    void theRealDiskOfAMissingFolderIsFoundThroughItsParent(@TempDir final Path dir) {
        final HealthResult disk = SystemChecks.disk(dir.resolve("not/yet/created"), config,
                now);
        assertThat(disk.name()).isEqualTo("system.disk");
        assertThat(disk.details()).containsKey("totalBytes");
    }

    @Test
    void heapAndMemoryThresholds() {
        assertThat(SystemChecks.heap(95, 100, config, now).severity())
                .isEqualTo(Severity.WARNING);
        assertThat(SystemChecks.heap(50, 100, config, now).severity()).isEqualTo(Severity.OK);
        assertThat(SystemChecks.heap(config, now).details()).containsKeys("usedBytes",
                "maxBytes");
        final long gib = 1L << 30;
        assertThat(SystemChecks.memory(16 * gib, gib / 2, -1, config, now).severity())
                .isEqualTo(Severity.WARNING);
        assertThat(SystemChecks.memory(16 * gib, 8 * gib, -1, config, now).severity())
                .isEqualTo(Severity.OK);
        final HealthResult real = SystemChecks.memory(config, now);
        assertThat(real.name()).isEqualTo("system.memory");
        assertThat(real.message()).isNotBlank();
        assertThat(SystemChecks.run(Path.of("."), config, now)).hasSize(3);
    }
}
