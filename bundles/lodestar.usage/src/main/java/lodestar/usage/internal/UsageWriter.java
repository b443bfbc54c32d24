package lodestar.usage.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import javax.sql.DataSource;
import lodestar.api.event.RequestEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records request events: a bounded queue that never blocks the caller (a full queue drops and
 * counts), and one writer thread that turns events into rows in batches (JDBC batch insert
 * plus the hourly and session rollups, one transaction per batch), creates day partitions,
 * applies retention (to the request days and, whether content is being stored or not, to the
 * content days of {@link ContentWriter}) and keeps the session state.
 *
 * <p>The writer thread is never interrupted: H2 closes its file when a thread is interrupted
 * inside it.
 */
final class UsageWriter {

    private static final Logger LOG = LoggerFactory.getLogger(UsageWriter.class);
    private static final long POLL_MS = 100;
    private static final long RETENTION_EVERY_MS = Partitions.HOUR_MS;
    private static final long PRUNE_EVERY_MS = 60_000;
    private static final long MAX_BACKOFF_MS = 30_000;
    private static final int ATTEMPTS_WHEN_CLOSING = 3;

    private final DataSource dataSource;
    private final Supplier<PriceTable> prices;
    private final Settings settings;
    private final Partitions partitions;
    private final Partitions contentPartitions;
    private final LongSupplier clock;
    private final BlockingQueue<RequestEvent> queue;
    private final SessionTracker sessions;
    private final Thread thread;

    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong written = new AtomicLong();
    private final AtomicLong expired = new AtomicLong();
    private final AtomicLong lost = new AtomicLong();
    private final AtomicLong batches = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private volatile boolean accepting = true;
    private volatile boolean running = true;
    private volatile boolean ready;
    private volatile boolean writable = true;
    private volatile String lastError;
    private volatile long lastErrorMs;
    private volatile long lastDropMs;
    private volatile long lastFlushMs;
    private volatile long lastFlushNanos;
    private volatile int schemaVersion;
    private volatile int openSessions;
    private volatile Integer priceVersion;

    // writer thread only
    private Anonymizer anonymizer;
    private PriceTable registeredTable;
    private long nextRetentionMs;
    private long nextPruneMs;

    /**
     * What the writer needs from the configuration.
     *
     * @param queueSize the queue's capacity
     * @param batchSize most events per transaction
     * @param flushMillis longest wait before a partial batch is written
     * @param retentionDays days kept
     * @param sessionIdleMs idle gap that ends a session
     * @param maxRouteChars longest routing explanation kept (0: none kept)
     * @param anonymize whether identifiers are hashed
     * @param dataDir the data folder (for the hashing secret)
     * @param contentRetentionDays days of stored content kept
     */
    record Settings(int queueSize, int batchSize, long flushMillis, int retentionDays,
            long sessionIdleMs, int maxRouteChars, boolean anonymize, Path dataDir,
            int contentRetentionDays) {
    }

