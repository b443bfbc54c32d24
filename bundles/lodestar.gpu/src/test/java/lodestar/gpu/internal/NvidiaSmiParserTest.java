package lodestar.gpu.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import lodestar.api.gpu.GpuStatus;
import lodestar.gpu.internal.NvidiaSmiParser.UnexpectedOutputException;
import org.junit.jupiter.api.Test;

class NvidiaSmiParserTest {

    @Test
    void theQueryAsksForTheFifteenFieldsInOrder() {
        assertThat(NvidiaSmiParser.QUERY_ARGUMENT).isEqualTo("--query-gpu=index,name,uuid,"
                + "driver_version,pstate,temperature.gpu,utilization.gpu,utilization.memory,"
                + "memory.used,memory.total,power.draw,power.limit,clocks.sm,clocks.mem,"
                + "fan.speed");
        assertThat(NvidiaSmiParser.FORMAT_ARGUMENT).isEqualTo("--format=csv,noheader,nounits");
    }

    @Test
    void readsATeslaT600WithItsFanAsAPercent() throws Exception {
        final List<GpuStatus> gpus = NvidiaSmiParser.parse(Samples.T600);

        assertThat(gpus).containsExactly(new GpuStatus(0, "NVIDIA T600",
                "GPU-5a2b1c3d-9e8f-4a6b-b1c2-d3e4f5a6b7c8", "535.183.01", "P8", 41, 0, 0, 5L,
                4096L, 4.21, 40.0, 300, 405, 30));
    }

    @Test
    void readsAnH100WhoseFanIsNotApplicable() throws Exception {
        final GpuStatus h100 = NvidiaSmiParser.parse(Samples.H100).get(0);

        assertThat(h100.name()).isEqualTo("NVIDIA H100 80GB HBM3");
        assertThat(h100.driverVersion()).isEqualTo("550.90.07");
        assertThat(h100.pstate()).isEqualTo("P0");
        assertThat(h100.temperatureC()).isEqualTo(36);
        assertThat(h100.utilizationGpuPct()).isEqualTo(3);
        assertThat(h100.memoryUsedMiB()).isEqualTo(48_213L);
        assertThat(h100.memoryTotalMiB()).isEqualTo(81_559L);
        assertThat(h100.powerDrawW()).isEqualTo(118.42);
        assertThat(h100.powerLimitW()).isEqualTo(700.0);
        assertThat(h100.clockSmMHz()).isEqualTo(1980);
        assertThat(h100.clockMemMHz()).isEqualTo(2619);
        assertThat(h100.fanPct()).isNull();
    }

    @Test
    void readsTheH200LineOfTheWireFacts() throws Exception {
        final GpuStatus h200 = NvidiaSmiParser.parse(Samples.H200).get(0);

        assertThat(h200).isEqualTo(new GpuStatus(0, "NVIDIA H200",
                "GPU-a104c6e2-7f1d-4b3a-9c8e-5d2f0b1a3c4e", "580.159.04", "P0", 38, 0, 0, 0L,
                143_771L, 126.54, 700.0, 1980, 3201, null));
        assertThat(h200.memoryUsedFraction()).isZero();
    }

    @Test
    void readsTwoGpusInOrder() throws Exception {
        final List<GpuStatus> gpus = NvidiaSmiParser.parse(Samples.TWO_GPUS);

        assertThat(gpus).extracting(GpuStatus::index).containsExactly(0, 1);
        assertThat(gpus).extracting(GpuStatus::name)
                .containsExactly("NVIDIA GeForce RTX 3090", "NVIDIA T600");
        assertThat(gpus.get(0).fanPct()).isEqualTo(71);
        assertThat(gpus.get(0).utilizationGpuPct()).isEqualTo(85);
        assertThat(gpus.get(1).memoryUsedMiB()).isEqualTo(1L);
    }

