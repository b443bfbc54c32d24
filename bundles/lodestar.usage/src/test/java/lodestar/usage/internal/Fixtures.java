package lodestar.usage.internal;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import lodestar.api.event.RequestEvent;
import org.h2.jdbcx.JdbcConnectionPool;
import org.h2.jdbcx.JdbcDataSource;
import org.osgi.util.converter.Converters;

/** Configurations, events, databases and waiting, for the unit tests. */
final class Fixtures {

    /** 2026-11-26T10:00:00Z. */
    static final long T0 = Instant.parse("2026-11-26T10:00:00Z").toEpochMilli();

    private Fixtures() {
    }

    static Map<String, Object> map(final Object... keyValues) {
        final Map<String, Object> map = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            map.put((String) keyValues[i], keyValues[i + 1]);
        }
        return map;
    }

    static UsageConfig config(final Object... keyValues) {
        final Map<String, Object> map = map("flushMillis", 20L);
        map.putAll(map(keyValues));
        return Converters.standardConverter().convert(map).to(UsageConfig.class);
    }

    static PriceCatalog prices(final Object... keyValues) {
        return new PriceCatalog(map(keyValues));
    }

    /** The sample's prices for two models and a free provider. */
    static PriceCatalog samplePrices() {
        return prices("price.gpt-4o", "input=2.5,output=10,cached=1.25",
                "price.claude-sonnet-4-5-20250929",
                "input=3,output=15,cached=0.3,cacheWrite=3.75",
                "provider.ollama", "input=0,output=0");
    }

    static JdbcConnectionPool database(final Path dir) {
        final JdbcDataSource source = new JdbcDataSource();
        source.setURL("jdbc:h2:file:" + dir.resolve("lodestar").toAbsolutePath()
                + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0");
        source.setUser("sa");
        return JdbcConnectionPool.create(source);
    }

    static RequestEvent event(final String id, final long tsMs, final String session,
            final String provider, final String model, final long input, final long output) {
        return event(id, tsMs, session, provider, model, input, output, 200, null, 0.5);
    }

    static RequestEvent event(final String id, final long tsMs, final String session,
            final String provider, final String model, final long input, final long output,
            final int status, final Double cost, final Double baseline) {
        return new RequestEvent(id, Instant.ofEpochMilli(tsMs), "/v1/chat/completions",
                session, "client-a", "auto", provider, model, "cheapest", "cheapest meeting "
                        + "tools", true, false,
                new RequestEvent.TokenCounts(input, output, 0, 0, false),
                Duration.ofMillis(1000), Duration.ofMillis(200), status,
                status == 200 ? null : "upstream_error", 1, cost, baseline);
    }

    static void waitFor(final BooleanSupplier condition, final String what) {
        final long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return;
            }
            try {
                Thread.sleep(10);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
        throw new AssertionError("timed out waiting for " + what);
    }

    static long count(final JdbcConnectionPool db, final String sql) throws SQLException {
        try (Connection c = db.getConnection(); Statement s = c.createStatement();
                ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getLong(1);
        }
    }

    /** A settable clock. */
    static final class Clock extends AtomicLong {
        private static final long serialVersionUID = 1L;

        Clock(final long start) {
            super(start);
        }
    }
}
