package lodestar.learning.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The {@code learning_benchmark} table (migration {@code V002}): one row per run and evaluated
 * version, with its state ({@code queued → running → done | failed}), score, per-check results
 * (JSON), the evaluation set's path and SHA-256, who started it and when.
 */
final class BenchmarkStore {

    /** Row states. */
    static final String QUEUED = "queued";
    static final String RUNNING = "running";
    static final String DONE = "done";
    static final String FAILED = "failed";

    private static final String COLUMNS = "run_id, name, version, role, model, state, passed, "
            + "total, errors, score, set_path, set_sha256, results, actor, message, created_ms, "
            + "started_ms, finished_ms";

    /**
     * One evaluated version of a run.
     *
     * @param runId the run
     * @param name the registry name
     * @param version the version
     * @param role {@code target} (the version asked for) or {@code live} (compared with it)
     * @param model the model id sent to the router
     * @param state queued, running, done or failed
     * @param passed prompts passed
     * @param total prompts in the set
     * @param errors prompts whose request failed (counted as not passed)
     * @param score passed / total once done, else {@code null}
     * @param setPath the evaluation set
     * @param setSha256 its SHA-256, once read
     * @param results per-check results (JSON), once done
     * @param actor who started the run
     * @param message why it failed, or a note
     * @param createdMs when it was queued
     * @param startedMs when its evaluation started
     * @param finishedMs when it ended
     */
    record Result(String runId, String name, int version, String role, String model,
            String state, int passed, int total, int errors, Double score, String setPath,
            String setSha256, String results, String actor, String message, long createdMs,
            Long startedMs, Long finishedMs) {

        /** @return how long the evaluation took, or {@code null} before it ended */
        Long durationMs() {
            return startedMs == null || finishedMs == null ? null : finishedMs - startedMs;
        }
    }

    private final LearningStore store;

    BenchmarkStore(final LearningStore store) {
        this.store = store;
    }

    void queue(final String runId, final String name, final int version, final String role,
            final String model, final String setPath, final String actor) throws SQLException {
        try (Connection connection = store.dataSource().getConnection();
                PreparedStatement insert = connection.prepareStatement("INSERT INTO "
                        + "learning_benchmark (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, 0, 0, "
                        + "0, NULL, ?, NULL, NULL, ?, NULL, ?, NULL, NULL)")) {
            insert.setString(1, runId);
            insert.setString(2, name);
            insert.setInt(3, version);
            insert.setString(4, role);
            insert.setString(5, LearningStore.truncate(model, 300));
            insert.setString(6, QUEUED);
            insert.setString(7, LearningStore.truncate(setPath, 2000));
            insert.setString(8, LearningStore.truncate(actor, 200));
            insert.setLong(9, store.now());
            insert.executeUpdate();
        }
    }

    void running(final String runId, final int version, final String sha256)
            throws SQLException {
        try (Connection connection = store.dataSource().getConnection();
                PreparedStatement update = connection.prepareStatement("UPDATE "
                        + "learning_benchmark SET state = ?, started_ms = ?, set_sha256 = ? "
                        + "WHERE run_id = ? AND version = ?")) {
            update.setString(1, RUNNING);
            update.setLong(2, store.now());
            update.setString(3, sha256);
            update.setString(4, runId);
            update.setInt(5, version);
            update.executeUpdate();
        }
    }

    void finish(final String runId, final int version, final String state, final int passed,
            final int total, final int errors, final String results, final String message)
            throws SQLException {
        try (Connection connection = store.dataSource().getConnection();
                PreparedStatement update = connection.prepareStatement("UPDATE "
                        + "learning_benchmark SET state = ?, passed = ?, total = ?, errors = ?, "
                        + "score = ?, results = ?, message = ?, finished_ms = ? WHERE run_id = ? "
                        + "AND version = ?")) {
            update.setString(1, state);
            update.setInt(2, passed);
            update.setInt(3, total);
            update.setInt(4, errors);
            if (DONE.equals(state) && total > 0) {
                update.setDouble(5, (double) passed / total);
            } else {
                update.setNull(5, Types.DOUBLE);
            }
            update.setString(6, results);
            update.setString(7, LearningStore.truncate(message, 2000));
            update.setLong(8, store.now());
            update.setString(9, runId);
            update.setInt(10, version);
            update.executeUpdate();
        }
    }

