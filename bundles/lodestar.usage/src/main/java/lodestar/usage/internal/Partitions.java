package lodestar.usage.internal;

import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Day partitions: every UTC day has its own tables ({@code usage_YYYY_MM_DD} for the requests,
 * {@code _hourly} and {@code _sessions} rollups, {@code _switches}), created on its first
 * request and dropped whole when the day leaves the retention window. The stored content of
 * exchanges (opt-in) has its own day tables, {@code usage_content_YYYY_MM_DD}, with their own
 * retention. An instance holds the set of days that exist (one for the requests, one for the
 * content); thread-safe.
 */
final class Partitions {

    /** Milliseconds in an hour. */
    static final long HOUR_MS = 3_600_000L;
    /** Milliseconds in a day. */
    static final long DAY_MS = 24 * HOUR_MS;

    private static final Pattern RAW = Pattern.compile(
            "USAGE_(\\d{4})_(\\d{2})_(\\d{2})", Pattern.CASE_INSENSITIVE);
    private static final Pattern CONTENT = Pattern.compile(
            "USAGE_CONTENT_(\\d{4})_(\\d{2})_(\\d{2})", Pattern.CASE_INSENSITIVE);

    private final NavigableSet<LocalDate> days = new ConcurrentSkipListSet<>();

    /**
     * The day of a moment, in UTC.
     *
     * @param epochMs the moment
     * @return the day
     */
    static LocalDate day(final long epochMs) {
        return LocalDate.ofEpochDay(Math.floorDiv(epochMs, DAY_MS));
    }

    /**
     * The first millisecond of a day.
     *
     * @param day the day
     * @return epoch milliseconds
     */
    static long start(final LocalDate day) {
        return day.atStartOfDay().toInstant(ZoneOffset.UTC).toEpochMilli();
    }

    /**
     * A day's suffix, {@code YYYY_MM_DD}.
     *
     * @param day the day
     * @return the suffix
     */
    static String suffix(final LocalDate day) {
        return String.format("%04d_%02d_%02d", day.getYear(), day.getMonthValue(),
                day.getDayOfMonth());
    }

    /**
     * The requests table of a day.
     *
     * @param day the day
     * @return the table name
     */
    static String raw(final LocalDate day) {
        return "usage_" + suffix(day);
    }

    /**
     * The content table of a day.
     *
     * @param day the day
     * @return the table name
     */
    static String content(final LocalDate day) {
        return "usage_content_" + suffix(day);
    }

    /**
     * The day of a requests table's name.
     *
     * @param table a table name
     * @return the day, when the name is one of a requests table
     */
    static Optional<LocalDate> parse(final String table) {
        return parse(RAW, table);
    }

    /**
     * The day of a content table's name.
     *
     * @param table a table name
     * @return the day, when the name is one of a content table
     */
    static Optional<LocalDate> parseContent(final String table) {
        return parse(CONTENT, table);
    }

    private static Optional<LocalDate> parse(final Pattern pattern, final String table) {
        final Matcher matcher = pattern.matcher(table);
        if (!matcher.matches()) {
            return Optional.empty();
        }
        try {
            return Optional.of(LocalDate.of(Integer.parseInt(matcher.group(1)),
                    Integer.parseInt(matcher.group(2)), Integer.parseInt(matcher.group(3))));
        } catch (final java.time.DateTimeException e) {
            return Optional.empty();
        }
    }

    /**
     * The start of the retention window: data older than this may go.
     *
     * @param nowMs now
     * @param retentionDays days kept
     * @return epoch milliseconds
     */
    static long cutoff(final long nowMs, final int retentionDays) {
        return nowMs - Math.max(1, retentionDays) * DAY_MS;
    }

    /**
     * Whether a day is entirely older than the retention window (it is then dropped whole).
     * Rows are kept at least {@code retentionDays} days and at most one day more.
     *
     * @param day the day
     * @param nowMs now
     * @param retentionDays days kept
     * @return {@code true} when the day goes
     */
    static boolean expired(final LocalDate day, final long nowMs, final int retentionDays) {
        return start(day.plusDays(1)) <= cutoff(nowMs, retentionDays);
    }

    /**
     * The days among {@code days} that leave the retention window.
     *
     * @param days the existing days
     * @param nowMs now
     * @param retentionDays days kept
     * @return the days to drop, oldest first
     */
    static List<LocalDate> expired(final Collection<LocalDate> days, final long nowMs,
            final int retentionDays) {
        final List<LocalDate> expired = new ArrayList<>();
        for (final LocalDate day : days) {
            if (expired(day, nowMs, retentionDays)) {
                expired.add(day);
            }
        }
        expired.sort(null);
        return expired;
    }

    /**
     * How a report reads one day between {@code fromMs} and {@code toMs}: whole hours from the
     * hourly rollups, the partial hours at either end from the request rows.
     *
     * @param day the day
     * @param fromMs the report's start (inclusive)
     * @param toMs the report's end (exclusive)
     * @return the plan, or empty when the day is outside the range
     */
    static Optional<Plan> plan(final LocalDate day, final long fromMs, final long toMs) {
        final long lo = Math.max(fromMs, start(day));
        final long hi = Math.min(toMs, start(day.plusDays(1)));
        if (lo >= hi) {
            return Optional.empty();
        }
        final long firstHour = Math.floorDiv(lo + HOUR_MS - 1, HOUR_MS) * HOUR_MS;
        final long lastHour = Math.floorDiv(hi, HOUR_MS) * HOUR_MS;
        final List<long[]> raw = new ArrayList<>();
        if (firstHour >= lastHour) {
            raw.add(new long[] {lo, hi});
            return Optional.of(new Plan(day, null, raw));
        }
        if (lo < firstHour) {
            raw.add(new long[] {lo, firstHour});
        }
        if (lastHour < hi) {
            raw.add(new long[] {lastHour, hi});
        }
        return Optional.of(new Plan(day, new long[] {firstHour, lastHour}, raw));
    }

    /**
     * The reading plan of one day.
     *
     * @param day the day
     * @param hours the whole hours read from the rollups {@code [from, to)}, or {@code null}
     * @param raw the ranges read from the request rows, each {@code [from, to)}
     */
    record Plan(LocalDate day, long[] hours, List<long[]> raw) {
    }

    /**
     * Replaces the known days.
     *
     * @param known the days that exist
     */
    void reset(final Collection<LocalDate> known) {
        days.clear();
        days.addAll(known);
    }

    boolean contains(final LocalDate day) {
        return days.contains(day);
    }

    void add(final LocalDate day) {
        days.add(day);
    }

    void remove(final LocalDate day) {
        days.remove(day);
    }

    /**
     * The existing days overlapping a range, oldest first.
     *
     * @param fromMs start (inclusive)
     * @param toMs end (exclusive)
     * @return the days
     */
    List<LocalDate> overlapping(final long fromMs, final long toMs) {
        if (fromMs >= toMs) {
            return List.of();
        }
        return new ArrayList<>(days.subSet(day(fromMs), true, day(toMs - 1), true));
    }

    /**
     * Every existing day, oldest first.
     *
     * @return the days
     */
    List<LocalDate> all() {
        return new ArrayList<>(days);
    }
}