    /**
     * Creates the writer; {@link #start()} starts its thread.
     *
     * @param dataSource the database
     * @param prices the price table in force
     * @param settings the settings
     * @param partitions the known day partitions (shared with the reports)
     * @param contentPartitions the known content days (shared with the content writer and the
     *     reports)
     * @param clock the current time, epoch ms
     */
    UsageWriter(final DataSource dataSource, final Supplier<PriceTable> prices,
            final Settings settings, final Partitions partitions,
            final Partitions contentPartitions, final LongSupplier clock) {
        this.dataSource = dataSource;
        this.prices = prices;
        this.settings = settings;
        this.partitions = partitions;
        this.contentPartitions = contentPartitions;
        this.clock = clock;
        this.queue = new ArrayBlockingQueue<>(Math.max(1, settings.queueSize()));
        this.sessions = new SessionTracker(settings.sessionIdleMs());
        this.thread = new Thread(this::run, "lodestar-usage-writer");
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /**
     * Queues an event; never blocks.
     *
     * @param event the event
     * @return {@code false} when it was dropped (queue full or writer closed)
     */
    boolean offer(final RequestEvent event) {
        if (accepting && queue.offer(event)) {
            accepted.incrementAndGet();
            return true;
        }
        dropped.incrementAndGet();
        lastDropMs = clock.getAsLong();
        return false;
    }

    /**
     * Stops taking events, writes what is queued and stops the thread.
     *
     * @param timeout the longest wait
     * @return {@code true} when the writer finished in time
     */
    boolean close(final Duration timeout) {
        accepting = false;
        running = false;
        try {
            thread.join(Math.max(1, timeout.toMillis()));
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        final boolean finished = !thread.isAlive();
        if (!finished) {
            LOG.warn("Usage writer still busy after {} ms; {} events not written",
                    timeout.toMillis(), queue.size());
        }
        return finished;
    }

    private void run() {
        long backoff = 500;
        while (running && !ready) {
            try {
                init();
                ready = true;
            } catch (final SQLException | IOException | RuntimeException e) {
                failed("cannot open the usage tables", e);
                backoff = pause(backoff);
            }
        }
        if (!ready) {
            lost.addAndGet(queue.size());
            queue.clear();
            return;
        }
        final List<RequestEvent> batch = new ArrayList<>(Math.max(1, settings.batchSize()));
        while (running || !queue.isEmpty()) {
            fill(batch);
            if (!batch.isEmpty()) {
                write(batch);
                batch.clear();
            }
            maintain();
        }
    }

    private long pause(final long backoff) {
        final long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoff);
        while (running && System.nanoTime() < until) {
            sleep(Math.min(POLL_MS, backoff));
        }
        return Math.min(MAX_BACKOFF_MS, backoff * 2);
    }

    private static void sleep(final long ms) {
        try {
            Thread.sleep(ms);
        } catch (final InterruptedException ignored) {
            // never interrupted on purpose; the loop checks its flags
        }
    }

    /** Migrates, loads the partitions, restores open sessions and applies retention. */
    private void init() throws SQLException, IOException {
        anonymizer = settings.anonymize() ? Anonymizer.keyed(settings.dataDir())
                : Anonymizer.plain();
        try (Connection connection = dataSource.getConnection()) {
            schemaVersion = Schema.migrate(connection);
            partitions.reset(Schema.partitions(connection));
            contentPartitions.reset(Schema.contentPartitions(connection));
            restoreSessions(connection);
        }
        retention();
        writable = true;
        LOG.info("Usage tracking ready: schema version {}, {} day partition(s), {} open "
                + "session(s), identifiers {}", schemaVersion, partitions.all().size(),
                sessions.size(), anonymizer.hashing() ? "hashed" : "stored as sent");
    }

    private void restoreSessions(final Connection connection) throws SQLException {
        final long now = clock.getAsLong();
        final long since = now - settings.sessionIdleMs();
        for (final LocalDate day : partitions.overlapping(since, Long.MAX_VALUE)) {
            try (PreparedStatement select = connection.prepareStatement("SELECT session_key, "
                    + "session_start_ms, ts_ms + latency_ms, model, status FROM "
                    + Partitions.raw(day) + " WHERE ts_ms >= ? AND session_key IS NOT NULL "
                    + "ORDER BY ts_ms")) {
                select.setLong(1, since);
                try (ResultSet result = select.executeQuery()) {
                    while (result.next()) {
                        final int status = result.getInt(5);
                        sessions.restore(result.getString(1), result.getLong(2),
                                result.getLong(3), result.getString(4),
                                status >= 200 && status < 300);
                    }
                }
            }
        }
        openSessions = sessions.size();
    }

    private void fill(final List<RequestEvent> batch) {
        final int size = Math.max(1, settings.batchSize());
        try {
            final RequestEvent first = queue.poll(POLL_MS, TimeUnit.MILLISECONDS);
            if (first == null) {
                return;
            }
            batch.add(first);
            final long deadline = System.nanoTime()
                    + TimeUnit.MILLISECONDS.toNanos(Math.max(0, settings.flushMillis()));
            while (batch.size() < size) {
                queue.drainTo(batch, size - batch.size());
                final long wait = deadline - System.nanoTime();
                if (batch.size() >= size || !running || wait <= 0) {
                    break;
                }
                final RequestEvent next = queue.poll(Math.min(wait,
                        TimeUnit.MILLISECONDS.toNanos(POLL_MS)), TimeUnit.NANOSECONDS);
                if (next != null) {
                    batch.add(next);
                }
            }
        } catch (final InterruptedException ignored) {
            // never interrupted on purpose (see the class comment): write what was taken
        }
    }

    private void write(final List<RequestEvent> batch) {
        long backoff = 500;
        List<UsageRow> rows = null;
        for (int attempt = 1;; attempt++) {
            try {
                if (rows == null) {
                    rows = rows(batch, registerPrices());
                }
                persist(rows);
                if (!writable) {
                    LOG.info("Usage database writable again");
                }
                // writable before counting: whoever sees the rows counted sees the store healthy
                writable = true;
                lastFlushMs = clock.getAsLong();
                lastFlushNanos = System.nanoTime();
                batches.incrementAndGet();
                written.addAndGet(rows.size());
                return;
            } catch (final SQLException | RuntimeException e) {
                failed("cannot write usage", e);
                reloadPartitions();
                final boolean hopeless = hopeless(e, attempt);
                if (hopeless || !running && attempt >= ATTEMPTS_WHEN_CLOSING) {
                    final int count = rows == null ? batch.size() : rows.size();
                    lost.addAndGet(count);
                    LOG.warn("Gave up writing {} usage events ({})", count, hopeless
                            ? "the batch cannot be written: " + e : "stopping");
                    return;
                }
                backoff = running ? pause(backoff) : backoff;
            }
        }
    }

    /**
     * Whether retrying a batch cannot help: the data is refused (SQL state class 22 or 23), a
     * statement keeps failing to compile (class 42, after the partitions were reloaded), or a
     * bug threw.
     *
     * @param e the failure
     * @param attempt the attempt that failed, from 1
     * @return {@code true} to give the batch up
     */
    static boolean hopeless(final Exception e, final int attempt) {
        if (!(e instanceof SQLException sql)) {
            return true;
        }
        final String state = sql.getSQLState() == null ? "" : sql.getSQLState();
        return state.startsWith("22") || state.startsWith("23")
                || state.startsWith("42") && attempt >= ATTEMPTS_WHEN_CLOSING;
    }

    private void failed(final String what, final Exception e) {
        // the message first: whoever sees writable == false also sees why
        lastError = what + ": " + e.getMessage();
        lastErrorMs = clock.getAsLong();
        writable = false;
        final long count = failures.incrementAndGet();
        if (count % 100 == 1) {
            LOG.warn("Usage: {} ({} failures so far): {}", what, count, e.toString());
        }
    }

    private void reloadPartitions() {
        try (Connection connection = dataSource.getConnection()) {
            partitions.reset(Schema.partitions(connection));
            contentPartitions.reset(Schema.contentPartitions(connection));
        } catch (final SQLException | RuntimeException e) {
            LOG.debug("Cannot reload the usage partitions: {}", e.toString());
        }
    }

    /** Registers the price table in force, once per distinct content. */
    private Integer registerPrices() throws SQLException {
        final PriceTable table = prices.get();
        if (table == registeredTable) {
            return priceVersion;
        }
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try {
                final int version = priceVersion(connection, table, clock.getAsLong());
                connection.commit();
                registeredTable = table;
                if (!Integer.valueOf(version).equals(priceVersion)) {
                    LOG.info("Usage priced with price table version {} ({} models, {} providers)",
                            version, table.models().size(), table.providers().size());
                }
                priceVersion = version;
                return version;
            } catch (final SQLException e) {
                connection.rollback();
                throw e;
            }
        }
    }

