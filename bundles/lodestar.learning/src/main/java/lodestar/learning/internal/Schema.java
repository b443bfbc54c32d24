package lodestar.learning.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The learning tables' schema: ordered migration scripts {@code db/V001.sql},
 * {@code V002.sql}... in the bundle, applied once each and recorded in
 * {@code learning_schema_version}.
 */
final class Schema {

    /** The table recording applied migrations. */
    static final String VERSION_TABLE = "learning_schema_version";
    private static final String FOLDER = "/lodestar/learning/db/";

    private Schema() {
    }

    /**
     * Applies every migration not applied yet, in order, each in one transaction.
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
                connection.setAutoCommit(false);
                try (Statement statement = connection.createStatement()) {
                    for (final String sql : statements(script)) {
                        statement.execute(sql);
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
