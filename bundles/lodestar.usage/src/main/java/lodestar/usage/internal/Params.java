package lodestar.usage.internal;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Report parameters, shared by the shell and HTTP: {@code since} and {@code until} (a duration
 * back from now such as {@code 30m}, {@code 24h}, {@code 7d}, {@code 2w}; a UTC date
 * {@code 2026-11-01}; an instant {@code 2026-11-01T10:00:00Z} or with an offset; {@code all}
 * for {@code since}: from the beginning), {@code groupBy} and {@code limit}.
 */
final class Params {

    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})([smhdw])");
    private static final long MAX_BACK_MS = 100L * 366 * Partitions.DAY_MS;
    private static final int MAX_LIMIT = 100_000;
    /** What a time parameter accepts, for error messages. */
    static final String TIME_FORMS = "a duration back from now (30m, 24h, 7d, 2w), a UTC date "
            + "(2026-11-01) or an instant (2026-11-01T10:00:00Z)";

    private Params() {
    }

    /** A parameter that is not valid; names the parameter. */
    static final class Invalid extends Exception {

        private static final long serialVersionUID = 1L;
        private final String param;

        Invalid(final String param, final String message) {
            super(message);
            this.param = param;
        }

        String param() {
            return param;
        }
    }

    /**
     * A time range {@code [fromMs, toMs)}.
     *
     * @param fromMs start, epoch ms (inclusive)
     * @param toMs end, epoch ms (exclusive)
     */
    record Range(long fromMs, long toMs) {

        Instant from() {
            return Instant.ofEpochMilli(fromMs);
        }

        Instant to() {
            return Instant.ofEpochMilli(toMs);
        }
    }

    /**
     * Parses {@code since} and {@code until}.
     *
     * @param since the start, or {@code null}/blank for {@code defaultSince}
     * @param until the end, or {@code null}/blank for now
     * @param defaultSince the start when none is given
     * @param nowMs now
     * @return the range
     * @throws Invalid naming the parameter at fault
     */
    static Range range(final String since, final String until, final String defaultSince,
            final long nowMs) throws Invalid {
        final long to = blank(until) ? nowMs : time("until", until, nowMs);
        final String start = blank(since) ? defaultSince : since.trim();
        final long from = "all".equalsIgnoreCase(start) ? 0 : time("since", start, nowMs);
        if (from >= to) {
            throw new Invalid("since", "since (" + Instant.ofEpochMilli(from)
                    + ") must be before until (" + Instant.ofEpochMilli(to) + ")");
        }
        return new Range(from, to);
    }

    private static boolean blank(final String text) {
        return text == null || text.isBlank();
    }

    /**
     * Parses one time parameter.
     *
     * @param param the parameter's name
     * @param text its value
     * @param nowMs now
     * @return epoch milliseconds
     * @throws Invalid when it is none of the accepted forms
     */
    static long time(final String param, final String text, final long nowMs) throws Invalid {
        final String value = text.trim();
        final Matcher matcher = DURATION.matcher(value.toLowerCase(Locale.ROOT));
        if (matcher.matches()) {
            final long amount = Long.parseLong(matcher.group(1));
            final long unit = switch (matcher.group(2)) {
                case "s" -> 1000L;
                case "m" -> 60_000L;
                case "h" -> Partitions.HOUR_MS;
                case "d" -> Partitions.DAY_MS;
                default -> 7 * Partitions.DAY_MS;
            };
            if (amount > MAX_BACK_MS / unit) {
                throw new Invalid(param, param + ": '" + value + "' reaches back more than 100 "
                        + "years");
            }
            return nowMs - amount * unit;
        }
        try {
            if (value.length() == 10) {
                return LocalDate.parse(value).atStartOfDay().toInstant(ZoneOffset.UTC)
                        .toEpochMilli();
            }
            if (value.endsWith("Z") || value.matches(".*[+-]\\d{2}:\\d{2}$")) {
                return OffsetDateTime.parse(value).toInstant().toEpochMilli();
            }
            return LocalDateTime.parse(value).toInstant(ZoneOffset.UTC).toEpochMilli();
        } catch (final DateTimeException e) {
            throw new Invalid(param, param + ": '" + shorten(value) + "' is not " + TIME_FORMS);
        }
    }

    /**
     * Parses a grouping.
     *
     * @param param the parameter's name
     * @param text the value, or {@code null}/blank for {@code fallback}
     * @param fallback the grouping when none is given
     * @param allowed the groupings accepted
     * @return the grouping
     * @throws Invalid when not one of {@code allowed}
     */
    static Reports.GroupBy groupBy(final String param, final String text,
            final Reports.GroupBy fallback, final Reports.GroupBy... allowed) throws Invalid {
        if (blank(text)) {
            return fallback;
        }
        final String value = text.trim().toLowerCase(Locale.ROOT);
        for (final Reports.GroupBy candidate : allowed) {
            if (candidate.label().equals(value)) {
                return candidate;
            }
        }
        throw new Invalid(param, param + ": '" + shorten(text) + "' is not one of "
                + Arrays.stream(allowed).map(Reports.GroupBy::label)
                        .collect(Collectors.joining(", ")));
    }

    /**
     * Parses a row limit.
     *
     * @param param the parameter's name
     * @param text the value, or {@code null}/blank for {@code fallback}
     * @param fallback the limit when none is given
     * @return the limit
     * @throws Invalid when not a whole number from 1 to 100000
     */
    static int limit(final String param, final String text, final int fallback)
            throws Invalid {
        if (blank(text)) {
            return fallback;
        }
        try {
            final int value = Integer.parseInt(text.trim());
            if (value >= 1 && value <= MAX_LIMIT) {
                return value;
            }
        } catch (final NumberFormatException ignored) {
            // reported below
        }
        throw new Invalid(param, param + ": '" + shorten(text) + "' is not a whole number from 1 "
                + "to " + MAX_LIMIT);
    }

    private static String shorten(final String text) {
        return text.length() > 40 ? text.substring(0, 40) + "..." : text;
    }
}