    /**
     * Fails the rows of runs that were queued or running when Lodestar stopped.
     *
     * @param before only rows queued before this time (epoch ms)
     * @return how many
     * @throws SQLException on a database error
     */
    int failInterrupted(final long before) throws SQLException {
        try (Connection connection = store.dataSource().getConnection();
                PreparedStatement update = connection.prepareStatement("UPDATE "
                        + "learning_benchmark SET state = ?, message = ?, finished_ms = ? "
                        + "WHERE state IN (?, ?) AND created_ms < ?")) {
            update.setString(1, FAILED);
            update.setString(2, "interrupted (Lodestar or the benchmark stopped)");
            update.setLong(3, store.now());
            update.setString(4, QUEUED);
            update.setString(5, RUNNING);
            update.setLong(6, before);
            return update.executeUpdate();
        }
    }

    /**
     * Results, newest first.
     *
     * @param name a name, or {@code null} for all
     * @param version a version, or {@code null} for all of the name
     * @param limit the most rows
     * @return the rows
     * @throws SQLException on a database error
     */
    List<Result> list(final String name, final Integer version, final int limit)
            throws SQLException {
        final StringBuilder sql = new StringBuilder("SELECT " + COLUMNS
                + " FROM learning_benchmark");
        if (name != null) {
            sql.append(" WHERE name = ?");
            if (version != null) {
                sql.append(" AND version = ?");
            }
        }
        sql.append(" ORDER BY created_ms DESC, run_id DESC, version DESC LIMIT ?");
        final List<Result> out = new ArrayList<>();
        try (Connection connection = store.dataSource().getConnection();
                PreparedStatement query = connection.prepareStatement(sql.toString())) {
            int i = 1;
            if (name != null) {
                query.setString(i++, name);
                if (version != null) {
                    query.setInt(i++, version);
                }
            }
            query.setInt(i, Math.max(1, limit));
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    out.add(result(rows));
                }
            }
        }
        return out;
    }

    /**
     * The rows of one run.
     *
     * @param runId the run
     * @return its rows, the target first
     * @throws SQLException on a database error
     */
    List<Result> run(final String runId) throws SQLException {
        final List<Result> out = new ArrayList<>();
        try (Connection connection = store.dataSource().getConnection();
                PreparedStatement query = connection.prepareStatement("SELECT " + COLUMNS
                        + " FROM learning_benchmark WHERE run_id = ? ORDER BY role DESC")) {
            query.setString(1, runId);
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    out.add(result(rows));
                }
            }
        }
        return out;
    }

    /**
     * The latest finished ({@code done}) result of a version.
     *
     * @param name the name
     * @param version the version
     * @param sha256 only on this set, or {@code null} for any
     * @return it, if any
     * @throws SQLException on a database error
     */
    Optional<Result> latestDone(final String name, final int version, final String sha256)
            throws SQLException {
        try (Connection connection = store.dataSource().getConnection();
                PreparedStatement query = connection.prepareStatement("SELECT " + COLUMNS
                        + " FROM learning_benchmark WHERE name = ? AND version = ? AND state = ?"
                        + (sha256 == null ? "" : " AND set_sha256 = ?")
                        + " ORDER BY finished_ms DESC, created_ms DESC LIMIT 1")) {
            query.setString(1, name);
            query.setInt(2, version);
            query.setString(3, DONE);
            if (sha256 != null) {
                query.setString(4, sha256);
            }
            try (ResultSet rows = query.executeQuery()) {
                return rows.next() ? Optional.of(result(rows)) : Optional.empty();
            }
        }
    }

    /**
     * Adds an entry to the model's history ({@code learning_model_event}).
     *
     * @param name the name
     * @param version the version
     * @param action what happened
     * @param actor who did it
     * @param detail more
     * @throws SQLException on a database error
     */
    void event(final String name, final int version, final String action, final String actor,
            final String detail) throws SQLException {
        try (Connection connection = store.dataSource().getConnection();
                PreparedStatement insert = connection.prepareStatement("INSERT INTO "
                        + "learning_model_event (name, version, action, actor, at_ms, detail) "
                        + "VALUES (?, ?, ?, ?, ?, ?)")) {
            insert.setString(1, name);
            insert.setInt(2, version);
            insert.setString(3, action);
            insert.setString(4, LearningStore.truncate(actor, 200));
            insert.setLong(5, store.now());
            insert.setString(6, LearningStore.truncate(detail, 2000));
            insert.executeUpdate();
        }
    }

    private static Result result(final ResultSet rows) throws SQLException {
        return new Result(rows.getString(1), rows.getString(2), rows.getInt(3),
                rows.getString(4), rows.getString(5), rows.getString(6), rows.getInt(7),
                rows.getInt(8), rows.getInt(9), (Double) rows.getObject(10, Double.class),
                rows.getString(11), rows.getString(12), rows.getString(13), rows.getString(14),
                rows.getString(15), rows.getLong(16), (Long) rows.getObject(17, Long.class),
                (Long) rows.getObject(18, Long.class));
    }
}
