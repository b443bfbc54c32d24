package lodestar.health.internal;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import lodestar.api.health.HealthResult;
import lodestar.api.health.Severity;

/** The monitor's own checks of the machine: disk of the data folder, JVM heap, memory. */
final class SystemChecks {

    private SystemChecks() {
    }

    static List<HealthResult> run(final Path dataDir, final HealthConfig config,
            final Instant now) {
        final List<HealthResult> results = new ArrayList<>();
        results.add(disk(dataDir, config, now));
        results.add(heap(config, now));
        results.add(memory(config, now));
        return results;
    }

    static HealthResult disk(final Path dataDir, final HealthConfig config, final Instant now) {
        try {
            Path existing = dataDir.toAbsolutePath();
            while (existing != null && !Files.exists(existing)) {
                existing = existing.getParent();
            }
            if (existing == null) {
                return new HealthResult("system.disk", Severity.WARNING, "data folder " + dataDir
                        + " and none of its parents exist", Map.of(), now);
            }
            final FileStore store = Files.getFileStore(existing);
            return disk(dataDir.toString(), store.getUsableSpace(), store.getTotalSpace(),
                    config, now);
        } catch (final IOException | SecurityException e) {
            return new HealthResult("system.disk", Severity.WARNING, "cannot read the disk of "
                    + dataDir + ": " + e.getMessage(), Map.of(), now);
        }
    }

    static HealthResult disk(final String where, final long free, final long total,
            final HealthConfig config, final Instant now) {
        final double freePercent = total <= 0 ? 100 : 100.0 * free / total;
        final Severity severity = freePercent < config.diskCriticalPercent() ? Severity.CRITICAL
                : freePercent < config.diskWarnPercent() ? Severity.WARNING : Severity.OK;
        final Map<String, Object> details = new LinkedHashMap<>();
        details.put("path", where);
        details.put("freeBytes", free);
        details.put("totalBytes", total);
        details.put("freePercent", round(freePercent));
        return new HealthResult("system.disk", severity, String.format(Locale.ROOT,
                "%.1f%% free (%d MiB of %d MiB) on the disk of %s%s", freePercent,
                free >> 20, total >> 20, where, severity == Severity.CRITICAL
                        ? ": nearly full, the usage database may become unwritable"
                        : ""), details, now);
    }

    static HealthResult heap(final HealthConfig config, final Instant now) {
        final MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        return heap(heap.getUsed(), heap.getMax() > 0 ? heap.getMax() : heap.getCommitted(),
                config, now);
    }

    static HealthResult heap(final long used, final long max, final HealthConfig config,
            final Instant now) {
        final double percent = max <= 0 ? 0 : 100.0 * used / max;
        final Map<String, Object> details = new LinkedHashMap<>();
        details.put("usedBytes", used);
        details.put("maxBytes", max);
        details.put("usedPercent", round(percent));
        return new HealthResult("system.heap", percent >= config.heapWarnPercent()
                ? Severity.WARNING : Severity.OK, String.format(Locale.ROOT,
                        "JVM heap %.0f%% used (%d of %d MiB)", percent, used >> 20, max >> 20),
                details, now);
    }

    static HealthResult memory(final HealthConfig config, final Instant now) {
        long total = -1;
        long available = -1;
        try {
            for (final String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    total = kib(line);
                } else if (line.startsWith("MemAvailable:")) {
                    available = kib(line);
                }
            }
        } catch (final IOException | RuntimeException e) {
            total = -1;
        }
        if (total <= 0 || available < 0) {
            return new HealthResult("system.memory", Severity.OK, "system memory not readable "
                    + "(no /proc/meminfo)", Map.of(), now);
        }
        return memory(total, available, ManagementFactory.getRuntimeMXBean().getPid(), config,
                now);
    }

    private static long kib(final String line) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
    }

    static HealthResult memory(final long total, final long free, final long pid,
            final HealthConfig config, final Instant now) {
        final double percent = total <= 0 ? 0 : 100.0 * (total - free) / total;
        final Map<String, Object> details = new LinkedHashMap<>();
        details.put("totalBytes", total);
        details.put("freeBytes", free);
        details.put("usedPercent", round(percent));
        final long rss = rssBytes(pid);
        if (rss > 0) {
            details.put("processRssBytes", rss);
        }
        return new HealthResult("system.memory", percent >= config.memoryWarnPercent()
                ? Severity.WARNING : Severity.OK, String.format(Locale.ROOT,
                        "system memory %.0f%% used (%d MiB available)%s", percent, free >> 20,
                        rss > 0 ? ", Lodestar " + (rss >> 20) + " MiB resident" : ""),
                details, now);
    }

    /** Resident set size from /proc (Linux); -1 elsewhere. */
    static long rssBytes(final long pid) {
        final Path status = Path.of("/proc", Long.toString(pid), "status");
        try {
            for (final String line : Files.readAllLines(status)) {
                if (line.startsWith("VmRSS:")) {
                    return kib(line);
                }
            }
        } catch (final IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    private static double round(final double value) {
        return Math.round(value * 10) / 10.0;
    }
}
