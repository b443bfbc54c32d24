package lodestar.gpu.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import lodestar.api.gpu.GpuSnapshot;
import lodestar.api.gpu.GpuSnapshot.GpuState;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real processes: small shell scripts stand in for nvidia-smi and ssh. */
class NvidiaSmiTest {

    private static final Instant NOW = Instant.parse("2026-11-20T10:15:30Z");

    @TempDir
    Path dir;

    private final NvidiaSmi nvidiaSmi = new NvidiaSmi(NvidiaSmi.SSH,
            Clock.fixed(NOW, ZoneOffset.UTC));

    private GpuSnapshot run(final String stdout, final String stderr, final int exit)
            throws Exception {
        final Path script = Samples.script(dir, "nvidia-smi-" + exit, stdout, stderr, exit);
        return nvidiaSmi.read(Samples.settings("command", script.toString()));
    }

    @Test
    void theLocalCommandLineIsTheProgramWithTheQuery() {
        assertThat(nvidiaSmi.commandLine(Samples.settings())).containsExactly("nvidia-smi",
                NvidiaSmiParser.QUERY_ARGUMENT, "--format=csv,noheader,nounits");
    }

    @Test
    void theSshCommandLineUsesBatchModeTheTimeoutAndTheExtraOptions() {
        final GpuSettings settings = Samples.settings("sshHost", "me@gpubox",
                "sshOptions", " -p 2222  -i /home/me/.ssh/gpu ", "timeoutSeconds", 7,
                "command", "/usr/bin/nvidia-smi");

        assertThat(nvidiaSmi.commandLine(settings)).containsExactly("ssh", "-o",
                "BatchMode=yes", "-o", "ConnectTimeout=7", "-p", "2222", "-i",
                "/home/me/.ssh/gpu", "me@gpubox", "/usr/bin/nvidia-smi",
                NvidiaSmiParser.QUERY_ARGUMENT, NvidiaSmiParser.FORMAT_ARGUMENT);
    }

    @Test
    void exitZeroGivesTheGpus() throws Exception {
        final GpuSnapshot snapshot = run(Samples.T600, "", 0);

        assertThat(snapshot.state()).isEqualTo(GpuState.OK);
        assertThat(snapshot.host()).isEqualTo("localhost");
        assertThat(snapshot.takenAt()).isEqualTo(NOW);
        assertThat(snapshot.message()).isEqualTo("1 GPU: NVIDIA T600");
        assertThat(snapshot.gpus()).singleElement()
                .satisfies(gpu -> assertThat(gpu.memoryTotalMiB()).isEqualTo(4096L));
    }

    @Test
    void twoGpusAreListed() throws Exception {
        final GpuSnapshot snapshot = run(Samples.TWO_GPUS, "", 0);

        assertThat(snapshot.state()).isEqualTo(GpuState.OK);
        assertThat(snapshot.message()).isEqualTo("2 GPUs: NVIDIA GeForce RTX 3090, NVIDIA T600");
        assertThat(snapshot.gpus()).hasSize(2);
    }

    @Test
    void theScriptReceivesTheQueryArguments() throws Exception {
        final Path args = dir.resolve("args");
        final Path script = Samples.shell(dir, "echo-args", "printf '%s\\n' \"$@\" > " + args
                + "\ncat <<'EOF'\n" + Samples.H200 + "EOF\n");

        final GpuSnapshot snapshot = nvidiaSmi.read(Samples.settings("command",
                script.toString()));

        assertThat(snapshot.state()).isEqualTo(GpuState.OK);
        assertThat(Files.readAllLines(args)).containsExactly(NvidiaSmiParser.QUERY_ARGUMENT,
                NvidiaSmiParser.FORMAT_ARGUMENT);
    }

