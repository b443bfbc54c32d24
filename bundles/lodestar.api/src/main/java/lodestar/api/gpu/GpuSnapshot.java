package lodestar.api.gpu;

import java.time.Instant;
import java.util.List;

/**
 * One reading of the GPUs of a host.
 *
 * @param host the host read, {@code localhost} for the router's own machine
 * @param takenAt when it was read
 * @param state whether GPUs could be read
 * @param message a human-readable account of the state (e.g. the nvidia-smi error)
 * @param gpus one entry per GPU, empty unless {@code state} is {@link GpuState#OK}
 */
public record GpuSnapshot(String host, Instant takenAt, GpuState state, String message,
        List<GpuStatus> gpus) {

    /** Normalises. */
    public GpuSnapshot {
        gpus = gpus == null ? List.of() : List.copyOf(gpus);
        message = message == null ? "" : message;
    }

    /** Whether GPUs could be read. */
    public enum GpuState {
        /** GPUs were read. */
        OK,
        /** No binary, no driver or no device: a normal state on a CPU-only machine. */
        NO_GPU,
        /** The probe failed (permission, GPU lost, unparsable output, SSH failure). */
        ERROR,
        /** Not read yet. */
        UNKNOWN
    }
}
