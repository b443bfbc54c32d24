package lodestar.usage.internal;

import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.sql.DataSource;

/**
 * Reports over the day partitions. Each day in range is read from its hourly rollups for whole
 * hours and from its request rows for the partial hours at either end, so a report costs about
 * the same whether the range holds a thousand requests or millions, and is exact to the
 * millisecond. Days dropped by retention while a report runs are skipped. Stored content
 * (opt-in) is read from its own day tables, by time or by request id.
 */
final class Reports {

    /** H2's error code for a missing table. */
    private static final int TABLE_NOT_FOUND = 42102;

    private final DataSource dataSource;
    private final Partitions partitions;
    private final Partitions contentPartitions;

    Reports(final DataSource dataSource, final Partitions partitions,
            final Partitions contentPartitions) {
        this.dataSource = dataSource;
        this.partitions = partitions;
        this.contentPartitions = contentPartitions;
    }

    /** How requests are grouped. */
    enum GroupBy {
        /** The served model. */
        MODEL("COALESCE(model, '')", "model", 1),
        /** The provider. */
        PROVIDER("COALESCE(provider_id, '')", "provider_id", 1),
        /** The routing strategy. */
        STRATEGY("COALESCE(strategy, '')", "strategy", 1),
        /** The UTC day. */
        DAY(null, null, 0),
        /** The session (requests without a session id are left out). */
        SESSION("session_key, session_start_ms", "session_key, session_start_ms", 2),
        /** One total. */
        NONE(null, null, 0);

        private final String rawKey;
        private final String rollupKey;
        private final int keys;

        GroupBy(final String rawKey, final String rollupKey, final int keys) {
            this.rawKey = rawKey;
            this.rollupKey = rollupKey;
            this.keys = keys;
        }

        /**
         * The name used in parameters.
         *
         * @return the lower-case name
         */
        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * One group of a report.
     *
     * @param key the group's key ({@code ""} when the requests had none)
     * @param aggregate its figures
     */
    record Group(String key, Aggregate aggregate) {
    }

    /**
     * One session (its figures within the report's range).
     *
     * @param key the session key (a keyed hash unless anonymisation is off)
     * @param startMs when the session started
     * @param client the client key, or {@code null}
     * @param aggregate its figures
     */
    record Session(String key, long startMs, String client, Aggregate aggregate) {
    }

    /**
     * One model switch.
     *
     * @param tsMs when the switching request arrived
     * @param requestId its request id
     * @param session the session key
     * @param sessionStartMs the session's start
     * @param provider the provider that served it
     * @param from the previous model
     * @param to the new model
     */
    record Switch(long tsMs, String requestId, String session, long sessionStartMs,
            String provider, String from, String to) {
    }

    /**
     * One stored exchange.
     *
     * @param requestId the request id
     * @param tsMs when the request arrived, epoch ms
     * @param session the session key (a keyed hash unless anonymisation is off), or
     *     {@code null}
     * @param provider the provider that answered
     * @param model the model that answered
     * @param finishReason the answer's finish reason, or {@code null}
     * @param request the canonical request, JSON text, or {@code null}
     * @param answer the canonical answer, JSON text, or {@code null}
     */
    record Content(String requestId, long tsMs, String session, String provider, String model,
            String finishReason, String request, String answer) {

        static Content of(final ResultSet r) throws SQLException {
            return new Content(r.getString(1), r.getLong(2), r.getString(3), r.getString(4),
                    r.getString(5), r.getString(6), r.getString(7), r.getString(8));
        }
    }

    /** Receives stored exchanges one at a time. */
    interface ContentSink {
        /**
         * Takes one exchange.
         *
         * @param content the exchange
         * @throws IOException when it cannot be written out
         */
        void accept(Content content) throws IOException;
    }

    /** Receives exported rows one at a time. */
    interface RowSink {
        /**
         * Takes the current row ({@link UsageWriter#COLUMNS} order).
         *
         * @param row the result, on a row
         * @throws IOException when the row cannot be written out
         * @throws SQLException on a database error
         */
        void accept(ResultSet row) throws IOException, SQLException;
    }

