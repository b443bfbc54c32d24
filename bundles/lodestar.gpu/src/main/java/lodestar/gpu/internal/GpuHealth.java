package lodestar.gpu.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import lodestar.api.gpu.GpuSnapshot;
import lodestar.api.gpu.GpuStatus;
import lodestar.api.health.HealthResult;
import lodestar.api.health.Severity;

/**
 * Health results from a snapshot: one result {@code gpu} when no GPU could be read, else one
 * result {@code gpu.<index>} per GPU. Unknown figures are left out of the details.
 */
final class GpuHealth {

    /** The contributor's name, also the name of the result for the whole host. */
    static final String NAME = "gpu";

    private GpuHealth() {
    }

    /**
     * The results of a snapshot.
     *
     * @param snapshot the latest snapshot
     * @param settings the thresholds in force
     * @return at least one result
     */
    static List<HealthResult> check(final GpuSnapshot snapshot, final GpuSettings settings) {
        final Map<String, Object> base = new LinkedHashMap<>();
        base.put("host", snapshot.host());
        base.put("state", snapshot.state().name());
        if (snapshot.takenAt() != null) {
            base.put("takenAt", snapshot.takenAt().toString());
        }
        switch (snapshot.state()) {
            case OK -> {
                if (snapshot.gpus().isEmpty()) {
                    return List.of(result(NAME, Severity.INFO, "no GPU", base, snapshot));
                }
                final List<HealthResult> results = new ArrayList<>();
                for (final GpuStatus gpu : snapshot.gpus()) {
                    results.add(gpu(gpu, base, settings, snapshot));
                }
                return results;
            }
            case NO_GPU -> {
                return List.of(result(NAME, Severity.INFO, "no GPU: " + snapshot.message(), base,
                        snapshot));
            }
            case ERROR -> {
                return List.of(result(NAME, Severity.WARNING, snapshot.message(), base,
                        snapshot));
            }
            default -> {
                return List.of(result(NAME, Severity.INFO, snapshot.message().isEmpty()
                        ? "GPUs not read yet" : snapshot.message(), base, snapshot));
            }
        }
    }

    private static HealthResult gpu(final GpuStatus gpu, final Map<String, Object> base,
            final GpuSettings settings, final GpuSnapshot snapshot) {
        final Map<String, Object> details = new LinkedHashMap<>(base);
        final Integer memoryPercent = memoryPercent(gpu);
        put(details, "index", gpu.index());
        put(details, "name", gpu.name());
        put(details, "uuid", gpu.uuid());
        put(details, "driverVersion", gpu.driverVersion());
        put(details, "pstate", gpu.pstate());
        put(details, "temperatureC", gpu.temperatureC());
        put(details, "utilizationGpuPct", gpu.utilizationGpuPct());
        put(details, "utilizationMemoryPct", gpu.utilizationMemoryPct());
        put(details, "memoryUsedMiB", gpu.memoryUsedMiB());
        put(details, "memoryTotalMiB", gpu.memoryTotalMiB());
        put(details, "memoryUsedPct", memoryPercent);
        put(details, "powerDrawW", gpu.powerDrawW());
        put(details, "powerLimitW", gpu.powerLimitW());
        put(details, "clockSmMHz", gpu.clockSmMHz());
        put(details, "clockMemMHz", gpu.clockMemMHz());
        put(details, "fanPct", gpu.fanPct());

        final String label = "GPU " + gpu.index() + (gpu.name() == null ? "" : " " + gpu.name());
        final List<String> warnings = new ArrayList<>();
        if (gpu.temperatureC() != null && gpu.temperatureC() >= settings.temperatureWarnC()) {
            warnings.add(label + " at " + gpu.temperatureC() + " C (warning from "
                    + settings.temperatureWarnC() + " C)");
        }
        if (memoryPercent != null && memoryPercent >= settings.memoryWarnPercent()) {
            warnings.add(label + " memory " + memoryPercent
                    + "% used: local models may spill to the CPU");
        }
        final String name = NAME + "." + gpu.index();
        if (!warnings.isEmpty()) {
            return result(name, Severity.WARNING, String.join("; ", warnings), details, snapshot);
        }
        return result(name, Severity.OK, label + ": " + summary(gpu, memoryPercent), details,
                snapshot);
    }

    private static String summary(final GpuStatus gpu, final Integer memoryPercent) {
        final List<String> parts = new ArrayList<>();
        if (gpu.temperatureC() != null) {
            parts.add(gpu.temperatureC() + " C");
        }
        if (gpu.utilizationGpuPct() != null) {
            parts.add(gpu.utilizationGpuPct() + "% busy");
        }
        if (gpu.memoryUsedMiB() != null && gpu.memoryTotalMiB() != null) {
            parts.add("memory " + gpu.memoryUsedMiB() + " of " + gpu.memoryTotalMiB() + " MiB ("
                    + memoryPercent + "%)");
        }
        if (gpu.powerDrawW() != null) {
            parts.add(String.format(Locale.ROOT, "%.1f W", gpu.powerDrawW()));
        }
        return parts.isEmpty() ? "read" : String.join(", ", parts);
    }

    /**
     * Memory in use, in whole percent rounded down (so that 94.9% does not show as a 95% that
     * is no warning).
     *
     * @param gpu the GPU
     * @return the percentage, or {@code null} when unknown
     */
    static Integer memoryPercent(final GpuStatus gpu) {
        if (gpu.memoryUsedMiB() == null || gpu.memoryTotalMiB() == null
                || gpu.memoryTotalMiB() <= 0) {
            return null;
        }
        return (int) (gpu.memoryUsedMiB() * 100 / gpu.memoryTotalMiB());
    }

    private static void put(final Map<String, Object> details, final String key,
            final Object value) {
        if (value != null) {
            details.put(key, value);
        }
    }

    private static HealthResult result(final String name, final Severity severity,
            final String message, final Map<String, Object> details,
            final GpuSnapshot snapshot) {
        return new HealthResult(name, severity, message, details, snapshot.takenAt());
    }
}
