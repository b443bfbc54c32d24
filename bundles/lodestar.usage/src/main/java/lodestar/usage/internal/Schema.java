package lodestar.usage.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The usage tables' schema: ordered migration scripts {@code db/V001.sql}, {@code V002.sql}...
 * in the bundle, applied once each and recorded in {@code usage_schema_version}; the day
 * partitions from {@code db/partition.sql}; the {@code usage_all} view over every day; the
 * content day tables (opt-in) from {@code db/content-partition.sql}.
 */
final class Schema {

    /** The table recording applied migrations. */
    static final String VERSION_TABLE = "usage_schema_version";
    /** A UNION ALL of every day's requests, for ad-hoc SQL. */
    static final String VIEW = "usage_all";
    private static final String DAY = "${day}";
    private static final String FOLDER = "/lodestar/usage/db/";

    private Schema() {
    }

    /**
     * Applies every migration not applied yet, in order.
     *
     * @param connection a connection (its auto-commit mode is restored)
     * @return the schema version now
     * @throws SQLException on a database error
     */
    static int migrate(final Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE IF NOT EXISTS " + VERSION_TABLE
                    + " (version INT NOT NULL PRIMARY KEY, description VARCHAR(200) NOT NULL,"
                    + " applied_ms BIGINT NOT NULL)");
        }
        int version = version(connection);
        final boolean autoCommit = connection.getAutoCommit();
        try {
            for (int next = version + 1;; next++) {
                final String script = resource(String.format(Locale.ROOT, "V%03d.sql", next));
                if (script == null) {
                    break;
                }
                final SortedSet<LocalDate> days = partitions(connection);
                connection.setAutoCommit(false);
                try (Statement statement = connection.createStatement()) {
                    for (final String sql : statements(script)) {
                        if (sql.contains(DAY)) {
                            for (final LocalDate day : days) {
                                statement.execute(sql.replace(DAY, Partitions.suffix(day)));
                            }
                        } else {
                            statement.execute(sql);
                        }
                    }
                }
                try (PreparedStatement insert = connection.prepareStatement("INSERT INTO "
                        + VERSION_TABLE + " (version, description, applied_ms) VALUES (?, ?, ?)")) {
                    insert.setInt(1, next);
                    insert.setString(2, description(script));
                    insert.setLong(3, System.currentTimeMillis());
                    insert.executeUpdate();
                }
                connection.commit();
                version = next;
            }
        } catch (final SQLException e) {
            connection.rollback();
            throw e;
        } finally {
            connection.setAutoCommit(autoCommit);
        }
        return version;
    }

    /**
     * The latest applied migration.
     *
     * @param connection a connection
     * @return the version, 0 when none
     * @throws SQLException on a database error
     */
    static int version(final Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("SELECT COALESCE(MAX(version), 0) FROM "
                        + VERSION_TABLE)) {
            result.next();
            return result.getInt(1);
        }
    }

    /**
     * The days whose tables exist.
     *
     * @param connection a connection
     * @return the days, oldest first
     * @throws SQLException on a database error
     */
    static SortedSet<LocalDate> partitions(final Connection connection) throws SQLException {
        final SortedSet<LocalDate> days = new TreeSet<>();
        try (Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("SELECT TABLE_NAME FROM "
                        + "INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = SCHEMA() "
                        + "AND TABLE_NAME LIKE 'USAGE\\_%'")) {
            while (result.next()) {
                Partitions.parse(result.getString(1)).ifPresent(days::add);
            }
        }
        return days;
    }

    /**
     * The days whose content table exists.
     *
     * @param connection a connection
     * @return the days, oldest first
     * @throws SQLException on a database error
     */
    static SortedSet<LocalDate> contentPartitions(final Connection connection)
            throws SQLException {
        final SortedSet<LocalDate> days = new TreeSet<>();
        try (Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("SELECT TABLE_NAME FROM "
                        + "INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = SCHEMA() "
                        + "AND TABLE_NAME LIKE 'USAGE\\_CONTENT\\_%'")) {
            while (result.next()) {
                Partitions.parseContent(result.getString(1)).ifPresent(days::add);
            }
        }
        return days;
    }

    /**
     * Creates a day's content table (DDL: commits what the connection had pending).
     *
     * @param connection a connection
     * @param day the day
     * @throws SQLException on a database error
     */
    static void createContentPartition(final Connection connection, final LocalDate day)
            throws SQLException {
        final String script = resource("content-partition.sql");
        try (Statement statement = connection.createStatement()) {
            for (final String sql : statements(script)) {
                statement.execute(sql.replace(DAY, Partitions.suffix(day)));
            }
        }
    }

    /**
     * Drops a day's content table.
     *
     * @param connection a connection
     * @param day the day
     * @throws SQLException on a database error
     */
    static void dropContentPartition(final Connection connection, final LocalDate day)
            throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute("DROP TABLE IF EXISTS " + Partitions.content(day));
        }
    }

    /**
     * Creates a day's tables (DDL: commits what the connection had pending).
     *
     * @param connection a connection
     * @param day the day
     * @throws SQLException on a database error
     */
    static void createPartition(final Connection connection, final LocalDate day)
            throws SQLException {
        final String script = resource("partition.sql");
        try (Statement statement = connection.createStatement()) {
            for (final String sql : statements(script)) {
                statement.execute(sql.replace(DAY, Partitions.suffix(day)));
            }
        }
    }

    /**
     * Drops a day's tables.
     *
     * @param connection a connection
     * @param day the day
     * @throws SQLException on a database error
     */
    static void dropPartition(final Connection connection, final LocalDate day)
            throws SQLException {
        final String raw = Partitions.raw(day);
        try (Statement statement = connection.createStatement()) {
            for (final String table : List.of(raw + "_switches", raw + "_sessions",
                    raw + "_hourly", raw)) {
                statement.execute("DROP TABLE IF EXISTS " + table);
            }
        }
    }

    /**
     * Points the {@code usage_all} view at the given days (drops it when there are none).
     *
     * @param connection a connection
     * @param days the days
     * @throws SQLException on a database error
     */
    static void refreshView(final Connection connection, final Collection<LocalDate> days)
            throws SQLException {
        try (Statement statement = connection.createStatement()) {
            if (days.isEmpty()) {
                statement.execute("DROP VIEW IF EXISTS " + VIEW);
            } else {
                statement.execute("CREATE OR REPLACE VIEW " + VIEW + " AS " + days.stream()
                        .sorted().map(d -> "SELECT * FROM " + Partitions.raw(d))
                        .collect(Collectors.joining(" UNION ALL ")));
            }
        }
    }

    /**
     * Splits a script into statements: comment lines ({@code --}) and blank lines are
     * skipped, a statement ends with {@code ;} at the end of a line.
     *
     * @param script the script
     * @return the statements, without their {@code ;}
     */
    static List<String> statements(final String script) {
        final List<String> statements = new ArrayList<>();
        final StringBuilder current = new StringBuilder();
        for (final String line : script.split("\n")) {
            final String trimmed = line.trim();
            if (trimmed.isEmpty() || trimmed.startsWith("--")) {
                continue;
            }
            current.append(current.length() == 0 ? "" : "\n").append(line.stripTrailing());
            if (trimmed.endsWith(";")) {
                current.setLength(current.length() - 1);
                statements.add(current.toString());
                current.setLength(0);
            }
        }
        if (!current.toString().isBlank()) {
            statements.add(current.toString());
        }
        return statements;
    }

    private static String description(final String script) {
        for (final String line : script.split("\n")) {
            final String trimmed = line.trim();
            if (trimmed.startsWith("--")) {
                final String text = trimmed.substring(2).trim();
                return text.length() > 200 ? text.substring(0, 200) : text;
            }
        }
        return "";
    }

    /**
     * A script of the bundle.
     *
     * @param name the file name in {@code db/}
     * @return the text, or {@code null} when there is no such script
     */
    static String resource(final String name) {
        try (InputStream in = Schema.class.getResourceAsStream(FOLDER + name)) {
            return in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