    /**
     * Requests grouped.
     *
     * @param fromMs start (inclusive)
     * @param toMs end (exclusive)
     * @param by the grouping
     * @return the groups: by cost then requests, days in order
     * @throws SQLException on a database error
     */
    List<Group> usage(final long fromMs, final long toMs, final GroupBy by) throws SQLException {
        return usage(fromMs, toMs, by, Integer.MAX_VALUE);
    }

    /**
     * Requests grouped, at most {@code limit} groups (sessions: the most recent).
     *
     * @param fromMs start (inclusive)
     * @param toMs end (exclusive)
     * @param by the grouping
     * @param limit most groups returned
     * @return the groups: by cost then requests, days in order, sessions most recent first
     * @throws SQLException on a database error
     */
    List<Group> usage(final long fromMs, final long toMs, final GroupBy by, final int limit)
            throws SQLException {
        if (by == GroupBy.SESSION) {
            return sessions(fromMs, toMs, limit).stream()
                    .map(s -> new Group(s.key(), s.aggregate())).toList();
        }
        final Map<String, Aggregate> groups = new LinkedHashMap<>();
        try (Connection connection = dataSource.getConnection()) {
            for (final LocalDate day : partitions.overlapping(fromMs, toMs)) {
                final Partitions.Plan plan = Partitions.plan(day, fromMs, toMs).orElse(null);
                if (plan == null) {
                    continue;
                }
                final String dayKey = day.toString();
                readDay(connection, plan, by, "_hourly", "", (key, aggregate) -> groups.merge(
                        by == GroupBy.DAY ? dayKey : by == GroupBy.NONE ? "" : (String) key.get(0),
                        aggregate, Aggregate::merge));
            }
        }
        final List<Group> result = new ArrayList<>();
        groups.forEach((key, aggregate) -> result.add(new Group(key, aggregate)));
        if (by == GroupBy.DAY) {
            result.sort(Comparator.comparing(Group::key));
        } else {
            result.sort(Comparator.comparingDouble((Group g) -> -g.aggregate().usd(
                    Measure.COST_USD)).thenComparingLong(g -> -g.aggregate().requests())
                    .thenComparing(Group::key));
        }
        return result.size() > limit ? List.copyOf(result.subList(0, Math.max(0, limit)))
                : result;
    }

    /**
     * The total of a range.
     *
     * @param fromMs start (inclusive)
     * @param toMs end (exclusive)
     * @return the figures (zero requests when none)
     * @throws SQLException on a database error
     */
    Aggregate total(final long fromMs, final long toMs) throws SQLException {
        final List<Group> groups = usage(fromMs, toMs, GroupBy.NONE);
        return groups.isEmpty() ? new Aggregate() : groups.get(0).aggregate();
    }

    /**
     * Sessions active in a range, most recently active first. Days are read newest first and
     * reading stops as soon as the {@code limit} most recent sessions are known in full, so a
     * short list costs a day or two of rollups however long the range.
     *
     * @param fromMs start (inclusive)
     * @param toMs end (exclusive)
     * @param limit most sessions returned
     * @return the sessions
     * @throws SQLException on a database error
     */
    List<Session> sessions(final long fromMs, final long toMs, final int limit)
            throws SQLException {
        final Map<List<Object>, Aggregate> groups = new HashMap<>();
        final Map<List<Object>, String> clients = new HashMap<>();
        final List<LocalDate> days = partitions.overlapping(fromMs, toMs);
        try (Connection connection = dataSource.getConnection()) {
            for (int d = days.size() - 1; d >= 0; d--) {
                final Partitions.Plan plan = Partitions.plan(days.get(d), fromMs, toMs)
                        .orElse(null);
                if (plan == null) {
                    continue;
                }
                readDay(connection, plan, GroupBy.SESSION, "_sessions",
                        ", MIN(client_key)", (key, aggregate) -> {
                            final List<Object> id = List.of(key.get(0), key.get(1));
                            groups.merge(id, aggregate, Aggregate::merge);
                            if (key.get(2) != null) {
                                clients.putIfAbsent(id, (String) key.get(2));
                            }
                        });
                if (complete(groups, limit, Partitions.start(days.get(d).plusDays(1)))) {
                    break;
                }
            }
        }
        return mostRecent(groups, limit).stream()
                .map(e -> new Session((String) e.getKey().get(0),
                        ((Number) e.getKey().get(1)).longValue(), clients.get(e.getKey()),
                        e.getValue()))
                .toList();
    }