    @Test
    void unparsableOutputIsAnErrorNotAnException() throws Exception {
        final GpuSnapshot snapshot = run("0, NVIDIA T600, GPU-x\n", "", 0);

        assertThat(snapshot.state()).isEqualTo(GpuState.ERROR);
        assertThat(snapshot.message()).isEqualTo("unexpected nvidia-smi output: line 1 of the "
                + "nvidia-smi output has 3 field(s), expected 15: '0, NVIDIA T600, GPU-x'");
        assertThat(snapshot.gpus()).isEmpty();
    }

    @Test
    void emptyOutputMeansNoGpu() throws Exception {
        final GpuSnapshot snapshot = run("", "", 0);

        assertThat(snapshot.state()).isEqualTo(GpuState.NO_GPU);
        assertThat(snapshot.message()).isEqualTo("nvidia-smi listed no GPU");
    }

    @Test
    void exit2IsABadArgumentWithTheFirstLineOfItsOutput() throws Exception {
        final GpuSnapshot snapshot = run("Field \"fan.speeed\" is not a valid field to query.\n"
                + "\n", "", 2);

        assertThat(snapshot.state()).isEqualTo(GpuState.ERROR);
        assertThat(snapshot.message()).isEqualTo("nvidia-smi rejected its arguments (exit 2): "
                + "Field \"fan.speeed\" is not a valid field to query.");
    }

    @Test
    void exit3IsNotSupported() throws Exception {
        final GpuSnapshot snapshot = run("", "", 3);

        assertThat(snapshot.state()).isEqualTo(GpuState.ERROR);
        assertThat(snapshot.message()).isEqualTo("nvidia-smi: a queried field is not supported "
                + "by this GPU or driver (exit 3)");
    }

    @Test
    void exit4IsNoPermission() throws Exception {
        final GpuSnapshot snapshot = run("", "Insufficient Permissions\n", 4);

        assertThat(snapshot.state()).isEqualTo(GpuState.ERROR);
        assertThat(snapshot.message()).startsWith("nvidia-smi: no permission to read the GPU "
                + "(exit 4)").endsWith(": Insufficient Permissions");
    }

    @Test
    void exit6NoDevicesIsNoGpu() throws Exception {
        final GpuSnapshot snapshot = run("No devices were found\n", "", 6);

        assertThat(snapshot.state()).isEqualTo(GpuState.NO_GPU);
        assertThat(snapshot.message()).isEqualTo("No devices were found (exit 6)");
    }

    @Test
    void exit9DriverNotLoadedIsNoGpu() throws Exception {
        final GpuSnapshot snapshot = run("NVIDIA-SMI has failed because it couldn't "
                + "communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver "
                + "is installed and running.\n", "", 9);

        assertThat(snapshot.state()).isEqualTo(GpuState.NO_GPU);
        assertThat(snapshot.message()).startsWith("NVIDIA driver is not loaded (exit 9): "
                + "NVIDIA-SMI has failed because it couldn't communicate");
    }

    @Test
    void exit12NvmlMissingIsNoGpu() throws Exception {
        final GpuSnapshot snapshot = run("NVIDIA-SMI couldn't find libnvidia-ml.so library in "
                + "your system.\n", "", 12);

        assertThat(snapshot.state()).isEqualTo(GpuState.NO_GPU);
        assertThat(snapshot.message()).startsWith("NVML library not found (exit 12)");
    }

    @Test
    void exit15IsAGpuLost() throws Exception {
        final GpuSnapshot snapshot = run("Unable to determine the device handle for GPU0000:01:00"
                + ".0: GPU is lost.  Reboot the system to recover this GPU\n", "", 15);

        assertThat(snapshot.state()).isEqualTo(GpuState.ERROR);
        assertThat(snapshot.message()).startsWith("a GPU has fallen off the bus (exit 15)")
                .contains("GPU is lost");
    }

