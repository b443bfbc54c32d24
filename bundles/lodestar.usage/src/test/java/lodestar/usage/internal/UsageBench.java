package lodestar.usage.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import lodestar.api.event.RequestEvent;
import org.h2.jdbcx.JdbcConnectionPool;
import org.h2.jdbcx.JdbcDataSource;

/**
 * Usage tracking benchmark (plain Java main, run by {@code scripts/bench-usage.sh}; not a unit
 * test): sustained recording rate, reports over a million rows, a kill -9 during writes, and
 * the database file's size under steady traffic with retention.
 */
public final class UsageBench {

    private static final long DAY = Partitions.DAY_MS;
    private static final String[][] TARGETS = {{"openai", "gpt-4o"}, {"openai", "gpt-4o-mini"},
        {"anthropic", "claude-sonnet-4-5-20250929"}, {"ollama", "llama3.2:3b"},
        {"xai", "grok-code-fast-1"}, {"openai", "gpt-5-unpriced"}};

    private UsageBench() {
    }

    /**
     * Runs the benchmark.
     *
     * @param args {@code [WORK_DIR [PARTS]]} (PARTS: digits of the parts to run, default
     *     {@code 1234}), or {@code child DIR} for the process that is killed
     * @throws Exception on failure
     */
    public static void main(final String[] args) throws Exception {
        if (args.length == 2 && "child".equals(args[0])) {
            child(Path.of(args[1]));
            return;
        }
        final Path work = args.length > 0 ? Path.of(args[0])
                : Files.createTempDirectory("bench-usage");
        final String parts = args.length > 1 ? args[1] : "1234";
        System.out.printf(Locale.ROOT, "usage benchmark in %s (Java %s, %d CPUs, max heap %d "
                + "MiB)%n", work, Runtime.version(), Runtime.getRuntime().availableProcessors(),
                Runtime.getRuntime().maxMemory() >> 20);
        if (parts.contains("1")) {
            sustained(work.resolve("sustained"));
        }
        if (parts.contains("2")) {
            millionRows(work.resolve("million"));
        }
        if (parts.contains("3")) {
            kill(work.resolve("kill"));
        }
        if (parts.contains("4")) {
            growth(work.resolve("growth"));
        }
    }