    private static List<Map.Entry<List<Object>, Aggregate>> mostRecent(
            final Map<List<Object>, Aggregate> groups, final int limit) {
        // a total order (ties broken by key, then start): the same sessions come first
        // whether every day was read or only the most recent ones
        return groups.entrySet().stream()
                .sorted(Comparator.comparingLong((Map.Entry<List<Object>, Aggregate> e) ->
                        -e.getValue().get(Measure.LAST_MS))
                        .thenComparing(e -> (String) e.getKey().get(0))
                        .thenComparingLong(e -> ((Number) e.getKey().get(1)).longValue()))
                .limit(Math.max(0, limit))
                .toList();
    }

    /**
     * Whether the {@code limit} most recent sessions seen are known in full once every day from
     * the one ending at {@code boundary} on has been read: each started at or after the
     * boundary (a request lasts less than a day, so none of their rows is in an older day)
     * and was last active after it (a session not seen yet has every request in an older day,
     * so it ended before the boundary).
     */
    private static boolean complete(final Map<List<Object>, Aggregate> groups, final int limit,
            final long boundary) {
        if (groups.size() < limit) {
            return false;
        }
        for (final Map.Entry<List<Object>, Aggregate> e : mostRecent(groups, limit)) {
            if (((Number) e.getKey().get(1)).longValue() < boundary
                    || e.getValue().get(Measure.FIRST_MS) < boundary
                    || e.getValue().get(Measure.LAST_MS) < boundary) {
                return false;
            }
        }
        return true;
    }

    /** Receives one group of one day. */
    private interface GroupSink {
        void accept(List<Object> key, Aggregate aggregate);
    }

    private void readDay(final Connection connection, final Partitions.Plan plan,
            final GroupBy by, final String rollup, final String extra, final GroupSink sink)
            throws SQLException {
        final String raw = Partitions.raw(plan.day());
        final String where = by == GroupBy.SESSION ? " AND session_key IS NOT NULL" : "";
        try {
            if (plan.hours() != null) {
                query(connection, select(by.rollupKey, extra, Measure.rollupSelect(), raw + rollup,
                        "hour_ms", ""), plan.hours(), keyCount(by, extra), sink);
            }
            for (final long[] range : plan.raw()) {
                query(connection, select(by.rawKey, extra, Measure.rawSelect(), raw, "ts_ms",
                        where), range, keyCount(by, extra), sink);
            }
        } catch (final SQLException e) {
            if (e.getErrorCode() != TABLE_NOT_FOUND) {
                throw e;
            }
            // the day was dropped by retention meanwhile
        }
    }

    private static int keyCount(final GroupBy by, final String extra) {
        return by.keys + (extra.isEmpty() ? 0 : 1);
    }

    private static String select(final String key, final String extra, final String measures,
            final String table, final String time, final String where) {
        final StringBuilder sql = new StringBuilder("SELECT ");
        if (key != null) {
            sql.append(key).append(extra).append(", ");
        }
        sql.append(measures).append(" FROM ").append(table).append(" WHERE ").append(time)
                .append(" >= ? AND ").append(time).append(" < ?").append(where);
        if (key != null) {
            sql.append(" GROUP BY ").append(key);
        }
        return sql.toString();
    }

