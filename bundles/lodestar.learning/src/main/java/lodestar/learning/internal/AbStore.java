package lodestar.learning.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * The A/B tables ({@code db/V003.sql}): one row per request the {@code ab} strategy routed, read
 * back as per-arm sums after a restart (with the ratings of those requests from
 * {@code learning_feedback}), and the state of each virtual model's experiment.
 */
final class AbStore {

    /** Requests of the A/B experiments are kept this long. */
    static final long RETENTION_MS = 90L * 24 * 60 * 60 * 1000;

    /** The columns {@link #row} reads, in its order; the table's alias is {@code r}. */
    private static final String ROW_COLUMNS = "r.request_id, r.virtual_model, r.arm, r.target, "
            + "r.at_ms, r.arrived_ms, r.error, r.escalated, r.latency_ms, r.cost_usd";

    /**
     * One routed request.
     *
     * @param requestId the request id
     * @param model the virtual model
     * @param arm {@code live}, {@code candidate} or {@code fallback}
     * @param target the model the arm sent to first
     * @param atMs when it was counted (for the retention and the 24 h of ratings)
     * @param arrivedMs when the request arrived (orders an arm's models)
     * @param error whether it failed
     * @param escalated whether another model served it, or it was retried
     * @param latencyMs its latency
     * @param costUsd its cost, {@code null} when unpriced
     */
    record Row(String requestId, String model, String arm, String target, long atMs,
            long arrivedMs, boolean error, boolean escalated, double latencyMs, Double costUsd) {
    }

    /**
     * The sums of one arm while it sent to one model.
     *
     * @param model the virtual model
     * @param arm the arm
     * @param target the model the arm sent to
     * @param lastArrivedMs when the newest of these requests arrived
     * @param requests requests
     * @param errors failed requests
     * @param escalations escalated requests
     * @param latencySum sum of the latencies (ms)
     * @param latencySquares sum of their squares
     * @param costed requests with a cost
     * @param costSum sum of the costs
     * @param costSquares sum of their squares
     * @param rated rated requests
     * @param positive requests rated above 0
     * @param ratingSum sum of the ratings
     * @param ratingSquares sum of their squares
     */
    record Sums(String model, String arm, String target, long lastArrivedMs, long requests,
            long errors,
            long escalations, double latencySum, double latencySquares, long costed,
            double costSum, double costSquares, long rated, long positive, double ratingSum,
            double ratingSquares) {
    }

    /**
     * A recent request with its rating, to credit a later rating to its arm.
     *
     * @param row the request
     * @param rating its rating, {@code NaN} when unrated
     */
    record Recent(Row row, double rating) {
    }

    /**
     * The state of an experiment.
     *
     * @param model the virtual model
     * @param running whether the candidate gets traffic
     * @param percent the candidate's share while running, {@code null} for the configured one
     * @param changedMs when it was set
     * @param changedBy who set it
     */
    record Experiment(String model, boolean running, Integer percent, long changedMs,
            String changedBy) {

        /** @return {@code running} or {@code stopped}, as stored and reported */
        String state() {
            return running ? "running" : "stopped";
        }
    }

    private final DataSource dataSource;

    AbStore(final DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /**
     * Stores requests, all or none (one transaction, so a failed batch can be retried whole);
     * a request id stored already is replaced, so a batch stored twice counts once.
     *
     * @param rows the requests
     * @throws SQLException on a database error
     */
    void save(final List<Row> rows) throws SQLException {
        if (rows.isEmpty()) {
            return;
        }
        try (Connection connection = dataSource.getConnection()) {
            final boolean autoCommit = connection.getAutoCommit();
            connection.setAutoCommit(false);
            try {
                insertAll(connection, rows);
                connection.commit();
            } catch (final SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            } finally {
                connection.setAutoCommit(autoCommit);
            }
        }
    }

    private static void insertAll(final Connection connection, final List<Row> rows)
            throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("MERGE INTO "
                        + "learning_ab_request (request_id, virtual_model, arm, target, at_ms, "
                        + "arrived_ms, error, escalated, latency_ms, cost_usd) KEY (request_id) "
                        + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            for (final Row row : rows) {
                insert.setString(1, LearningStore.truncate(row.requestId(), 128));
                insert.setString(2, LearningStore.truncate(row.model(), 200));
                insert.setString(3, row.arm());
                insert.setString(4, LearningStore.truncate(row.target(), 300));
                insert.setLong(5, row.atMs());
                insert.setLong(6, row.arrivedMs());
                insert.setBoolean(7, row.error());
                insert.setBoolean(8, row.escalated());
                insert.setDouble(9, row.latencyMs());
                if (row.costUsd() == null) {
                    insert.setNull(10, Types.DOUBLE);
                } else {
                    insert.setDouble(10, row.costUsd());
                }
                insert.addBatch();
            }
            insert.executeBatch();
        }
    }