    @Test
    void exit255IsAnOtherError() throws Exception {
        final GpuSnapshot snapshot = run("", "", 255);

        assertThat(snapshot.state()).isEqualTo(GpuState.ERROR);
        assertThat(snapshot.message()).isEqualTo("nvidia-smi failed with an internal or unknown "
                + "error (exit 255)");
    }

    @Test
    void anyOtherExitIsAnErrorWithItsCode() throws Exception {
        final GpuSnapshot snapshot = run("something odd\n", "", 1);

        assertThat(snapshot.state()).isEqualTo(GpuState.ERROR);
        assertThat(snapshot.message()).isEqualTo("nvidia-smi failed (exit 1): something odd");
    }

    @Test
    void exit127CommandNotFoundIsNoGpu() throws Exception {
        final GpuSnapshot snapshot = run("", "sh: 1: nvidia-smi: not found\n", 127);

        assertThat(snapshot.state()).isEqualTo(GpuState.NO_GPU);
        assertThat(snapshot.message()).startsWith("nvidia-smi not found at '")
                .contains("(no NVIDIA driver installed)");
    }

    @Test
    void theDriverLibraryMismatchSuggestsAReboot() throws Exception {
        final GpuSnapshot snapshot = run("Failed to initialize NVML: Driver/library version "
                + "mismatch\nNVML library version: 550.120\n", "", 18);

        assertThat(snapshot.state()).isEqualTo(GpuState.ERROR);
        assertThat(snapshot.message()).startsWith("Failed to initialize NVML: Driver/library "
                + "version mismatch: the NVIDIA kernel module and the user-space driver "
                + "libraries have different versions").endsWith("reboot the machine");
    }

    @Test
    void aCommandThatHangsIsKilledAfterTheTimeout() throws Exception {
        final Path pidFile = dir.resolve("sleep.pid");
        final Path script = Samples.shell(dir, "hang", "sleep 30 &\necho $! > " + pidFile
                + "\nwait\n");
        final long start = System.nanoTime();

        final GpuSnapshot snapshot = nvidiaSmi.read(Samples.settings("command",
                script.toString(), "timeoutSeconds", 1));

        final long elapsedMs = (System.nanoTime() - start) / 1_000_000;
        assertThat(snapshot.state()).isEqualTo(GpuState.ERROR);
        assertThat(snapshot.message()).isEqualTo("nvidia-smi did not answer within 1 s");
        assertThat(elapsedMs).isBetween(900L, 5_000L);
        final long sleeper = Long.parseLong(Files.readString(pidFile).trim());
        awaitGone(sleeper);
    }

    @Test
    void aMissingBinaryMeansNoDriver() {
        final GpuSnapshot byDefault = nvidiaSmi.read(Samples.settings("command",
                "nvidia-smi-that-is-not-installed-" + ProcessHandle.current().pid()));
        final GpuSnapshot byPath = nvidiaSmi.read(Samples.settings("command",
                dir.resolve("missing/nvidia-smi").toString()));

        assertThat(byDefault.state()).isEqualTo(GpuState.NO_GPU);
        assertThat(byPath.state()).isEqualTo(GpuState.NO_GPU);
        assertThat(byPath.message()).isEqualTo("nvidia-smi not found at '"
                + dir.resolve("missing/nvidia-smi") + "' (no NVIDIA driver installed)");
    }

    @Test
    void theDefaultCommandMissingHasTheShortMessage() throws Exception {
        final NvidiaSmi withoutPath = new NvidiaSmi(NvidiaSmi.SSH,
                Clock.fixed(NOW, ZoneOffset.UTC));
        final GpuSnapshot snapshot = withoutPath.interpret(Samples.settings(),
                new ProcessRunner.Result(127, "", "", false));

        assertThat(snapshot.state()).isEqualTo(GpuState.NO_GPU);
        assertThat(snapshot.message())
                .isEqualTo("nvidia-smi not found (no NVIDIA driver installed)");
    }