    private static void query(final Connection connection, final String sql, final long[] range,
            final int keys, final GroupSink sink) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(sql)) {
            select.setLong(1, range[0]);
            select.setLong(2, range[1]);
            try (ResultSet result = select.executeQuery()) {
                while (result.next()) {
                    final Aggregate aggregate = Aggregate.read(result, keys + 1);
                    if (aggregate.requests() == 0) {
                        continue;
                    }
                    final List<Object> key = new ArrayList<>(keys);
                    for (int i = 1; i <= keys; i++) {
                        key.add(result.getObject(i));
                    }
                    sink.accept(key, aggregate);
                }
            }
        }
    }

    /**
     * Model switches in a range, newest first.
     *
     * @param fromMs start (inclusive)
     * @param toMs end (exclusive)
     * @param limit most returned
     * @return the switches
     * @throws SQLException on a database error
     */
    List<Switch> switches(final long fromMs, final long toMs, final int limit)
            throws SQLException {
        final List<Switch> result = new ArrayList<>();
        final List<LocalDate> days = partitions.overlapping(fromMs, toMs);
        try (Connection connection = dataSource.getConnection()) {
            for (int d = days.size() - 1; d >= 0 && result.size() < limit; d--) {
                try (PreparedStatement select = connection.prepareStatement("SELECT ts_ms, "
                        + "request_id, session_key, session_start_ms, provider_id, from_model, "
                        + "to_model FROM " + Partitions.raw(days.get(d)) + "_switches WHERE "
                        + "ts_ms >= ? AND ts_ms < ? ORDER BY ts_ms DESC LIMIT ?")) {
                    select.setLong(1, fromMs);
                    select.setLong(2, toMs);
                    select.setInt(3, limit - result.size());
                    try (ResultSet r = select.executeQuery()) {
                        while (r.next()) {
                            result.add(new Switch(r.getLong(1), r.getString(2), r.getString(3),
                                    r.getLong(4), r.getString(5), r.getString(6),
                                    r.getString(7)));
                        }
                    }
                } catch (final SQLException e) {
                    if (e.getErrorCode() != TABLE_NOT_FOUND) {
                        throw e;
                    }
                }
            }
        }
        return result;
    }

    /**
     * The most recent requests of a range, newest first, in the export's columns.
     *
     * @param fromMs start (inclusive)
     * @param toMs end (exclusive)
     * @param limit most returned
     * @param sink receives each row
     * @return the number of rows
     * @throws SQLException on a database error
     * @throws IOException when the sink fails
     */
    int recent(final long fromMs, final long toMs, final int limit, final RowSink sink)
            throws SQLException, IOException {
        int count = 0;
        final List<LocalDate> days = partitions.overlapping(fromMs, toMs);
        try (Connection connection = dataSource.getConnection()) {
            for (int d = days.size() - 1; d >= 0 && count < limit; d--) {
                try (PreparedStatement select = connection.prepareStatement("SELECT "
                        + UsageWriter.COLUMNS + " FROM " + Partitions.raw(days.get(d))
                        + " WHERE ts_ms >= ? AND ts_ms < ? ORDER BY ts_ms DESC, request_id DESC "
                        + "LIMIT ?")) {
                    select.setLong(1, fromMs);
                    select.setLong(2, toMs);
                    select.setInt(3, limit - count);
                    try (ResultSet result = select.executeQuery()) {
                        while (result.next()) {
                            sink.accept(result);
                            count++;
                        }
                    }
                } catch (final SQLException e) {
                    if (e.getErrorCode() != TABLE_NOT_FOUND) {
                        throw e;
                    }
                }
            }
        }
        return count;
    }

    /**
     * Streams every request of a range, oldest first, one row at a time (H2 lazy query
     * execution: memory does not grow with the number of rows).
     *
     * @param fromMs start (inclusive)
     * @param toMs end (exclusive)
     * @param sink receives each row
     * @return the number of rows
     * @throws SQLException on a database error
     * @throws IOException when the sink fails
     */
    long export(final long fromMs, final long toMs, final RowSink sink)
            throws SQLException, IOException {
        long count = 0;
        try (Connection connection = dataSource.getConnection()) {
            lazy(connection, true);
            try {
                for (final LocalDate day : partitions.overlapping(fromMs, toMs)) {
                    try (PreparedStatement select = connection.prepareStatement("SELECT "
                            + UsageWriter.COLUMNS + " FROM " + Partitions.raw(day)
                            + " WHERE ts_ms >= ? AND ts_ms < ? ORDER BY ts_ms")) {
                        select.setFetchSize(500);
                        select.setLong(1, fromMs);
                        select.setLong(2, toMs);
                        try (ResultSet result = select.executeQuery()) {
                            while (result.next()) {
                                sink.accept(result);
                                count++;
                            }
                        }
                    } catch (final SQLException e) {
                        if (e.getErrorCode() != TABLE_NOT_FOUND) {
                            throw e;
                        }
                    }
                }
            } finally {
                lazy(connection, false);
            }
        }
        return count;
    }

    /**
     * The stored exchanges of a range, oldest first, one at a time (H2 lazy query execution:
     * memory does not grow with the number of exchanges).
     *
     * @param fromMs start (inclusive)
     * @param toMs end (exclusive)
     * @param limit most returned
     * @param sink receives each exchange
     * @return the number of exchanges
     * @throws SQLException on a database error
     * @throws IOException when the sink fails
     */
    long content(final long fromMs, final long toMs, final int limit, final ContentSink sink)
            throws SQLException, IOException {
        long count = 0;
        try (Connection connection = dataSource.getConnection()) {
            lazy(connection, true);
            try {
                for (final LocalDate day : contentPartitions.overlapping(fromMs, toMs)) {
                    if (count >= limit) {
                        break;
                    }
                    try (PreparedStatement select = connection.prepareStatement("SELECT "
                            + ContentWriter.COLUMNS + " FROM " + Partitions.content(day)
                            + " WHERE ts_ms >= ? AND ts_ms < ? ORDER BY ts_ms, request_id "
                            + "LIMIT ?")) {
                        select.setFetchSize(100);
                        select.setLong(1, fromMs);
                        select.setLong(2, toMs);
                        select.setLong(3, limit - count);
                        try (ResultSet result = select.executeQuery()) {
                            while (result.next()) {
                                sink.accept(Content.of(result));
                                count++;
                            }
                        }
                    } catch (final SQLException e) {
                        if (e.getErrorCode() != TABLE_NOT_FOUND) {
                            throw e;
                        }
                    }
                }
            } finally {
                lazy(connection, false);
            }
        }
        return count;
    }

    /**
     * The stored exchanges of one request id, newest day first (normally one).
     *
     * @param requestId the request id
     * @return the exchanges
     * @throws SQLException on a database error
     */
    List<Content> content(final String requestId) throws SQLException {
        final List<Content> found = new ArrayList<>();
        final List<LocalDate> days = contentPartitions.all();
        try (Connection connection = dataSource.getConnection()) {
            for (int d = days.size() - 1; d >= 0; d--) {
                try (PreparedStatement select = connection.prepareStatement("SELECT "
                        + ContentWriter.COLUMNS + " FROM " + Partitions.content(days.get(d))
                        + " WHERE request_id = ? ORDER BY ts_ms")) {
                    select.setString(1, requestId);
                    try (ResultSet result = select.executeQuery()) {
                        while (result.next()) {
                            found.add(Content.of(result));
                        }
                    }
                } catch (final SQLException e) {
                    if (e.getErrorCode() != TABLE_NOT_FOUND) {
                        throw e;
                    }
                }
            }
        }
        return found;
    }

    private static void lazy(final Connection connection, final boolean on) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute("SET LAZY_QUERY_EXECUTION " + (on ? "TRUE" : "FALSE"));
        }
    }

    /**
     * The price table versions recorded, newest first.
     *
     * @param limit most returned
     * @return version, content hash, creation time and entry count of each
     * @throws SQLException on a database error
     */
    List<Object[]> priceVersions(final int limit) throws SQLException {
        final List<Object[]> versions = new ArrayList<>();
        try (Connection connection = dataSource.getConnection();
                PreparedStatement select = connection.prepareStatement("SELECT version, "
                        + "content_hash, created_ms, entries FROM usage_price_table "
                        + "ORDER BY version DESC LIMIT ?")) {
            select.setInt(1, limit);
            try (ResultSet r = select.executeQuery()) {
                while (r.next()) {
                    versions.add(new Object[] {r.getInt(1), r.getString(2), r.getLong(3),
                        r.getInt(4)});
                }
            }
        }
        return versions;
    }
}