    /**
     * The per-arm sums of every stored request, the model an arm sent to last, last.
     *
     * @param connection the connection
     * @return the sums
     * @throws SQLException on a database error
     */
    private static List<Sums> sums(final Connection connection) throws SQLException {
        final List<Sums> out = new ArrayList<>();
        try (PreparedStatement query = connection.prepareStatement("SELECT r.virtual_model, "
                        + "r.arm, r.target, MAX(r.arrived_ms) AS last_ms, COUNT(*), "
                        + "SUM(CASE WHEN r.error THEN 1 ELSE 0 END), "
                        + "SUM(CASE WHEN r.escalated THEN 1 ELSE 0 END), SUM(r.latency_ms), "
                        + "SUM(r.latency_ms * r.latency_ms), COUNT(r.cost_usd), "
                        + "COALESCE(SUM(r.cost_usd), 0), "
                        + "COALESCE(SUM(r.cost_usd * r.cost_usd), 0), "
                        + "COUNT(f.rating), SUM(CASE WHEN f.rating > 0 THEN 1 ELSE 0 END), "
                        + "COALESCE(SUM(f.rating), 0), COALESCE(SUM(f.rating * f.rating), 0) "
                        + "FROM learning_ab_request r LEFT JOIN learning_feedback f "
                        + "ON f.request_id = r.request_id "
                        + "GROUP BY r.virtual_model, r.arm, r.target "
                        + "ORDER BY last_ms, MIN(r.at_ms)");
                ResultSet rs = query.executeQuery()) {
            while (rs.next()) {
                out.add(new Sums(rs.getString(1), rs.getString(2), rs.getString(3),
                        rs.getLong(4), rs.getLong(5), rs.getLong(6), rs.getLong(7), rs.getDouble(8),
                        rs.getDouble(9), rs.getLong(10), rs.getDouble(11), rs.getDouble(12),
                        rs.getLong(13), rs.getLong(14), rs.getDouble(15), rs.getDouble(16)));
            }
        }
        return out;
    }

    /**
     * The newest requests since a time, oldest first, with their ratings.
     *
     * @param connection the connection
     * @param sinceMs the oldest time
     * @param limit the most rows
     * @return the requests
     * @throws SQLException on a database error
     */
    private static List<Recent> recent(final Connection connection, final long sinceMs,
            final int limit) throws SQLException {
        final List<Recent> out = new ArrayList<>();
        try (PreparedStatement query = connection.prepareStatement("SELECT " + ROW_COLUMNS
                        + ", f.rating FROM learning_ab_request r "
                        + "LEFT JOIN learning_feedback f ON f.request_id = r.request_id "
                        + "WHERE r.at_ms > ? ORDER BY r.at_ms DESC LIMIT ?")) {
            query.setLong(1, sinceMs);
            query.setInt(2, limit);
            try (ResultSet rs = query.executeQuery()) {
                while (rs.next()) {
                    final Row row = row(rs);
                    final double value = rs.getDouble(11);
                    out.add(new Recent(row, rs.wasNull() ? Double.NaN : value));
                }
            }
        }
        Collections.reverse(out);
        return out;
    }

    /** The request at the result's cursor, from its first columns ({@link #ROW_COLUMNS}). */
    private static Row row(final ResultSet rs) throws SQLException {
        final double cost = rs.getDouble(10);
        final Double costUsd = rs.wasNull() ? null : cost;
        return new Row(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                rs.getLong(5), rs.getLong(6), rs.getBoolean(7), rs.getBoolean(8),
                rs.getDouble(9), costUsd);
    }

