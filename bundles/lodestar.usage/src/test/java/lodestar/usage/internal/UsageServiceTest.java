package lodestar.usage.internal;

import static lodestar.usage.internal.Fixtures.T0;
import static lodestar.usage.internal.Fixtures.count;
import static lodestar.usage.internal.Fixtures.event;
import static lodestar.usage.internal.Fixtures.waitFor;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;
import lodestar.api.event.RequestEvent;
import lodestar.api.health.HealthResult;
import lodestar.api.health.Severity;
import org.h2.jdbcx.JdbcConnectionPool;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UsageServiceTest {

    private static final long MIN = 60_000;
    private static final long HOUR = 60 * MIN;

    @TempDir
    Path dir;
    private JdbcConnectionPool db;
    private final Fixtures.Clock clock = new Fixtures.Clock(T0 + MIN);
    private final List<UsageService> started = new ArrayList<>();

    @BeforeEach
    void open() {
        db = Fixtures.database(dir);
    }

    @AfterEach
    void close() {
        started.forEach(UsageService::deactivate);
        db.dispose();
    }

    private UsageService start(final PriceCatalog prices, final Object... config) {
        return start(db, prices, config);
    }

    private UsageService start(final DataSource source, final PriceCatalog prices,
            final Object... config) {
        final UsageService service = new UsageService(Fixtures.config(config), dir, source,
                prices, clock::get);
        started.add(service);
        waitFor(() -> service.stats().ready() || service.stats().failures() > 0, "start");
        return service;
    }

    private void stop(final UsageService service) {
        started.remove(service);
        service.deactivate();
    }

    private static void publish(final UsageService service, final RequestEvent... events) {
        final long before = service.stats().written() + service.stats().expired();
        for (final RequestEvent e : events) {
            assertThat(service.stats().dropped()).isZero();
            service.onRequest(e);
        }
        waitFor(() -> service.stats().written() + service.stats().expired()
                >= before + events.length, events.length + " event(s) written");
    }

    @Test
    void everyFieldOfTheEventIsRecorded() throws Exception {
        final UsageService usage = start(Fixtures.samplePrices());
        final RequestEvent event = new RequestEvent("req-1", Instant.ofEpochMilli(T0),
                "/v1/chat/completions", "session-1", "alice", "auto", "anthropic",
                "claude-sonnet-4-5-20250929", "cheapest", "x".repeat(600), true, false,
                new RequestEvent.TokenCounts(10_000, 2_000, 6_000, 1_000, true),
                Duration.ofMillis(1500), Duration.ofMillis(300), 200, null, 2, 0.5, 0.9);
        publish(usage, event);
        try (Connection c = db.getConnection(); Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT " + UsageWriter.COLUMNS
                        + " FROM usage_2026_11_26")) {
            assertThat(r.next()).isTrue();
            assertThat(r.getString("request_id")).isEqualTo("req-1");
            assertThat(r.getLong("ts_ms")).isEqualTo(T0);
            assertThat(r.getString("endpoint")).isEqualTo("/v1/chat/completions");
            assertThat(r.getString("session_key")).hasSize(32).isNotEqualTo("session-1");
            assertThat(r.getLong("session_start_ms")).isEqualTo(T0);
            assertThat(r.getString("client_key")).hasSize(32).isNotEqualTo("alice");
            assertThat(r.getString("requested_model")).isEqualTo("auto");
            assertThat(r.getString("provider_id")).isEqualTo("anthropic");
            assertThat(r.getString("model")).isEqualTo("claude-sonnet-4-5-20250929");
            assertThat(r.getString("strategy")).isEqualTo("cheapest");
            assertThat(r.getString("route")).hasSize(500);
            assertThat(r.getBoolean("streamed")).isTrue();
            assertThat(r.getBoolean("cache_hit")).isFalse();
            assertThat(r.getLong("input_tokens")).isEqualTo(10_000);
            assertThat(r.getLong("output_tokens")).isEqualTo(2_000);
            assertThat(r.getLong("cached_tokens")).isEqualTo(6_000);
            assertThat(r.getLong("cache_creation_tokens")).isEqualTo(1_000);
            assertThat(r.getBoolean("tokens_estimated")).isTrue();
            assertThat(r.getLong("latency_ms")).isEqualTo(1500);
            assertThat(r.getLong("ttft_ms")).isEqualTo(300);
            assertThat(r.getInt("status")).isEqualTo(200);
            assertThat(r.getString("error_type")).isNull();
            assertThat(r.getInt("attempts")).isEqualTo(2);
            assertThat(r.getDouble("cost_usd")).isCloseTo(0.04455, within(1e-12));
            assertThat(r.getString("cost_source")).isEqualTo("table");
            assertThat(r.getInt("price_version")).isEqualTo(1);
            assertThat(r.getDouble("event_cost_usd")).isEqualTo(0.5);
            assertThat(r.getDouble("baseline_cost_usd")).isEqualTo(0.9);
            assertThat(r.getString("switched_from")).isNull();
            assertThat(r.next()).isFalse();
        }
        assertThat(usage.health().severity()).isEqualTo(Severity.OK);
        assertThat(usage.check()).hasSize(1);
        assertThat(usage.name()).isEqualTo("usage");
    }

    @Test
    void reportsAreExactWhetherTheyReadRollupsOrRows() throws Exception {
        final UsageService usage = start(Fixtures.samplePrices(), "batchSize", 37);
        final Random random = new Random(7);
        final String[][] targets = {{"openai", "gpt-4o"}, {"anthropic",
            "claude-sonnet-4-5-20250929"}, {"ollama", "llama3.2:3b"}, {"openai", "gpt-5"}};
        final List<RequestEvent> events = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            final String[] target = targets[random.nextInt(targets.length)];
            final long ts = T0 - 40 * HOUR + random.nextInt((int) (40 * HOUR));
            events.add(event("r" + i, ts, "s" + random.nextInt(30), target[0], target[1],
                    100 + random.nextInt(5000), random.nextInt(800),
                    random.nextInt(10) == 0 ? 502 : 200, random.nextBoolean() ? 0.01 : null,
                    random.nextInt(4) == 0 ? null : 0.05));
        }
        publish(usage, events.toArray(RequestEvent[]::new));
        final Reports reports = usage.reports();
        for (int trial = 0; trial < 25; trial++) {
            final long from = T0 - 42 * HOUR + random.nextInt((int) (30 * HOUR));
            final long to = trial == 0 ? T0 + HOUR : from + random.nextInt((int) (20 * HOUR));
            final Map<String, long[]> expected = new HashMap<>();
            for (final RequestEvent e : events) {
                final long ts = e.timestamp().toEpochMilli();
                if (ts >= from && ts < to) {
                    final long[] sums = expected.computeIfAbsent(e.model(), k -> new long[3]);
                    sums[0]++;
                    sums[1] += e.tokens().input();
                    sums[2] += e.isSuccess() ? 0 : 1;
                }
            }
            final List<Reports.Group> groups = reports.usage(from, to, Reports.GroupBy.MODEL);
            assertThat(groups).hasSize(expected.size());
            for (final Reports.Group group : groups) {
                final long[] sums = expected.get(group.key());
                assertThat(group.aggregate().requests()).isEqualTo(sums[0]);
                assertThat(group.aggregate().get(Measure.INPUT_TOKENS)).isEqualTo(sums[1]);
                assertThat(group.aggregate().get(Measure.ERRORS)).isEqualTo(sums[2]);
            }
            final long total = expected.values().stream().mapToLong(s -> s[0]).sum();
            assertThat(reports.total(from, to).requests()).isEqualTo(total);
            assertThat(reports.usage(from, to, Reports.GroupBy.DAY).stream()
                    .mapToLong(g -> g.aggregate().requests()).sum()).isEqualTo(total);
        }
        final Aggregate all = reports.total(0, Long.MAX_VALUE);
        assertThat(all.requests()).isEqualTo(2000);
        assertThat(all.get(Measure.TABLE_PRICED) + all.get(Measure.EVENT_PRICED)
                + all.get(Measure.UNPRICED)).isEqualTo(2000);
        assertThat(all.get(Measure.EVENT_PRICED)).isPositive();
        assertThat(all.get(Measure.UNPRICED)).isPositive();
        assertThat(reports.usage(0, Long.MAX_VALUE, Reports.GroupBy.PROVIDER))
                .extracting(Reports.Group::key)
                .containsExactlyInAnyOrder("openai", "anthropic", "ollama");
        assertThat(reports.usage(0, Long.MAX_VALUE, Reports.GroupBy.STRATEGY))
                .extracting(Reports.Group::key).containsExactly("cheapest");
        assertThat(reports.usage(0, Long.MAX_VALUE, Reports.GroupBy.DAY))
                .extracting(Reports.Group::key).containsExactly("2026-11-24", "2026-11-25",
                        "2026-11-26");
        assertThat(count(db, "SELECT COUNT(*) FROM usage_all")).isEqualTo(2000);
    }

    @Test
    void savingsCompareActualAndBaselineOverRequestsWithBoth() throws Exception {
        final UsageService usage = start(Fixtures.samplePrices());
        publish(usage,
                // table price: 1M input of gpt-4o = 2.5 USD, baseline 10
                event("a", T0, null, "openai", "gpt-4o", 1_000_000, 0, 200, null, 10.0),
                // local: 0, baseline 5
                event("b", T0 + 1, null, "ollama", "llama3.2:3b", 1_000, 0, 200, null, 5.0),
                // unknown model, no provider price: not comparable
                event("c", T0 + 2, null, "openai", "gpt-5", 1_000, 0, 200, null, 7.0),
                // no baseline: not comparable
                event("d", T0 + 3, null, "openai", "gpt-4o", 1_000_000, 0, 200, null, null));
        final Aggregate total = usage.reports().total(T0 - HOUR, T0 + HOUR);
        assertThat(total.usd(Measure.COST_USD)).isCloseTo(5.0, within(1e-9));
        assertThat(total.usd(Measure.BASELINE_USD)).isCloseTo(22.0, within(1e-9));
        assertThat(total.get(Measure.CMP_REQUESTS)).isEqualTo(2);
        assertThat(total.savedUsd()).isCloseTo(12.5, within(1e-9));
        assertThat(total.savedPercent()).isCloseTo(12.5 / 15 * 100, within(1e-9));
        assertThat(total.get(Measure.UNPRICED)).isEqualTo(1);
        assertThat(new Aggregate().savedPercent()).isNull();
    }

    @Test
    void sessionsLastFromFirstToLastRequestAndCountModelSwitches() throws Exception {
        final UsageService usage = start(Fixtures.samplePrices(), "sessionIdleMinutes", 30);
        publish(usage,
                event("1", T0, "s1", "openai", "gpt-4o", 10, 10),
                event("2", T0 + 5 * MIN, "s1", "openai", "gpt-4o", 10, 10),
                event("3", T0 + 10 * MIN, "s1", "ollama", "llama3.2:3b", 10, 10),
                event("4", T0 + 12 * MIN, "s1", "openai", "gpt-4o", 10, 10, 502, null, null),
                event("5", T0 + 15 * MIN, "s1", "openai", "gpt-4o", 10, 10),
                event("6", T0 + 60 * MIN, "s1", "openai", "gpt-4o-mini", 10, 10),
                event("7", T0 + 2 * MIN, "s2", "openai", "gpt-4o", 10, 10),
                event("8", T0 + 3 * MIN, null, "openai", "gpt-4o", 10, 10));
        final List<Reports.Session> sessions = usage.reports().sessions(T0 - HOUR,
                T0 + 2 * HOUR, 10);
        assertThat(sessions).hasSize(3);
        final Reports.Session last = sessions.get(0);
        assertThat(last.startMs()).isEqualTo(T0 + 60 * MIN);
        assertThat(last.aggregate().get(Measure.MODEL_SWITCHES)).isZero();
        final Reports.Session first = sessions.stream().filter(s -> s.startMs() == T0)
                .findFirst().orElseThrow();
        assertThat(first.aggregate().requests()).isEqualTo(5);
        assertThat(first.aggregate().get(Measure.MODEL_SWITCHES)).isEqualTo(2);
        assertThat(first.aggregate().get(Measure.LAST_MS) - first.startMs())
                .as("duration: first arrival to last end").isEqualTo(15 * MIN + 1000);
        assertThat(first.client()).hasSize(32);
        assertThat(first.key()).isEqualTo(last.key());
        assertThat(usage.reports().sessions(T0 - HOUR, T0 + 2 * HOUR, 1)).hasSize(1);
        assertThat(usage.reports().usage(T0 - HOUR, T0 + 2 * HOUR, Reports.GroupBy.SESSION))
                .hasSize(3);

        final List<Reports.Switch> switches = usage.reports().switches(T0 - HOUR,
                T0 + 2 * HOUR, 10);
        assertThat(switches).extracting(Reports.Switch::from, Reports.Switch::to)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("llama3.2:3b", "gpt-4o"),
                        org.assertj.core.groups.Tuple.tuple("gpt-4o", "llama3.2:3b"));
        assertThat(switches.get(0).requestId()).isEqualTo("5");
        assertThat(usage.reports().switches(T0 - HOUR, T0 + 2 * HOUR, 1)).hasSize(1);
        assertThat(usage.reports().total(T0 - HOUR, T0 + 2 * HOUR)
                .get(Measure.MODEL_SWITCHES)).isEqualTo(2);
    }

    @Test
    void theMostRecentSessionsAreTheSameWhetherAllOrOnlySomeDaysAreRead() throws Exception {
        final UsageService usage = start(Fixtures.samplePrices(), "sessionIdleMinutes", 30,
                "batchSize", 200);
        final Random random = new Random(11);
        final long[] next = new long[12];
        final List<RequestEvent> events = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            final int session = random.nextInt(next.length);
            next[session] += random.nextInt(10) == 0 ? 2 * HOUR : random.nextInt(20) * MIN;
            final long ts = T0 - 5 * 24 * HOUR + next[session] % (5 * 24 * HOUR);
            events.add(event("e" + i, ts, "s" + session, "openai", "gpt-4o", 10, 10));
        }
        events.sort(java.util.Comparator.comparing(RequestEvent::timestamp));
        publish(usage, events.toArray(RequestEvent[]::new));
        final List<Reports.Session> all = usage.reports().sessions(0, Long.MAX_VALUE,
                Integer.MAX_VALUE);
        assertThat(all.size()).isGreaterThan(50);
        for (final int limit : new int[] {1, 5, 20, 50}) {
            final List<Reports.Session> some = usage.reports().sessions(0, Long.MAX_VALUE,
                    limit);
            assertThat(some).hasSize(limit);
            for (int i = 0; i < limit; i++) {
                assertThat(some.get(i).key()).isEqualTo(all.get(i).key());
                assertThat(some.get(i).startMs()).isEqualTo(all.get(i).startMs());
                assertThat(some.get(i).aggregate().requests())
                        .isEqualTo(all.get(i).aggregate().requests());
            }
        }
        assertThat(usage.reports().usage(0, Long.MAX_VALUE, Reports.GroupBy.MODEL, 0))
                .isEmpty();
    }

    @Test
    void aRestartContinuesOpenSessions() throws Exception {
        final UsageService first = start(Fixtures.samplePrices());
        publish(first, event("1", T0, "s1", "openai", "gpt-4o", 10, 10));
        stop(first);
        clock.set(T0 + 5 * MIN);
        final UsageService second = start(Fixtures.samplePrices());
        assertThat(second.stats().openSessions()).isEqualTo(1);
        publish(second, event("2", T0 + 4 * MIN, "s1", "ollama", "llama3.2:3b", 10, 10));
        final List<Reports.Session> sessions = second.reports().sessions(T0 - HOUR,
                T0 + HOUR, 10);
        assertThat(sessions).hasSize(1);
        assertThat(sessions.get(0).aggregate().requests()).isEqualTo(2);
        assertThat(sessions.get(0).aggregate().get(Measure.MODEL_SWITCHES)).isEqualTo(1);
    }

    @Test
    void eachRowRecordsThePriceTableVersionItWasPricedWith() throws Exception {
        final PriceCatalog prices = Fixtures.prices("price.gpt-4o", "input=1,output=1");
        final UsageService usage = start(prices);
        publish(usage, event("1", T0, null, "openai", "gpt-4o", 1_000_000, 0));
        prices.modified(Fixtures.map("price.gpt-4o", "input=2,output=2",
                "price.gpt-4o-mini", "input=0.1,output=0.1"));
        publish(usage, event("2", T0 + 1, null, "openai", "gpt-4o", 1_000_000, 0));
        prices.modified(Fixtures.map("price.gpt-4o", "input=1,output=1"));
        publish(usage, event("3", T0 + 2, null, "openai", "gpt-4o", 1_000_000, 0));
        try (Connection c = db.getConnection(); Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT request_id, price_version, cost_usd "
                        + "FROM usage_2026_11_26 ORDER BY request_id")) {
            final List<String> rows = new ArrayList<>();
            while (r.next()) {
                rows.add(r.getString(1) + ":" + r.getInt(2) + ":" + r.getDouble(3));
            }
            assertThat(rows).containsExactly("1:1:1.0", "2:2:2.0", "3:1:1.0");
        }
        assertThat(count(db, "SELECT COUNT(*) FROM usage_price_table")).isEqualTo(2);
        assertThat(count(db, "SELECT COUNT(*) FROM usage_price_entry WHERE version = 2"))
                .isEqualTo(2);
        assertThat(usage.stats().priceVersion()).isEqualTo(1);
        assertThat(usage.reports().priceVersions(5)).hasSize(2);
    }

    @Test
    void retentionDropsWholeDaysAndSkipsEventsAlreadyTooOld() throws Exception {
        final UsageService usage = start(Fixtures.samplePrices(), "retentionDays", 3);
        final List<RequestEvent> events = new ArrayList<>();
        for (int day = 0; day < 6; day++) {
            events.add(event("d" + day, T0 - day * 24 * HOUR, null, "openai", "gpt-4o", 1, 1));
        }
        publish(usage, events.toArray(RequestEvent[]::new));
        // 6 days back: the 20th ended before the cutoff (23rd 10:01): skipped
        assertThat(usage.stats().expired()).isEqualTo(2);
        try (Connection c = db.getConnection()) {
            assertThat(Schema.partitions(c)).containsExactly(LocalDate.of(2026, 11, 23),
                    LocalDate.of(2026, 11, 24), LocalDate.of(2026, 11, 25),
                    LocalDate.of(2026, 11, 26));
        }
        clock.set(T0 + 2 * 24 * HOUR);
        waitFor(() -> {
            try (Connection c = db.getConnection()) {
                return Schema.partitions(c).size() == 2;
            } catch (final SQLException e) {
                throw new AssertionError(e);
            }
        }, "retention");
        assertThat(count(db, "SELECT COUNT(*) FROM usage_all")).isEqualTo(2);
        assertThat(usage.reports().total(0, Long.MAX_VALUE).requests()).isEqualTo(2);
    }

    @Test
    void identifiersAreKeptAsSentWhenAnonymisationIsOff() throws Exception {
        final UsageService usage = start(Fixtures.samplePrices(), "anonymize", false,
                "maxRouteChars", 0);
        publish(usage, event("1", T0, "session-1", "openai", "gpt-4o", 1, 1));
        try (Connection c = db.getConnection(); Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT session_key, client_key, route FROM "
                        + "usage_2026_11_26")) {
            r.next();
            assertThat(r.getString(1)).isEqualTo("session-1");
            assertThat(r.getString(2)).isEqualTo("client-a");
            assertThat(r.getString(3)).isNull();
        }
        assertThat(dir.resolve(Anonymizer.KEY_FILE)).doesNotExist();
    }

    @Test
    void stoppingWritesWhatIsQueued() throws Exception {
        final UsageService usage = start(Fixtures.samplePrices(), "flushMillis", 60_000L,
                "batchSize", 1000);
        for (int i = 0; i < 10; i++) {
            usage.onRequest(event("r" + i, T0 + i, null, "openai", "gpt-4o", 1, 1));
        }
        stop(usage);
        assertThat(usage.stats().written()).isEqualTo(10);
        assertThat(count(db, "SELECT COUNT(*) FROM usage_2026_11_26")).isEqualTo(10);
        usage.onRequest(event("late", T0, null, "openai", "gpt-4o", 1, 1));
        assertThat(usage.stats().dropped()).as("closed: refused, counted").isEqualTo(1);
    }

    @Test
    void aFullQueueDropsWithoutBlockingAndWarns() throws Exception {
        final AtomicBoolean stall = new AtomicBoolean();
        final CountDownLatch release = new CountDownLatch(1);
        final DataSource slow = wrap(db, () -> {
            if (stall.get()) {
                release.await();
            }
        });
        final UsageService usage = start(slow, Fixtures.samplePrices(), "queueSize", 5,
                "batchSize", 1, "flushMillis", 0L);
        stall.set(true);
        final long started = System.nanoTime();
        for (int i = 0; i < 50; i++) {
            usage.onRequest(event("r" + i, T0 + i, null, "openai", "gpt-4o", 1, 1));
        }
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(
                Duration.ofSeconds(1));
        assertThat(usage.stats().dropped()).isBetween(44L, 45L);
        final HealthResult health = usage.health();
        assertThat(health.severity()).isEqualTo(Severity.WARNING);
        assertThat(health.message()).contains("dropped");
        assertThat(health.details()).containsEntry("queueSize", 5);
        stall.set(false);
        release.countDown();
        waitFor(() -> usage.stats().written() == 50 - usage.stats().dropped(), "the rest");
        clock.addAndGet(UsageService.DROP_WARN_MS + 1);
        assertThat(usage.health().severity()).isEqualTo(Severity.OK);
    }

    @Test
    void anUnwritableDatabaseIsCriticalAndRecovers() throws Exception {
        final AtomicBoolean broken = new AtomicBoolean(true);
        final DataSource flaky = wrap(db, () -> {
            if (broken.get()) {
                throw new SQLException("disk full (test)", "08000");
            }
        });
        final UsageService usage = start(flaky, Fixtures.samplePrices());
        assertThat(usage.health().severity()).isEqualTo(Severity.CRITICAL);
        assertThat(usage.health().message()).contains("not writable").contains("disk full");
        usage.onRequest(event("r", T0, null, "openai", "gpt-4o", 1, 1));
        broken.set(false);
        waitFor(() -> usage.stats().written() == 1, "the write after recovery");
        assertThat(usage.health().severity()).isEqualTo(Severity.OK);
    }

    @Test
    void eventsAreLostOnlyWhenStoppingWhileTheDatabaseIsDown() throws Exception {
        final DataSource down = wrap(db, () -> {
            throw new SQLException("gone (test)", "08000");
        });
        final UsageService usage = start(down, Fixtures.samplePrices());
        usage.onRequest(event("r", T0, null, "openai", "gpt-4o", 1, 1));
        stop(usage);
        assertThat(usage.stats().lost()).isEqualTo(1);
        assertThat(usage.stats().ready()).isFalse();
    }

    @Test
    void dataTheDatabaseRefusesIsGivenUpNotRetriedForever() {
        assertThat(UsageWriter.hopeless(new SQLException("x", "22001"), 1)).isTrue();
        assertThat(UsageWriter.hopeless(new SQLException("x", "23505"), 1)).isTrue();
        assertThat(UsageWriter.hopeless(new SQLException("x", "42S02"), 1)).isFalse();
        assertThat(UsageWriter.hopeless(new SQLException("x", "42S02"), 3)).isTrue();
        assertThat(UsageWriter.hopeless(new SQLException("x", "08000"), 9)).isFalse();
        assertThat(UsageWriter.hopeless(new SQLException("x"), 9)).isFalse();
        assertThat(UsageWriter.hopeless(new IllegalStateException("bug"), 1)).isTrue();
        assertThat(UsageWriter.truncate(null, 3)).isNull();
        assertThat(UsageWriter.truncate("abcd", 3)).isEqualTo("abc");
    }

    @Test
    void theExportStreamsEveryRowOldestFirst() throws Exception {
        final UsageService usage = start(Fixtures.samplePrices());
        publish(usage, event("b", T0 - 20 * HOUR, null, "openai", "gpt-4o", 1, 1),
                event("a", T0 - 30 * HOUR, null, "openai", "gpt-4o", 1, 1),
                event("c", T0, null, "openai", "gpt-4o", 1, 1));
        final List<String> ids = new ArrayList<>();
        assertThat(usage.reports().export(0, Long.MAX_VALUE, r -> ids.add(r.getString(1))))
                .isEqualTo(3);
        assertThat(ids).containsExactly("a", "b", "c");
        ids.clear();
        usage.reports().export(T0 - 25 * HOUR, T0, r -> ids.add(r.getString(1)));
        assertThat(ids).containsExactly("b");
    }

    /** Runs {@code before} ahead of every {@code getConnection()}. */
    interface Before {
        void run() throws Exception;
    }

    static DataSource wrap(final DataSource target, final Before before) {
        return (DataSource) Proxy.newProxyInstance(UsageServiceTest.class.getClassLoader(),
                new Class<?>[] {DataSource.class}, (proxy, method, args) -> {
                    if ("getConnection".equals(method.getName())) {
                        before.run();
                    }
                    return method.invoke(target, args);
                });
    }
}