    @Test
    void unknownValuesBecomeNullNeverAnError() throws Exception {
        final GpuStatus p1000 = NvidiaSmiParser.parse(Samples.NOT_SUPPORTED).get(0);

        assertThat(p1000.temperatureC()).isEqualTo(45);
        assertThat(p1000.utilizationGpuPct()).isNull();
        assertThat(p1000.utilizationMemoryPct()).isNull();
        assertThat(p1000.powerDrawW()).isNull();
        assertThat(p1000.powerLimitW()).isNull();
        assertThat(p1000.fanPct()).isNull();
        assertThat(p1000.memoryUsedMiB()).isEqualTo(310L);

        final GpuStatus blank = NvidiaSmiParser.parseLine(
                "3, [N/A], [N/A], , [Unknown Error], , N/A, n/a, [N/A], [N/A], [N/A], "
                        + "[Not Supported], [N/A], [N/A], [Insufficient Permissions]", 1);
        assertThat(blank).isEqualTo(new GpuStatus(3, null, null, null, null, null, null, null,
                null, null, null, null, null, null, null));
    }

    @Test
    void toleratesBlankLinesCrLfAndMissingSpaces() throws Exception {
        final String output = "\r\n" + Samples.T600.replace("\n", "\r\n")
                + "1,NVIDIA T600,GPU-x,535.183.01,P0,50,99,40,1000,4096,39.5,40,1500,5000,45\n\n";

        final List<GpuStatus> gpus = NvidiaSmiParser.parse(output);

        assertThat(gpus).hasSize(2);
        assertThat(gpus.get(1).temperatureC()).isEqualTo(50);
        assertThat(gpus.get(1).powerLimitW()).isEqualTo(40.0);
        assertThat(NvidiaSmiParser.parse("")).isEmpty();
        assertThat(NvidiaSmiParser.parse(null)).isEmpty();
    }

    @Test
    void decimalsInWholeNumberFieldsAreRounded() throws Exception {
        final GpuStatus gpu = NvidiaSmiParser.parseLine(
                "0, X, u, d, P0, 40.6, 1, 2, 100.4, 4096, 1, 2, 3, 4, 5", 1);

        assertThat(gpu.temperatureC()).isEqualTo(41);
        assertThat(gpu.memoryUsedMiB()).isEqualTo(100L);
    }

    @Test
    void aLineWithTheWrongNumberOfFieldsIsReportedClearly() {
        assertThatThrownBy(() -> NvidiaSmiParser.parse(Samples.T600
                + "1, NVIDIA T600, GPU-x, 535.183.01, P8, 41\n"))
                .isInstanceOf(UnexpectedOutputException.class)
                .hasMessage("line 2 of the nvidia-smi output has 6 field(s), expected 15: "
                        + "'1, NVIDIA T600, GPU-x, 535.183.01, P8, 41'");
        assertThatThrownBy(() -> NvidiaSmiParser.parse("index, name, uuid\n"))
                .hasMessageContaining("has 3 field(s), expected 15");
        assertThatThrownBy(() -> NvidiaSmiParser.parse(Samples.T600.trim() + ", 1\n"))
                .hasMessageContaining("has 16 field(s)");
    }

    @Test
    void aValueThatIsNotANumberIsReportedClearly() {
        assertThatThrownBy(() -> NvidiaSmiParser.parse(
                "0, X, u, d, P0, 41 C, 1, 2, 3, 4, 5, 6, 7, 8, 9\n"))
                .isInstanceOf(UnexpectedOutputException.class)
                .hasMessage("temperature.gpu in line 1 of the nvidia-smi output is not a number:"
                        + " '41 C'");
        assertThatThrownBy(() -> NvidiaSmiParser.parse(
                "[N/A], X, u, d, P0, 41, 1, 2, 3, 4, 5, 6, 7, 8, 9\n"))
                .hasMessageContaining("has no GPU index");
        assertThatThrownBy(() -> NvidiaSmiParser.parse(
                "0, X, u, d, P0, 41, 1, 2, 3, 4, NaN, 6, 7, 8, 9\n"))
                .hasMessageContaining("power.draw in line 1");
        final String longLine = "x".repeat(300);
        assertThatThrownBy(() -> NvidiaSmiParser.parse(longLine))
                .hasMessageEndingWith("x...'");
    }
}
