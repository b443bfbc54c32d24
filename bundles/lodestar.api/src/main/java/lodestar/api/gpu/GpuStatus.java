package lodestar.api.gpu;

/**
 * The state of one GPU. Numeric fields are {@code null} when the GPU reports them as unknown
 * ({@code [N/A]}).
 *
 * @param index the GPU index
 * @param name the product name, e.g. {@code NVIDIA T600}
 * @param uuid the GPU UUID
 * @param driverVersion the driver version
 * @param pstate the performance state, {@code P0} to {@code P12}
 * @param temperatureC core temperature, degrees Celsius
 * @param utilizationGpuPct GPU utilisation, percent
 * @param utilizationMemoryPct memory-controller utilisation, percent
 * @param memoryUsedMiB memory used, MiB
 * @param memoryTotalMiB memory total, MiB
 * @param powerDrawW power draw, watts
 * @param powerLimitW power limit, watts
 * @param clockSmMHz SM clock, MHz
 * @param clockMemMHz memory clock, MHz
 * @param fanPct fan speed, percent
 */
public record GpuStatus(
        int index,
        String name,
        String uuid,
        String driverVersion,
        String pstate,
        Integer temperatureC,
        Integer utilizationGpuPct,
        Integer utilizationMemoryPct,
        Long memoryUsedMiB,
        Long memoryTotalMiB,
        Double powerDrawW,
        Double powerLimitW,
        Integer clockSmMHz,
        Integer clockMemMHz,
        Integer fanPct) {

    /**
     * Share of GPU memory in use.
     *
     * @return a fraction in [0, 1], or {@code null} when unknown
     */
    public Double memoryUsedFraction() {
        if (memoryUsedMiB == null || memoryTotalMiB == null || memoryTotalMiB == 0) {
            return null;
        }
        return (double) memoryUsedMiB / memoryTotalMiB;
    }
}
