package lodestar.usage.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;

class SchemaTest {

    private static Connection memory(final String name) throws Exception {
        final JdbcDataSource source = new JdbcDataSource();
        source.setURL("jdbc:h2:mem:" + name);
        return source.getConnection();
    }

    @Test
    void scriptsSplitIntoStatementsWithoutComments() {
        assertThat(Schema.statements("-- a comment\nCREATE TABLE a (x INT);\n\n  -- more\n"
                + "INSERT INTO a\n  VALUES (1);\nSELECT 1")).containsExactly(
                "CREATE TABLE a (x INT)", "INSERT INTO a\n  VALUES (1)", "SELECT 1");
        assertThat(Schema.resource("V999.sql")).isNull();
    }

    @Test
    void migrationsRunOnceInOrderAndAreRecorded() throws Exception {
        try (Connection c = memory("migrate")) {
            assertThat(Schema.migrate(c)).isEqualTo(1);
            assertThat(Schema.migrate(c)).as("nothing left to apply").isEqualTo(1);
            try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(
                    "SELECT version, description FROM usage_schema_version")) {
                assertThat(r.next()).isTrue();
                assertThat(r.getInt(1)).isEqualTo(1);
                assertThat(r.getString(2)).startsWith("Base schema");
                assertThat(r.next()).isFalse();
            }
            assertThat(c.getAutoCommit()).isTrue();
        }
    }

    @Test
    void partitionsAreCreatedFoundViewedAndDroppedWhole() throws Exception {
        try (Connection c = memory("partitions")) {
            Schema.migrate(c);
            final LocalDate a = LocalDate.of(2026, 11, 25);
            final LocalDate b = LocalDate.of(2026, 11, 26);
            Schema.createPartition(c, a);
            Schema.createPartition(c, b);
            Schema.createPartition(c, b);
            assertThat(Schema.partitions(c)).containsExactly(a, b);
            Schema.refreshView(c, List.of(b, a));
            try (Statement s = c.createStatement()) {
                s.execute("INSERT INTO usage_2026_11_25 (request_id, ts_ms, streamed, cache_hit,"
                        + " input_tokens, output_tokens, cached_tokens, cache_creation_tokens, "
                        + "tokens_estimated, latency_ms, status, attempts) VALUES ('r', 1, "
                        + "FALSE, FALSE, 1, 2, 0, 0, FALSE, 5, 200, 1)");
                try (ResultSet r = s.executeQuery("SELECT COUNT(*) FROM usage_all")) {
                    r.next();
                    assertThat(r.getInt(1)).isEqualTo(1);
                }
            }
            Schema.refreshView(c, List.of(b));
            Schema.dropPartition(c, a);
            assertThat(Schema.partitions(c)).containsExactly(b);
            Schema.refreshView(c, List.of());
            Schema.dropPartition(c, b);
            assertThat(Schema.partitions(c)).isEmpty();
        }
    }

    @Test
    void contentTablesAreCreatedFoundAndDroppedApartFromTheRequestDays() throws Exception {
        try (Connection c = memory("content")) {
            Schema.migrate(c);
            final LocalDate a = LocalDate.of(2026, 11, 25);
            final LocalDate b = LocalDate.of(2026, 11, 26);
            Schema.createPartition(c, b);
            Schema.createContentPartition(c, a);
            Schema.createContentPartition(c, b);
            Schema.createContentPartition(c, b);
            assertThat(Schema.contentPartitions(c)).containsExactly(a, b);
            assertThat(Schema.partitions(c)).as("content days are not request days")
                    .containsExactly(b);
            final List<String> columns = new ArrayList<>();
            try (ResultSet r = c.getMetaData().getColumns(null, null, "USAGE_CONTENT_2026_11_26",
                    null)) {
                while (r.next()) {
                    columns.add(r.getString("COLUMN_NAME").toLowerCase(Locale.ROOT));
                }
            }
            assertThat(String.join(", ", columns)).isEqualTo(ContentWriter.COLUMNS);
            Schema.dropContentPartition(c, a);
            assertThat(Schema.contentPartitions(c)).containsExactly(b);
            assertThat(Schema.partitions(c)).containsExactly(b);
        }
    }

    @Test
    void theRollupTablesHoldEveryMeasureInOrder() throws Exception {
        try (Connection c = memory("columns")) {
            Schema.migrate(c);
            Schema.createPartition(c, LocalDate.of(2026, 1, 1));
            final List<String> expected = Arrays.stream(Measure.all()).map(Measure::column)
                    .map(s -> s.toUpperCase(Locale.ROOT)).toList();
            for (final String table : List.of("USAGE_2026_01_01_HOURLY",
                    "USAGE_2026_01_01_SESSIONS")) {
                final List<String> columns = new ArrayList<>();
                try (ResultSet r = c.getMetaData().getColumns(null, null, table, null)) {
                    while (r.next()) {
                        columns.add(r.getString("COLUMN_NAME"));
                    }
                }
                assertThat(columns.subList(columns.size() - expected.size(), columns.size()))
                        .as(table).isEqualTo(expected);
            }
            final List<String> raw = new ArrayList<>();
            try (ResultSet r = c.getMetaData().getColumns(null, null, "USAGE_2026_01_01",
                    null)) {
                while (r.next()) {
                    raw.add(r.getString("COLUMN_NAME").toLowerCase(Locale.ROOT));
                }
            }
            assertThat(String.join(", ", raw)).isEqualTo(UsageWriter.COLUMNS);
        }
    }
}