    @Test
    void aFileThatCannotBeRunIsAnError() throws Exception {
        final Path file = dir.resolve("not-executable");
        Files.writeString(file, "#!/bin/sh\n");

        final GpuSnapshot snapshot = nvidiaSmi.read(Samples.settings("command",
                file.toString()));

        assertThat(snapshot.state()).isEqualTo(GpuState.ERROR);
        assertThat(snapshot.message()).startsWith("nvidia-smi could not be started: ")
                .contains("Permission denied");
    }

    @Test
    void anInvalidSshHostIsReportedWithoutRunningAnything() {
        final GpuSnapshot snapshot = nvidiaSmi.read(Samples.settings("sshHost",
                "-oProxyCommand=x"));

        assertThat(snapshot.state()).isEqualTo(GpuState.ERROR);
        assertThat(snapshot.host()).isEqualTo("-oProxyCommand=x");
        assertThat(snapshot.message()).startsWith("invalid sshHost '-oProxyCommand=x'");
    }

    @Test
    void overSshTheRemoteOutputIsReadAndTheHostNamed() throws Exception {
        final Path args = dir.resolve("ssh-args");
        final Path ssh = Samples.shell(dir, "ssh", "printf '%s\\n' \"$@\" > " + args + "\n"
                + "cat <<'EOF'\n" + Samples.H100 + "EOF\n");
        final NvidiaSmi overSsh = new NvidiaSmi(ssh.toString(), Clock.fixed(NOW, ZoneOffset.UTC));

        final GpuSnapshot snapshot = overSsh.read(Samples.settings("sshHost", "gpubox",
                "timeoutSeconds", 3));

        assertThat(snapshot.state()).isEqualTo(GpuState.OK);
        assertThat(snapshot.host()).isEqualTo("gpubox");
        assertThat(snapshot.gpus().get(0).name()).isEqualTo("NVIDIA H100 80GB HBM3");
        assertThat(Files.readAllLines(args)).containsExactly("-o", "BatchMode=yes", "-o",
                "ConnectTimeout=3", "gpubox", "nvidia-smi", NvidiaSmiParser.QUERY_ARGUMENT,
                NvidiaSmiParser.FORMAT_ARGUMENT);
    }

    @Test
    void sshExit255IsAnSshFailureWithItsFirstErrorLine() throws Exception {
        final Path ssh = Samples.script(dir, "ssh", "", "\nWarning: Permanently added 'gpubox' "
                + "(ED25519) to the list of known hosts.\n"
                + "me@gpubox: Permission denied (publickey,password).\n", 255);
        final NvidiaSmi overSsh = new NvidiaSmi(ssh.toString(), Clock.fixed(NOW, ZoneOffset.UTC));

        final GpuSnapshot snapshot = overSsh.read(Samples.settings("sshHost", "me@gpubox"));

        assertThat(snapshot.state()).isEqualTo(GpuState.ERROR);
        assertThat(snapshot.host()).isEqualTo("me@gpubox");
        assertThat(snapshot.message()).isEqualTo("ssh to me@gpubox failed: me@gpubox: "
                + "Permission denied (publickey,password).");
    }

    @Test
    void sshExit255WithoutAMessageSaysSo() throws Exception {
        final GpuSnapshot snapshot = nvidiaSmi.interpret(Samples.settings("sshHost", "gpubox"),
                new ProcessRunner.Result(255, "", "", false));

        assertThat(snapshot.message()).isEqualTo("ssh to gpubox failed: exit 255 without a "
                + "message");
        assertThat(nvidiaSmi.interpret(Samples.settings("sshHost", "gpubox"),
                new ProcessRunner.Result(255, "", "Warning: only a warning\n", false)).message())
                .isEqualTo("ssh to gpubox failed: Warning: only a warning");
    }

