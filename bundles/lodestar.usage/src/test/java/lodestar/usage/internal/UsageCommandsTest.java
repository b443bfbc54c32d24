package lodestar.usage.internal;

import static lodestar.usage.internal.Fixtures.T0;
import static lodestar.usage.internal.Fixtures.event;
import static lodestar.usage.internal.Fixtures.waitFor;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.h2.jdbcx.JdbcConnectionPool;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UsageCommandsTest {

    private static final long MIN = 60_000;

    @TempDir
    Path dir;
    private JdbcConnectionPool db;
    private UsageService usage;
    private UsageCommands commands;

    @BeforeEach
    void start() {
        db = Fixtures.database(dir);
        usage = new UsageService(Fixtures.config(), dir, db, Fixtures.samplePrices(),
                () -> T0 + 30 * MIN);
        commands = new UsageCommands(usage);
        usage.onRequest(event("1", T0, "s1", "openai", "gpt-4o", 1000, 100, 200, null, 0.01));
        usage.onRequest(event("2", T0 + MIN, "s1", "ollama", "llama3.2:3b", 1000, 100, 200,
                null, 0.01));
        usage.onRequest(event("3", T0 + 2 * MIN, "s1", "openai", "gpt-5", 1000, 100, 200,
                0.002, 0.01));
        usage.onRequest(event("4", T0 + 3 * MIN, "s2", "openai", "gpt-6", 1000, 100, 500,
                null, null));
        waitFor(() -> usage.stats().written() == 4, "4 rows");
    }

    @AfterEach
    void stop() {
        usage.deactivate();
        db.dispose();
    }

    @Test
    void usageShowsGroupsTotalsAndUnpricedModels() {
        final String out = commands.usage("7d", "", "model", "50");
        assertThat(out).contains("by model").contains("gpt-4o").contains("llama3.2:3b")
                .contains("TOTAL").contains("1 request(s) with unknown cost")
                .contains("gpt-6 (1)").contains("1 request(s) priced with the provider's own");
        assertThat(commands.usage("7d", "", "provider", "50")).contains("openai")
                .contains("ollama");
        assertThat(commands.usage("all", "", "day", "50")).contains("2026-11-26");
        assertThat(commands.usage("7d", "", "none", "50")).contains("(none)");
        assertThat(commands.usage("7d", "", "session", "50")).contains("TOTAL");
        assertThat(commands.usage("soon", "", "model", "50")).startsWith("error: since:");
        assertThat(commands.usage("7d", "", "colour", "50")).startsWith("error: --by:");
        assertThat(commands.usage("7d", "", "model", "none")).startsWith("error: --limit");
        assertThat(commands.usage("7d", "", "model", "1")).doesNotContain("llama3.2:3b");
    }

    @Test
    void sessionsSavingsAndSwitches() {
        assertThat(commands.sessions("7d", "", "20")).contains("2 session(s) shown")
                .contains("2m01s");
        assertThat(commands.sessions("7d", "", "x")).startsWith("error: --limit");
        assertThat(commands.sessions("1d", "7d", "5")).startsWith("error: since");
        final String savings = commands.savings("7d", "");
        assertThat(savings).contains("requests            4").contains("unpriced requests   1")
                .contains("without baseline    1").contains("over 3 request(s)");
        assertThat(commands.savings("x", "")).startsWith("error:");
        assertThat(commands.switches("7d", "20")).contains("gpt-4o -> llama3.2:3b")
                .contains("llama3.2:3b -> gpt-5").contains("2 switch(es) shown");
        assertThat(commands.switches("7d", "0")).startsWith("error:");
        assertThat(UsageCommands.duration(2 * 3600_000 + 5 * 60_000)).isEqualTo("2h05m");
    }

    @Test
    void pricesShowTheTableInForceAndTheWriter() {
        final String out = commands.prices();
        assertThat(out).contains("price table version 1").contains("gpt-4o")
                .contains("provider  ollama").contains("writer: ok, 4 written");
    }

    @Test
    void exportWritesAJsonArrayOfEveryRow() throws Exception {
        final ExportCommand export = new ExportCommand(usage);
        final Path file = dir.resolve("out/usage.json");
        assertThat((String) export.execute(null, List.of(file.toString(), "--since", "all")))
                .startsWith("exported 4 request(s)");
        final JsonNode rows = new ObjectMapper().readTree(file.toFile());
        assertThat(rows).hasSize(4);
        assertThat(rows.get(0).get("requestId").asText()).isEqualTo("1");
        assertThat(rows.get(0).get("costSource").asText()).isEqualTo("table");
        assertThat(rows.get(0).get("tokens").get("input").asLong()).isEqualTo(1000);
        assertThat(rows.get(3).get("costUsd").isNull()).isTrue();
        assertThat(rows.get(3).get("status").asInt()).isEqualTo(500);
        assertThat(rows.get(1).get("switchedFrom").asText()).isEqualTo("gpt-4o");
        assertThat(Files.list(dir.resolve("out"))).hasSize(1);

        assertThat((String) export.execute(null, List.of(file.toString(), "-s", "1h", "-u",
                "2026-11-26T10:02:00Z"))).startsWith("exported 2 request(s)");
        assertThat((String) export.execute(null, List.of())).contains("FILE is required");
        assertThat((String) export.execute(null, List.of("a", "b"))).contains(
                "unexpected argument 'b'");
        assertThat((String) export.execute(null, List.of("a", "--since", "never")))
                .startsWith("error: since");
        assertThat((String) export.execute(null, List.of(dir.resolve("usage-hmac.key")
                .resolve("x").toString()))).startsWith("error: cannot write");
    }
}
