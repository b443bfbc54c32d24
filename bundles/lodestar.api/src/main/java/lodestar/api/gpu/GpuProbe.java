package lodestar.api.gpu;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Reports the state of the GPUs serving local models (read from {@code nvidia-smi}, locally or
 * over SSH).
 */
@ConsumerType
public interface GpuProbe {

    /**
     * The latest snapshot. Cheap: answered from the probe's last scheduled reading.
     *
     * @return the snapshot; never {@code null}
     */
    GpuSnapshot latest();
}