    static JdbcConnectionPool database(final Path dir, final String extra) {
        final JdbcDataSource source = new JdbcDataSource();
        // the store's default URL options
        source.setURL("jdbc:h2:file:" + dir.resolve("lodestar").toAbsolutePath()
                + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0" + extra);
        source.setUser("sa");
        final JdbcConnectionPool pool = JdbcConnectionPool.create(source);
        pool.setMaxConnections(10);
        return pool;
    }

    private static UsageService service(final Path dir, final JdbcConnectionPool db,
            final LongSupplier clock, final Object... config) {
        return new UsageService(Fixtures.config(merge(new Object[] {"flushMillis", 1000L},
                config)), dir, db, prices(), clock);
    }

    private static Object[] merge(final Object[] a, final Object[] b) {
        final Object[] all = new Object[a.length + b.length];
        System.arraycopy(a, 0, all, 0, a.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    private static PriceCatalog prices() {
        return Fixtures.prices("price.gpt-4o", "input=2.5,output=10,cached=1.25",
                "price.gpt-4o-mini", "input=0.15,output=0.6,cached=0.075",
                "price.claude-sonnet-4-5-20250929", "input=3,output=15,cached=0.3,"
                        + "cacheWrite=3.75",
                "price.xai/grok-code-fast-1", "input=0.2,output=1.5,cached=0.02",
                "provider.ollama", "input=0,output=0");
    }

    static RequestEvent event(final long i, final long tsMs) {
        final String[] target = TARGETS[(int) (i % TARGETS.length)];
        return new RequestEvent("bench-" + i, Instant.ofEpochMilli(tsMs),
                "/v1/chat/completions", "session-" + (i / 40) % 5000, "client-" + i % 7,
                "auto", target[0], target[1], "cheapest", "cheapest meeting tools: "
                        + target[1], i % 3 != 0, i % 50 == 0,
                new RequestEvent.TokenCounts(2000 + i % 3000, 300 + i % 700, i % 1000, 0,
                        false), Duration.ofMillis(400 + i % 2000),
                Duration.ofMillis(80 + i % 300), i % 40 == 0 ? 502 : 200,
                i % 40 == 0 ? "upstream_error" : null, 1, i % 2 == 0 ? 0.001 : null, 0.02);
    }

    private static void await(final UsageService usage, final long count, final Duration max)
            throws InterruptedException {
        final long deadline = System.nanoTime() + max.toNanos();
        while (usage.stats().written() + usage.stats().expired() < count
                && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
    }

    /** Paced 5,000 events/s for 20 s, then as fast as the writer takes them. */
    private static void sustained(final Path dir) throws Exception {
        Files.createDirectories(dir);
        final JdbcConnectionPool db = database(dir, "");
        final UsageService usage = service(dir, db, System::currentTimeMillis);
        System.out.println();
        System.out.println("1. sustained recording (queueSize 10000, batchSize 500, "
                + "flushMillis 1000)");
        final int rate = 5000;
        final int seconds = 20;
        final long started = System.nanoTime();
        long sent = 0;
        for (int tick = 0; tick < seconds * 100; tick++) {
            final long due = started + TimeUnit.MILLISECONDS.toNanos(10L * tick);
            LockSupport.parkNanos(due - System.nanoTime());
            for (int j = 0; j < rate / 100; j++) {
                usage.onRequest(event(sent, System.currentTimeMillis()));
                sent++;
            }
        }
        final double sendSeconds = (System.nanoTime() - started) / 1e9;
        await(usage, sent, Duration.ofSeconds(30));
        final double doneSeconds = (System.nanoTime() - started) / 1e9;
        UsageWriter.Stats stats = usage.stats();
        System.out.printf(Locale.ROOT, "   paced %d events/s for %.1f s: %d recorded, %d dropped, "
                + "%d batches; all written %.2f s after the first event%n", rate, sendSeconds,
                stats.written(), stats.dropped(), stats.batches(), doneSeconds);

        // saturation: offer only when the queue has room, so nothing is dropped and the rate is
        // the writer's
        final long total = 300_000;
        final long before = stats.written();
        final long t0 = System.nanoTime();
        for (long i = 0; i < total; i++) {
            while (usage.stats().queued() >= 9_900) {
                Thread.onSpinWait();
            }
            usage.onRequest(event(sent + i, System.currentTimeMillis()));
        }
        await(usage, before + total + stats.expired(), Duration.ofMinutes(5));
        final double secondsMax = (System.nanoTime() - t0) / 1e9;
        stats = usage.stats();
        System.out.printf(Locale.ROOT, "   saturated: %d events in %.1f s = %.0f events/s recorded "
                + "(%d dropped)%n", stats.written() - before, secondsMax,
                (stats.written() - before) / secondsMax, stats.dropped());
        usage.deactivate();
        db.dispose();
        System.out.printf(Locale.ROOT, "   database file %.1f MiB for %d rows%n",
                dir.resolve("lodestar.mv.db").toFile().length() / 1048576.0, stats.written());
    }

    /** A million rows over 30 days, then reports over all of them. */
    private static void millionRows(final Path dir) throws Exception {
        Files.createDirectories(dir);
        final JdbcConnectionPool db = database(dir, "");
        final long now = System.currentTimeMillis();
        final UsageService usage = service(dir, db, () -> now);
        System.out.println();
        System.out.println("2. reports over 1,000,000 rows (30 days, 6 models, 5000 sessions)");
        final long rows = 1_000_000;
        final long start = now - 30 * DAY;
        final Reports reports = usage.reports();
        waitFor(() -> usage.stats().ready());
        if (reports.total(0, Long.MAX_VALUE).requests() < rows) {
            final long t0 = System.nanoTime();
            for (long i = 0; i < rows; i++) {
                while (usage.stats().queued() >= 9_900) {
                    Thread.onSpinWait();
                }
                usage.onRequest(event(i, start + i * (30 * DAY / rows)));
            }
            await(usage, rows, Duration.ofMinutes(10));
            final double fill = (System.nanoTime() - t0) / 1e9;
            System.out.printf(Locale.ROOT, "   filled in %.1f s (%.0f events/s), file %.0f "
                    + "MiB%n", fill, rows / fill, dir.resolve("lodestar.mv.db").toFile()
                            .length() / 1048576.0);
        }
        final long from = now - 90 * DAY;
        final long odd = now - 30 * DAY + 6 * Partitions.HOUR_MS + 17 * 60_000 + 4_321;
        time("usage by model, since 90d", () -> reports.usage(from, now + 1,
                Reports.GroupBy.MODEL).size() + " groups, "
                + reports.total(from, now + 1).requests() + " requests");
        time("usage by model, since 90d (again)", () -> reports.usage(from, now + 1,
                Reports.GroupBy.MODEL).size() + " groups");
        time("usage by provider, odd range (raw edges)", () -> reports.usage(odd,
                now - 7 * 60_000 - 123, Reports.GroupBy.PROVIDER).size() + " groups");
        time("usage by day", () -> reports.usage(from, now + 1, Reports.GroupBy.DAY).size()
                + " days");
        time("savings (total)", () -> String.format(Locale.ROOT, "saved %.2f%%",
                reports.total(from, now + 1).savedPercent()));
        time("sessions, top 20 of all", () -> reports.sessions(from, now + 1, 20).size()
                + " shown");
        time("usage by session, 100 most recent (default)", () -> reports.usage(from,
                now + 1, Reports.GroupBy.SESSION, 100).size() + " sessions");
        time("usage by session, every session (no limit)", () -> reports.usage(from, now + 1,
                Reports.GroupBy.SESSION).size() + " sessions");
        time("switches, newest 100", () -> reports.switches(from, now + 1, 100).size()
                + " shown");
        final long[] count = {0};
        final long e0 = System.nanoTime();
        reports.export(from, now + 1, r -> count[0]++);
        System.out.printf(Locale.ROOT, "   %-44s %7.0f ms  (%d rows streamed)%n",
                "export of every row", (System.nanoTime() - e0) / 1e6, count[0]);
        // live heap (after a full GC) every 200,000 rows: flat when the export streams
        final Runtime runtime = Runtime.getRuntime();
        final List<Long> live = new ArrayList<>();
        System.gc();
        live.add((runtime.totalMemory() - runtime.freeMemory()) >> 20);
        final long[] seen = {0};
        reports.export(from, now + 1, r -> {
            if (++seen[0] % 200_000 == 0) {
                System.gc();
                live.add((runtime.totalMemory() - runtime.freeMemory()) >> 20);
            }
        });
        System.out.println("   live heap during the export, MiB, every 200,000 rows: " + live);
        usage.deactivate();
        db.dispose();
    }

    private static void waitFor(final java.util.function.BooleanSupplier condition)
            throws InterruptedException {
        final long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
    }

    private interface Report {
        String run() throws Exception;
    }

    private static void time(final String name, final Report report) throws Exception {
        final long t0 = System.nanoTime();
        final String result = report.run();
        System.out.printf(Locale.ROOT, "   %-44s %7.0f ms  (%s)%n", name,
                (System.nanoTime() - t0) / 1e6, result);
    }

    /** The process killed with kill -9: records 5,000 events/s and prints its counters. */
    private static void child(final Path dir) throws Exception {
        final JdbcConnectionPool db = database(dir, "");
        final UsageService usage = service(dir, db, System::currentTimeMillis);
        final long started = System.nanoTime();
        long sent = 0;
        for (long tick = 0;; tick++) {
            LockSupport.parkNanos(started + TimeUnit.MILLISECONDS.toNanos(10 * tick)
                    - System.nanoTime());
            for (int j = 0; j < 50; j++) {
                usage.onRequest(event(sent++, System.currentTimeMillis()));
            }
            if (tick % 5 == 0) {
                final UsageWriter.Stats s = usage.stats();
                System.out.println("written=" + s.written() + " accepted=" + s.accepted()
                        + " queued=" + s.queued());
            }
        }
    }

    /** Kill -9 during writes: committed rows survive, the database opens cleanly. */
    private static void kill(final Path dir) throws Exception {
        Files.createDirectories(dir);
        System.out.println();
        System.out.println("3. kill -9 while recording 5,000 events/s (batchSize 500, "
                + "flushMillis 1000)");
        final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        final Process process = new ProcessBuilder(java, "-cp",
                System.getProperty("java.class.path"), UsageBench.class.getName(), "child",
                dir.toString()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String last = null;
        final long deadline = System.nanoTime() + Duration.ofSeconds(4).toNanos();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(
                process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while (System.nanoTime() < deadline && (line = out.readLine()) != null) {
                last = line;
            }
            // SIGKILL on Linux: no shutdown hook, no flush
            process.destroyForcibly();
            process.waitFor();
            try {
                while ((line = out.readLine()) != null) {
                    last = line;
                }
            } catch (final IOException ignored) {
                // the pipe closes with the process
            }
        }
        final long acked = Long.parseLong(value(last, "written"));
        final long accepted = Long.parseLong(value(last, "accepted"));
        final long t0 = System.nanoTime();
        final JdbcConnectionPool db = database(dir, "");
        final long rows;
        final long rolledUp;
        try (Connection c = db.getConnection(); Statement s = c.createStatement()) {
            rows = single(s, "SELECT COUNT(*) FROM usage_all");
            final StringBuilder sum = new StringBuilder("SELECT 0");
            for (final java.time.LocalDate day : Schema.partitions(c)) {
                sum.append(" + (SELECT COALESCE(SUM(requests), 0) FROM ")
                        .append(Partitions.raw(day)).append("_hourly)");
            }
            rolledUp = single(s, sum.toString());
        }
        final double openMs = (System.nanoTime() - t0) / 1e6;
        final UsageService usage = service(dir, db, System::currentTimeMillis);
        usage.onRequest(event(99_000_000, System.currentTimeMillis()));
        await(usage, 1, Duration.ofSeconds(10));
        final boolean writes = usage.stats().written() == 1;
        usage.deactivate();
        db.dispose();
        System.out.printf(Locale.ROOT, "   child's last report: %d written, %d accepted; after kill"
                + " -9: %d rows in the file (%s every reported row), rollups agree: %s%n",
                acked, accepted, rows, rows >= acked ? "kept" : "LOST", rows == rolledUp);
        System.out.printf(Locale.ROOT, "   lost: %d of the events accepted by the child's last "
                + "report (plus those accepted in the <= 50 ms after it): the batch being filled "
                + "(batchSize 500 = 100 ms at this rate) and the queue behind it%n",
                Math.max(0, accepted - rows));
        System.out.printf(Locale.ROOT, "   reopened cleanly in %.0f ms; writing again: %s%n",
                openMs, writes ? "yes" : "NO");
    }

    private static String value(final String line, final String name) {
        for (final String part : line.split(" ")) {
            if (part.startsWith(name + "=")) {
                return part.substring(name.length() + 1);
            }
        }
        throw new IllegalStateException("no " + name + " in " + line);
    }

    private static long single(final Statement s, final String sql) throws SQLException {
        try (ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getLong(1);
        }
    }

    /** Twelve simulated days of 50,000 requests with 3 days' retention: the file plateaus. */
    private static void growth(final Path dir) throws Exception {
        Files.createDirectories(dir);
        System.out.println();
        System.out.println("4. file size under steady traffic: 50,000 requests a day, "
                + "retentionDays=3, 12 simulated days");
        System.out.println("   (H2 RETENTION_TIME=0 here: H2 reuses freed space after 45 s by "
                + "default, which real days always exceed)");
        final JdbcConnectionPool db = database(dir, ";RETENTION_TIME=0");
        final AtomicLong clock = new AtomicLong(Instant.parse("2026-01-01T00:00:00Z")
                .toEpochMilli());
        final UsageService usage = service(dir, db, clock::get, "retentionDays", 3,
                "flushMillis", 50L);
        final List<String> sizes = new ArrayList<>();
        long n = 0;
        for (int day = 0; day < 12; day++) {
            final long dayStart = clock.get();
            for (int i = 0; i < 50_000; i++) {
                while (usage.stats().queued() >= 9_900) {
                    Thread.onSpinWait();
                }
                usage.onRequest(event(n++, dayStart + i * (DAY / 50_000)));
            }
            await(usage, n, Duration.ofMinutes(2));
            clock.set(dayStart + DAY);
            final int partitions;
            try (Connection c = db.getConnection()) {
                // retention runs on the writer thread at its next turn
                Thread.sleep(300);
                partitions = Schema.partitions(c).size();
            }
            sizes.add(String.format(Locale.ROOT, "day %2d: %5.1f MiB (%d day partitions)",
                    day + 1, dir.resolve("lodestar.mv.db").toFile().length() / 1048576.0,
                    partitions));
        }
        usage.deactivate();
        db.dispose();
        sizes.forEach(s -> System.out.println("   " + s));
        System.out.printf(Locale.ROOT, "   after close: %.1f MiB%n",
                dir.resolve("lodestar.mv.db").toFile().length() / 1048576.0);
    }
}
