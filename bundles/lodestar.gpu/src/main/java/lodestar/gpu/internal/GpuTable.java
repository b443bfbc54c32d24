package lodestar.gpu.internal;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import lodestar.api.gpu.GpuSnapshot;
import lodestar.api.gpu.GpuStatus;

/**
 * The text of {@code lodestar:gpu}: the snapshot's host, state and message, then one row per
 * GPU.
 */
final class GpuTable {

    private static final String ROW = "  %3s  %-24s  %5s  %5s  %26s  %17s  %s%n";
    private static final int NAME_WIDTH = 24;

    private GpuTable() {
    }

    /**
     * Formats a snapshot.
     *
     * @param snapshot the snapshot
     * @param now the time to count the snapshot's age from
     * @return the text, lines ending with a line separator
     */
    static String format(final GpuSnapshot snapshot, final Instant now) {
        final StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "Host     %s%n", snapshot.host()));
        out.append(String.format(Locale.ROOT, "State    %s%n", snapshot.state()));
        out.append(String.format(Locale.ROOT, "Message  %s%n",
                snapshot.message().isEmpty() ? "-" : snapshot.message()));
        if (snapshot.takenAt() != null) {
            out.append(String.format(Locale.ROOT, "Read at  %s (%s ago)%n",
                    snapshot.takenAt().truncatedTo(ChronoUnit.SECONDS),
                    age(Duration.between(snapshot.takenAt(), now))));
        }
        if (snapshot.gpus().isEmpty()) {
            return out.toString();
        }
        out.append(String.format(Locale.ROOT, "%n" + ROW, "GPU", "NAME", "TEMP", "UTIL",
                "MEMORY USED/TOTAL", "POWER/LIMIT", "PSTATE"));
        for (final GpuStatus gpu : snapshot.gpus()) {
            out.append(String.format(Locale.ROOT, ROW, gpu.index(), name(gpu.name()),
                    gpu.temperatureC() == null ? "-" : gpu.temperatureC() + " C",
                    gpu.utilizationGpuPct() == null ? "-" : gpu.utilizationGpuPct() + " %",
                    memory(gpu), power(gpu), gpu.pstate() == null ? "-" : gpu.pstate()));
        }
        return out.toString();
    }

    private static String name(final String name) {
        if (name == null) {
            return "-";
        }
        return name.length() <= NAME_WIDTH ? name : name.substring(0, NAME_WIDTH - 1) + "~";
    }

    private static String memory(final GpuStatus gpu) {
        final Integer percent = GpuHealth.memoryPercent(gpu);
        return String.format(Locale.ROOT, "%s / %s MiB%s", orDash(gpu.memoryUsedMiB()),
                orDash(gpu.memoryTotalMiB()), percent == null ? "" : " (" + percent + "%)");
    }

    private static String power(final GpuStatus gpu) {
        return watts(gpu.powerDrawW()) + " / " + watts(gpu.powerLimitW()) + " W";
    }

    private static String watts(final Double value) {
        return value == null ? "-" : String.format(Locale.ROOT, "%.1f", value);
    }

    private static String orDash(final Object value) {
        return value == null ? "-" : value.toString();
    }

    private static String age(final Duration age) {
        final long seconds = Math.max(0, age.toSeconds());
        if (seconds < 120) {
            return seconds + " s";
        }
        if (seconds < 7200) {
            return seconds / 60 + " min";
        }
        return seconds / 3600 + " h";
    }
}