    /**
     * The stored row of a request.
     *
     * @param requestId the request id
     * @return the row (its rating not read), or {@code null} when none is stored
     * @throws SQLException on a database error
     */
    Row find(final String requestId) throws SQLException {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement query = connection.prepareStatement("SELECT " + ROW_COLUMNS
                        + " FROM learning_ab_request r WHERE r.request_id = ?")) {
            query.setString(1, requestId);
            try (ResultSet rs = query.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                return row(rs);
            }
        }
    }

    /**
     * What a restarted strategy reads back: the sums and the recent requests, with the ratings
     * of one and the same moment.
     *
     * @param sums per-arm sums of every stored request
     * @param recent the requests of the last 24 h with their ratings, oldest first
     */
    record Snapshot(List<Sums> sums, List<Recent> recent) {
    }

    /**
     * Reads the sums and the recent requests in one serializable read-only transaction, so a
     * rating stored meanwhile is in both or in neither.
     *
     * @param sinceMs the oldest time of the recent requests
     * @param limit the most recent requests
     * @return the snapshot
     * @throws SQLException on a database error
     */
    Snapshot readBack(final long sinceMs, final int limit) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            final boolean autoCommit = connection.getAutoCommit();
            final int isolation = connection.getTransactionIsolation();
            connection.setAutoCommit(false);
            connection.setTransactionIsolation(Connection.TRANSACTION_SERIALIZABLE);
            try {
                final Snapshot snapshot = new Snapshot(sums(connection),
                        recent(connection, sinceMs, limit));
                connection.commit();
                return snapshot;
            } catch (final SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            } finally {
                connection.setTransactionIsolation(isolation);
                connection.setAutoCommit(autoCommit);
            }
        }
    }

    /**
     * Deletes the requests older than the retention.
     *
     * @param nowMs the time now
     * @return the rows deleted
     * @throws SQLException on a database error
     */
    int expire(final long nowMs) throws SQLException {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement delete = connection.prepareStatement(
                        "DELETE FROM learning_ab_request WHERE at_ms < ?")) {
            delete.setLong(1, nowMs - RETENTION_MS);
            return delete.executeUpdate();
        }
    }

    /**
     * Sets the state of a virtual model's experiment.
     *
     * @param experiment the new state
     * @throws SQLException on a database error
     */
    void set(final Experiment experiment) throws SQLException {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement merge = connection.prepareStatement("MERGE INTO "
                        + "learning_experiment (virtual_model, state, candidate_percent, "
                        + "changed_ms, changed_by) KEY (virtual_model) VALUES (?, ?, ?, ?, ?)")) {
            merge.setString(1, experiment.model());
            merge.setString(2, experiment.state());
            if (experiment.percent() == null) {
                merge.setNull(3, Types.INTEGER);
            } else {
                merge.setInt(3, experiment.percent());
            }
            merge.setLong(4, experiment.changedMs());
            merge.setString(5, LearningStore.truncate(experiment.changedBy(), 200));
            merge.executeUpdate();
        }
    }

    /**
     * The experiments whose state was set.
     *
     * @return virtual model to state
     * @throws SQLException on a database error
     */
    Map<String, Experiment> experiments() throws SQLException {
        final Map<String, Experiment> out = new LinkedHashMap<>();
        try (Connection connection = dataSource.getConnection();
                PreparedStatement query = connection.prepareStatement("SELECT virtual_model, "
                        + "state, candidate_percent, changed_ms, changed_by "
                        + "FROM learning_experiment ORDER BY virtual_model");
                ResultSet rs = query.executeQuery()) {
            while (rs.next()) {
                final int percent = rs.getInt(3);
                final Integer share = rs.wasNull() ? null : percent;
                out.put(rs.getString(1), new Experiment(rs.getString(1),
                        "running".equals(rs.getString(2)), share, rs.getLong(4),
                        rs.getString(5)));
            }
        }
        return out;
    }
}