    /**
     * The version of a price table: the stored one with the same content hash, else a new
     * version with its entries.
     *
     * @param connection a connection in a transaction
     * @param table the table
     * @param nowMs now
     * @return the version
     * @throws SQLException on a database error
     */
    static int priceVersion(final Connection connection, final PriceTable table,
            final long nowMs) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT version FROM usage_price_table WHERE content_hash = ?")) {
            select.setString(1, table.hash());
            try (ResultSet result = select.executeQuery()) {
                if (result.next()) {
                    return result.getInt(1);
                }
            }
        }
        final int version;
        try (Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery(
                        "SELECT COALESCE(MAX(version), 0) + 1 FROM usage_price_table")) {
            result.next();
            version = result.getInt(1);
        }
        final List<PriceTable.Entry> entries = table.entries();
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO "
                + "usage_price_table (version, content_hash, created_ms, entries) "
                + "VALUES (?, ?, ?, ?)")) {
            insert.setInt(1, version);
            insert.setString(2, table.hash());
            insert.setLong(3, nowMs);
            insert.setInt(4, entries.size());
            insert.executeUpdate();
        }
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO "
                + "usage_price_entry (version, kind, name, input_per_m, output_per_m, "
                + "cached_per_m, cache_write_per_m) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
            for (final PriceTable.Entry entry : entries) {
                insert.setInt(1, version);
                insert.setString(2, entry.kind());
                insert.setString(3, truncate(entry.name(), 256));
                insert.setDouble(4, entry.price().inputPerM());
                insert.setDouble(5, entry.price().outputPerM());
                insert.setDouble(6, entry.price().cachedPerM());
                insert.setDouble(7, entry.price().cacheWritePerM());
                insert.addBatch();
            }
            insert.executeBatch();
        }
        return version;
    }

    /** Turns events into rows: prices, sessions, switches, hashed identifiers. */
    private List<UsageRow> rows(final List<RequestEvent> batch, final Integer version) {
        final PriceTable table = registeredTable == null ? prices.get() : registeredTable;
        final long now = clock.getAsLong();
        final List<UsageRow> rows = new ArrayList<>(batch.size());
        for (final RequestEvent event : batch) {
            final long ts = event.timestamp().toEpochMilli();
            if (Partitions.expired(Partitions.day(ts), now, settings.retentionDays())) {
                expired.incrementAndGet();
                continue;
            }
            rows.add(row(event, table, version));
        }
        return rows;
    }

    private UsageRow row(final RequestEvent event, final PriceTable table,
            final Integer version) {
        final long ts = event.timestamp().toEpochMilli();
        final long latency = Math.max(0, event.latency().toMillis());
        final Costing costing = Costing.of(event, table);
        final String sessionKey = anonymizer.key(event.sessionId());
        final String model = truncate(event.model(), 256);
        Long start = null;
        String switchedFrom = null;
        if (sessionKey != null) {
            final SessionTracker.Assignment assignment = sessions.assign(sessionKey, ts,
                    ts + latency, model, event.isSuccess());
            start = assignment.startMs();
            switchedFrom = assignment.switchedFrom();
        }
        final RequestEvent.TokenCounts tokens = event.tokens();
        final String route = settings.maxRouteChars() <= 0 ? null
                : truncate(event.route(), Math.min(2000, settings.maxRouteChars()));
        return new UsageRow(truncate(event.requestId(), 128), ts,
                truncate(event.endpoint(), 128), sessionKey, start,
                anonymizer.key(event.clientId()), truncate(event.requestedModel(), 256),
                truncate(event.providerId(), 256), model, truncate(event.strategy(), 128),
                route, event.streamed(), event.cacheHit(), tokens.input(), tokens.output(),
                tokens.cachedInput(), tokens.cacheCreation(), tokens.estimated(), latency,
                event.timeToFirstToken() == null ? null
                        : Math.max(0, event.timeToFirstToken().toMillis()),
                event.status(), truncate(event.errorType(), 128), event.attempts(),
                costing.costUsd(), costing.source(), version, event.costUsd(),
                event.baselineCostUsd(), switchedFrom);
    }

    static String truncate(final String text, final int max) {
        return text == null || text.length() <= max ? text : text.substring(0, max);
    }

    /** Writes rows, their rollups and switches: one transaction. */
    private void persist(final List<UsageRow> rows) throws SQLException {
        final Map<LocalDate, List<UsageRow>> byDay = new TreeMap<>();
        for (final UsageRow row : rows) {
            byDay.computeIfAbsent(Partitions.day(row.tsMs()), d -> new ArrayList<>()).add(row);
        }
        try (Connection connection = dataSource.getConnection()) {
            for (final LocalDate day : byDay.keySet()) {
                ensurePartition(connection, day);
            }
            connection.setAutoCommit(false);
            try {
                for (final Map.Entry<LocalDate, List<UsageRow>> entry : byDay.entrySet()) {
                    insert(connection, entry.getKey(), entry.getValue());
                    mergeHourly(connection, entry.getKey(), entry.getValue());
                    mergeSessions(connection, entry.getKey(), entry.getValue());
                    insertSwitches(connection, entry.getKey(), entry.getValue());
                }
                connection.commit();
            } catch (final SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            } finally {
                connection.setAutoCommit(true);
            }
        }
    }

    private void ensurePartition(final Connection connection, final LocalDate day)
            throws SQLException {
        if (partitions.contains(day)) {
            return;
        }
        Schema.createPartition(connection, day);
        partitions.add(day);
        Schema.refreshView(connection, partitions.all());
        LOG.debug("Usage partition {} created", day);
    }

    /** The columns of a request row, in insert order. */
    static final String COLUMNS = "request_id, ts_ms, endpoint, session_key, session_start_ms, "
            + "client_key, requested_model, provider_id, model, strategy, route, streamed, "
            + "cache_hit, input_tokens, output_tokens, cached_tokens, cache_creation_tokens, "
            + "tokens_estimated, latency_ms, ttft_ms, status, error_type, attempts, cost_usd, "
            + "cost_source, price_version, event_cost_usd, baseline_cost_usd, switched_from";

    private static void insert(final Connection connection, final LocalDate day,
            final List<UsageRow> rows) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO "
                + Partitions.raw(day) + " (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, "
                + "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            for (final UsageRow r : rows) {
                int i = 1;
                insert.setString(i++, r.requestId());
                insert.setLong(i++, r.tsMs());
                insert.setString(i++, r.endpoint());
                insert.setString(i++, r.sessionKey());
                insert.setObject(i++, r.sessionStartMs(), java.sql.Types.BIGINT);
                insert.setString(i++, r.clientKey());
                insert.setString(i++, r.requestedModel());
                insert.setString(i++, r.providerId());
                insert.setString(i++, r.model());
                insert.setString(i++, r.strategy());
                insert.setString(i++, r.route());
                insert.setBoolean(i++, r.streamed());
                insert.setBoolean(i++, r.cacheHit());
                insert.setLong(i++, r.inputTokens());
                insert.setLong(i++, r.outputTokens());
                insert.setLong(i++, r.cachedTokens());
                insert.setLong(i++, r.cacheCreationTokens());
                insert.setBoolean(i++, r.estimated());
                insert.setLong(i++, r.latencyMs());
                insert.setObject(i++, r.ttftMs(), java.sql.Types.BIGINT);
                insert.setInt(i++, r.status());
                insert.setString(i++, r.errorType());
                insert.setInt(i++, r.attempts());
                insert.setObject(i++, r.costUsd(), java.sql.Types.DOUBLE);
                insert.setString(i++, r.costSource());
                insert.setObject(i++, r.priceVersion(), java.sql.Types.INTEGER);
                insert.setObject(i++, r.eventCostUsd(), java.sql.Types.DOUBLE);
                insert.setObject(i++, r.baselineCostUsd(), java.sql.Types.DOUBLE);
                insert.setString(i, r.switchedFrom());
                insert.addBatch();
            }
            insert.executeBatch();
        }
    }

    private static String orEmpty(final String text) {
        return text == null ? "" : text;
    }

    private static void mergeHourly(final Connection connection, final LocalDate day,
            final List<UsageRow> rows) throws SQLException {
        final Map<List<Object>, Aggregate> groups = new LinkedHashMap<>();
        for (final UsageRow r : rows) {
            groups.computeIfAbsent(List.of(Math.floorDiv(r.tsMs(), Partitions.HOUR_MS)
                    * Partitions.HOUR_MS, orEmpty(r.providerId()), orEmpty(r.model()),
                    orEmpty(r.strategy())), k -> new Aggregate()).add(r);
        }
        try (PreparedStatement merge = connection.prepareStatement("MERGE INTO "
                + Partitions.raw(day) + "_hourly t USING (SELECT CAST(? AS BIGINT) AS hour_ms, "
                + "CAST(? AS VARCHAR(256)) AS provider_id, CAST(? AS VARCHAR(256)) AS model, "
                + "CAST(? AS VARCHAR(128)) AS strategy, " + Measure.mergeSource() + ") s "
                + "ON t.hour_ms = s.hour_ms AND t.provider_id = s.provider_id "
                + "AND t.model = s.model AND t.strategy = s.strategy "
                + "WHEN MATCHED THEN UPDATE SET " + Measure.mergeUpdate()
                + " WHEN NOT MATCHED THEN INSERT (hour_ms, provider_id, model, strategy, "
                + Measure.columns("") + ") VALUES (s.hour_ms, s.provider_id, s.model, "
                + "s.strategy, " + Measure.columns("s.") + ")")) {
            for (final Map.Entry<List<Object>, Aggregate> group : groups.entrySet()) {
                merge.setLong(1, (Long) group.getKey().get(0));
                merge.setString(2, (String) group.getKey().get(1));
                merge.setString(3, (String) group.getKey().get(2));
                merge.setString(4, (String) group.getKey().get(3));
                group.getValue().bind(merge, 5);
                merge.addBatch();
            }
            merge.executeBatch();
        }
    }

    private static void mergeSessions(final Connection connection, final LocalDate day,
            final List<UsageRow> rows) throws SQLException {
        final Map<List<Object>, Aggregate> groups = new LinkedHashMap<>();
        final Map<List<Object>, String> clients = new HashMap<>();
        for (final UsageRow r : rows) {
            if (r.sessionKey() == null) {
                continue;
            }
            final List<Object> key = List.of(Math.floorDiv(r.tsMs(), Partitions.HOUR_MS)
                    * Partitions.HOUR_MS, r.sessionKey(), r.sessionStartMs());
            groups.computeIfAbsent(key, k -> new Aggregate()).add(r);
            if (r.clientKey() != null) {
                clients.putIfAbsent(key, r.clientKey());
            }
        }
        if (groups.isEmpty()) {
            return;
        }
        try (PreparedStatement merge = connection.prepareStatement("MERGE INTO "
                + Partitions.raw(day) + "_sessions t USING (SELECT CAST(? AS BIGINT) AS "
                + "hour_ms, CAST(? AS VARCHAR(256)) AS session_key, CAST(? AS BIGINT) AS "
                + "session_start_ms, CAST(? AS VARCHAR(256)) AS client_key, "
                + Measure.mergeSource() + ") s ON t.hour_ms = s.hour_ms "
                + "AND t.session_key = s.session_key AND t.session_start_ms = s.session_start_ms "
                + "WHEN MATCHED THEN UPDATE SET " + Measure.mergeUpdate()
                + " WHEN NOT MATCHED THEN INSERT (hour_ms, session_key, session_start_ms, "
                + "client_key, " + Measure.columns("") + ") VALUES (s.hour_ms, s.session_key, "
                + "s.session_start_ms, s.client_key, " + Measure.columns("s.") + ")")) {
            for (final Map.Entry<List<Object>, Aggregate> group : groups.entrySet()) {
                merge.setLong(1, (Long) group.getKey().get(0));
                merge.setString(2, (String) group.getKey().get(1));
                merge.setLong(3, (Long) group.getKey().get(2));
                merge.setString(4, clients.get(group.getKey()));
                group.getValue().bind(merge, 5);
                merge.addBatch();
            }
            merge.executeBatch();
        }
    }

    private static void insertSwitches(final Connection connection, final LocalDate day,
            final List<UsageRow> rows) throws SQLException {
        PreparedStatement insert = null;
        try {
            for (final UsageRow r : rows) {
                if (r.switchedFrom() == null) {
                    continue;
                }
                if (insert == null) {
                    insert = connection.prepareStatement("INSERT INTO " + Partitions.raw(day)
                            + "_switches (ts_ms, request_id, session_key, session_start_ms, "
                            + "provider_id, from_model, to_model) VALUES (?, ?, ?, ?, ?, ?, ?)");
                }
                insert.setLong(1, r.tsMs());
                insert.setString(2, r.requestId());
                insert.setString(3, r.sessionKey());
                insert.setLong(4, r.sessionStartMs());
                insert.setString(5, r.providerId());
                insert.setString(6, r.switchedFrom());
                insert.setString(7, r.model());
                insert.addBatch();
            }
            if (insert != null) {
                insert.executeBatch();
            }
        } finally {
            if (insert != null) {
                insert.close();
            }
        }
    }

    /** Retention once an hour, forgetting idle sessions once a minute. */
    private void maintain() {
        final long now = clock.getAsLong();
        if (now >= nextPruneMs) {
            sessions.prune(now);
            openSessions = sessions.size();
            nextPruneMs = now + PRUNE_EVERY_MS;
        }
        if (now >= nextRetentionMs) {
            retention();
        }
    }

    /**
     * Drops every request day that has left the retention window ({@code retentionDays}) and
     * every content day that has left its own ({@code contentRetentionDays}).
     */
    void retention() {
        final long now = clock.getAsLong();
        nextRetentionMs = now + RETENTION_EVERY_MS;
        final List<LocalDate> expiredDays = Partitions.expired(partitions.all(), now,
                settings.retentionDays());
        final List<LocalDate> expiredContent = Partitions.expired(contentPartitions.all(), now,
                settings.contentRetentionDays());
        if (expiredDays.isEmpty() && expiredContent.isEmpty()) {
            return;
        }
        try (Connection connection = dataSource.getConnection()) {
            if (!expiredDays.isEmpty()) {
                for (final LocalDate day : expiredDays) {
                    partitions.remove(day);
                }
                Schema.refreshView(connection, partitions.all());
                for (final LocalDate day : expiredDays) {
                    Schema.dropPartition(connection, day);
                }
                LOG.info("Usage retention ({} days): dropped {} day partition(s), {} to {}",
                        settings.retentionDays(), expiredDays.size(), expiredDays.get(0),
                        expiredDays.get(expiredDays.size() - 1));
            }
            if (!expiredContent.isEmpty()) {
                for (final LocalDate day : expiredContent) {
                    contentPartitions.remove(day);
                    Schema.dropContentPartition(connection, day);
                }
                LOG.info("Usage content retention ({} days): dropped {} day(s) of stored "
                        + "content, {} to {}", settings.contentRetentionDays(),
                        expiredContent.size(), expiredContent.get(0),
                        expiredContent.get(expiredContent.size() - 1));
            }
        } catch (final SQLException | RuntimeException e) {
            failed("cannot apply retention", e);
            reloadPartitions();
        }
    }

    /**
     * Figures for health and the shell.
     *
     * @return a snapshot
     */
    Stats stats() {
        final long sinceFlush = lastFlushNanos == 0 ? -1
                : TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastFlushNanos);
        return new Stats(ready, writable, accepted.get(), dropped.get(), written.get(),
                expired.get(), lost.get(), batches.get(), failures.get(), queue.size(),
                lastError, lastErrorMs, lastDropMs, lastFlushMs, sinceFlush, schemaVersion,
                openSessions, priceVersion);
    }

    /**
     * The writer's figures.
     *
     * @param ready whether the tables are open
     * @param writable whether the last write succeeded
     * @param accepted events queued since start
     * @param dropped events dropped (queue full) since start
     * @param written rows written since start
     * @param expired events older than the retention window, skipped
     * @param lost events given up (database failing while stopping)
     * @param batches transactions committed
     * @param failures database errors
     * @param queued events waiting now
     * @param lastError the latest database error, or {@code null}
     * @param lastErrorMs when it happened
     * @param lastDropMs when an event was last dropped, 0 never
     * @param lastFlushMs when a batch was last committed, 0 never
     * @param msSinceFlush milliseconds since, -1 never
     * @param schemaVersion the schema version
     * @param openSessions sessions open now
     * @param priceVersion the price table version in force, or {@code null}
     */
    record Stats(boolean ready, boolean writable, long accepted, long dropped, long written,
            long expired, long lost, long batches, long failures, int queued, String lastError,
            long lastErrorMs, long lastDropMs, long lastFlushMs, long msSinceFlush,
            int schemaVersion, int openSessions, Integer priceVersion) {
    }
}
