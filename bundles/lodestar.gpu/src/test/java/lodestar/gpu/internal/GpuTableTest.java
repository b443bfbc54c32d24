package lodestar.gpu.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import lodestar.api.gpu.GpuSnapshot;
import lodestar.api.gpu.GpuSnapshot.GpuState;
import lodestar.api.gpu.GpuStatus;
import org.junit.jupiter.api.Test;

class GpuTableTest {

    private static final Instant AT = Instant.parse("2026-11-20T10:15:30Z");

    @Test
    void printsTheHostStateAndOneRowPerGpu() throws Exception {
        final GpuSnapshot snapshot = new GpuSnapshot("localhost", AT.plusNanos(5), GpuState.OK,
                "2 GPUs: NVIDIA GeForce RTX 3090, NVIDIA T600",
                NvidiaSmiParser.parse(Samples.TWO_GPUS + Samples.NOT_SUPPORTED.replace("0, Q",
                        "2, Q")));

        final String text = GpuTable.format(snapshot, AT.plusSeconds(3).plusNanos(5));

        assertThat(text.lines()).containsExactly(
                "Host     localhost",
                "State    OK",
                "Message  2 GPUs: NVIDIA GeForce RTX 3090, NVIDIA T600",
                "Read at  2026-11-20T10:15:30Z (3 s ago)",
                "",
                "  GPU  NAME                       TEMP   UTIL           MEMORY USED/TOTAL"
                        + "        POWER/LIMIT  PSTATE",
                "    0  NVIDIA GeForce RTX 3090    67 C   85 %     23188 / 24576 MiB (94%)"
                        + "    312.6 / 350.0 W  P2",
                "    1  NVIDIA T600                35 C    0 %           1 / 4096 MiB (0%)"
                        + "       3.9 / 40.0 W  P8",
                "    2  Quadro P1000               45 C      -         310 / 4040 MiB (7%)"
                        + "            - / - W  P8");
    }

    @Test
    void unknownValuesAreDashesAndLongNamesAreCut() {
        final GpuSnapshot snapshot = new GpuSnapshot("gpubox", AT, GpuState.OK, "",
                List.of(new GpuStatus(0, "NVIDIA RTX 6000 Ada Generation Max",
                        null, null, null, null, null, null, null, null, null, null, null, null,
                        null),
                        new GpuStatus(1, null, null, null, null, null, null,
                                null, null, null, null, null, null, null, null)));

        final String text = GpuTable.format(snapshot, AT.plusSeconds(600));

        assertThat(text).contains("Message  -").contains("(10 min ago)")
                .contains("NVIDIA RTX 6000 Ada Gen~ ")
                .contains("    1  -                             -      -                   "
                        + "- / - MiB            - / - W  -" + System.lineSeparator());
    }

    @Test
    void withoutGpusOnlyTheHeaderIsPrinted() {
        final GpuSnapshot snapshot = new GpuSnapshot("gpubox", AT, GpuState.ERROR,
                "ssh to gpubox failed: Connection refused", List.of());

        assertThat(GpuTable.format(snapshot, AT.plusSeconds(3 * 3600)).lines()).containsExactly(
                "Host     gpubox",
                "State    ERROR",
                "Message  ssh to gpubox failed: Connection refused",
                "Read at  2026-11-20T10:15:30Z (3 h ago)");
        assertThat(GpuTable.format(new GpuSnapshot("h", null, GpuState.UNKNOWN, null, null),
                AT)).doesNotContain("Read at");
        assertThat(GpuTable.format(snapshot, AT.minusSeconds(5))).contains("(0 s ago)");
    }
}