    @Test
    void aRemoteCommandNotFoundMeansNoGpuOnThatHost() throws Exception {
        final Path ssh = Samples.script(dir, "ssh", "",
                "bash: line 1: nvidia-smi: command not found\n", 127);
        final NvidiaSmi overSsh = new NvidiaSmi(ssh.toString(), Clock.fixed(NOW, ZoneOffset.UTC));

        final GpuSnapshot snapshot = overSsh.read(Samples.settings("sshHost", "gpubox"));

        assertThat(snapshot.state()).isEqualTo(GpuState.NO_GPU);
        assertThat(snapshot.host()).isEqualTo("gpubox");
        assertThat(snapshot.message()).isEqualTo("nvidia-smi not found on gpubox (no NVIDIA "
                + "driver installed): bash: line 1: nvidia-smi: command not found");
    }

    @Test
    void remoteNvidiaSmiExitCodesPassThroughSsh() throws Exception {
        final Path ssh = Samples.script(dir, "ssh", "No devices were found\n", "", 6);
        final NvidiaSmi overSsh = new NvidiaSmi(ssh.toString(), Clock.fixed(NOW, ZoneOffset.UTC));

        final GpuSnapshot snapshot = overSsh.read(Samples.settings("sshHost", "gpubox"));

        assertThat(snapshot.state()).isEqualTo(GpuState.NO_GPU);
        assertThat(snapshot.message()).isEqualTo("No devices were found on gpubox (exit 6)");
    }

    @Test
    void aRemoteTimeoutNamesTheHost() throws Exception {
        final Path ssh = Samples.shell(dir, "ssh", "exec sleep 30\n");
        final NvidiaSmi overSsh = new NvidiaSmi(ssh.toString(), Clock.fixed(NOW, ZoneOffset.UTC));

        final GpuSnapshot snapshot = overSsh.read(Samples.settings("sshHost", "gpubox",
                "timeoutSeconds", 1));

        assertThat(snapshot.state()).isEqualTo(GpuState.ERROR);
        assertThat(snapshot.message()).isEqualTo("nvidia-smi on gpubox did not answer within 1 s");
    }

    @Test
    void aMissingSshIsAnError() {
        final NvidiaSmi overSsh = new NvidiaSmi(dir.resolve("no-ssh").toString(),
                Clock.fixed(NOW, ZoneOffset.UTC));

        final GpuSnapshot snapshot = overSsh.read(Samples.settings("sshHost", "gpubox"));

        assertThat(snapshot.state()).isEqualTo(GpuState.ERROR);
        assertThat(snapshot.message()).startsWith("ssh could not be started to read gpubox: ");
    }

    @Test
    void theSystemSshToAnUnknownHostFailsCleanly() {
        final boolean sshInstalled = List.of("/usr/bin/ssh", "/bin/ssh", "/usr/local/bin/ssh")
                .stream().anyMatch(p -> Files.isExecutable(Path.of(p)));
        Assumptions.assumeTrue(sshInstalled, "no ssh on this machine");

        final GpuSnapshot snapshot = nvidiaSmi.read(Samples.settings("sshHost",
                "lodestar-test.invalid", "timeoutSeconds", 5));

        assertThat(snapshot.state()).isEqualTo(GpuState.ERROR);
        assertThat(snapshot.host()).isEqualTo("lodestar-test.invalid");
        assertThat(snapshot.message()).contains("lodestar-test.invalid");
    }

    @Test
    void theFirstLineSkipsBlankLinesAndIsShortened() {
        assertThat(NvidiaSmi.firstLine(null, "\n  \n second \n third")).isEqualTo("second");
        assertThat(NvidiaSmi.firstLine("", " ")).isEmpty();
        assertThat(NvidiaSmi.firstLine("y".repeat(500))).hasSize(203).endsWith("...");
    }

    private static void awaitGone(final long pid) throws InterruptedException {
        final long deadline = System.nanoTime() + 5_000_000_000L;
        while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
            assertThat(System.nanoTime()).as("process %d still alive", pid).isLessThan(deadline);
            Thread.sleep(50);
        }
    }
}
