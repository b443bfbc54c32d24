package lodestar.usage.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import javax.sql.DataSource;
import lodestar.api.event.ExchangeContent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stores the content of exchanges (opt-in, {@code storeContent=true}) the way
 * {@link UsageWriter} stores requests: a bounded queue that never blocks the caller (a full
 * queue drops and counts) and one writer thread that writes batches, one transaction each, to
 * the day tables {@code usage_content_YYYY_MM_DD}. Content is turned into JSON text on the
 * writer thread, never on the router's. The content tables' retention is applied by
 * {@link UsageWriter}, which runs whether content is being stored or not.
 *
 * <p>Content never reaches a log or a health message: database errors that could quote a
 * value (SQL state classes 22 and 23) are reported without their message.
 *
 * <p>The writer thread is never interrupted: H2 closes its file when a thread is interrupted
 * inside it.
 */
final class ContentWriter {

    /** The columns of a content row, in insert order. */
    static final String COLUMNS = "request_id, ts_ms, session_key, provider_id, model, "
            + "finish_reason, request_json, answer_json";

    private static final Logger LOG = LoggerFactory.getLogger(ContentWriter.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long POLL_MS = 100;
    private static final long MAX_BACKOFF_MS = 30_000;
    private static final int ATTEMPTS_WHEN_CLOSING = 3;

    private final DataSource dataSource;
    private final Settings settings;
    private final Partitions partitions;
    private final LongSupplier clock;
    private final BlockingQueue<ExchangeContent> queue;
    private final Thread thread;

    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong written = new AtomicLong();
    private final AtomicLong expired = new AtomicLong();
    private final AtomicLong lost = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private volatile boolean accepting = true;
    private volatile boolean running = true;
    private volatile boolean ready;
    private volatile boolean writable = true;
    private volatile String lastError;
    private volatile long lastErrorMs;
    private volatile long lastDropMs;

    // writer thread only
    private Anonymizer anonymizer;

    /**
     * What the content writer needs from the configuration.
     *
     * @param queueSize the queue's capacity
     * @param batchSize most exchanges per transaction
     * @param flushMillis longest wait before a partial batch is written
     * @param retentionDays days of content kept
     * @param anonymize whether session ids are hashed
     * @param dataDir the data folder (for the hashing secret)
     */
    record Settings(int queueSize, int batchSize, long flushMillis, int retentionDays,
            boolean anonymize, Path dataDir) {
    }

    /**
     * One stored exchange.
     *
     * @param requestId the request id
     * @param tsMs arrival, epoch ms
     * @param sessionKey the session id as stored (keyed hash or as sent), or {@code null}
     * @param providerId the provider
     * @param model the model
     * @param finishReason the finish reason, or {@code null}
     * @param request the canonical request, JSON text, or {@code null}
     * @param answer the canonical answer, JSON text, or {@code null}
     */
    record Row(String requestId, long tsMs, String sessionKey, String providerId, String model,
            String finishReason, String request, String answer) {
    }

    /**
     * Creates the writer; {@link #start()} starts its thread.
     *
     * @param dataSource the database
     * @param settings the settings
     * @param partitions the known content day tables (shared with retention and the reports)
     * @param clock the current time, epoch ms
     */
    ContentWriter(final DataSource dataSource, final Settings settings,
            final Partitions partitions, final LongSupplier clock) {
        this.dataSource = dataSource;
        this.settings = settings;
        this.partitions = partitions;
        this.clock = clock;
        this.queue = new ArrayBlockingQueue<>(Math.max(1, settings.queueSize()));
        this.thread = new Thread(this::run, "lodestar-usage-content-writer");
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /**
     * Queues an exchange; never blocks.
     *
     * @param content the exchange
     * @return {@code false} when it was dropped (queue full or writer closed)
     */
    boolean offer(final ExchangeContent content) {
        if (content != null && accepting && queue.offer(content)) {
            accepted.incrementAndGet();
            return true;
        }
        dropped.incrementAndGet();
        lastDropMs = clock.getAsLong();
        return false;
    }

    /**
     * Stops taking exchanges, writes what is queued and stops the thread.
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
            LOG.warn("Usage content writer still busy after {} ms; {} exchanges not written",
                    timeout.toMillis(), queue.size());
        }
        return finished;
    }

    private void run() {
        long backoff = 500;
        while (running && !ready) {
            try {
                anonymizer = settings.anonymize() ? Anonymizer.keyed(settings.dataDir())
                        : Anonymizer.plain();
                ready = true;
                writable = true;
            } catch (final IOException | RuntimeException e) {
                failed("cannot read the hashing secret", e);
                backoff = pause(backoff);
            }
        }
        if (!ready) {
            lost.addAndGet(queue.size());
            queue.clear();
            return;
        }
        final List<ExchangeContent> batch = new ArrayList<>(Math.max(1, settings.batchSize()));
        while (running || !queue.isEmpty()) {
            fill(batch);
            if (!batch.isEmpty()) {
                write(batch);
                batch.clear();
            }
        }
    }

    private long pause(final long backoff) {
        final long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoff);
        while (running && System.nanoTime() < until) {
            try {
                Thread.sleep(Math.min(POLL_MS, backoff));
            } catch (final InterruptedException ignored) {
                // never interrupted on purpose; the loop checks its flags
            }
        }
        return Math.min(MAX_BACKOFF_MS, backoff * 2);
    }

    private void fill(final List<ExchangeContent> batch) {
        final int size = Math.max(1, settings.batchSize());
        try {
            final ExchangeContent first = queue.poll(POLL_MS, TimeUnit.MILLISECONDS);
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
                final ExchangeContent next = queue.poll(Math.min(wait,
                        TimeUnit.MILLISECONDS.toNanos(POLL_MS)), TimeUnit.NANOSECONDS);
                if (next != null) {
                    batch.add(next);
                }
            }
        } catch (final InterruptedException ignored) {
            // never interrupted on purpose (see the class comment): write what was taken
        }
    }

    private void write(final List<ExchangeContent> batch) {
        final List<Row> rows = rows(batch);
        if (rows.isEmpty()) {
            return;
        }
        long backoff = 500;
        for (int attempt = 1;; attempt++) {
            try {
                persist(rows);
                if (!writable) {
                    LOG.info("Usage content database writable again");
                }
                // writable before counting: whoever sees the row counted sees the store healthy
                writable = true;
                written.addAndGet(rows.size());
                return;
            } catch (final SQLException | RuntimeException e) {
                failed("cannot write content", e);
                reloadPartitions();
                final boolean hopeless = UsageWriter.hopeless(e, attempt);
                if (hopeless || !running && attempt >= ATTEMPTS_WHEN_CLOSING) {
                    lost.addAndGet(rows.size());
                    LOG.warn("Gave up writing {} exchange content record(s) ({})", rows.size(),
                            hopeless ? "the batch cannot be written: " + describe(e)
                                    : "stopping");
                    return;
                }
                backoff = running ? pause(backoff) : backoff;
            }
        }
    }

    /** Turns exchanges into rows, skipping those already older than the retention window. */
    private List<Row> rows(final List<ExchangeContent> batch) {
        final long now = clock.getAsLong();
        final List<Row> rows = new ArrayList<>(batch.size());
        for (final ExchangeContent content : batch) {
            final long ts = content.timestamp() == null ? now
                    : content.timestamp().toEpochMilli();
            if (Partitions.expired(Partitions.day(ts), now, settings.retentionDays())) {
                expired.incrementAndGet();
                continue;
            }
            try {
                rows.add(row(content, ts, anonymizer));
            } catch (final JsonProcessingException | RuntimeException e) {
                lost.incrementAndGet();
                LOG.warn("Exchange content not stored: cannot be written as JSON ({})",
                        e.getClass().getSimpleName());
            }
        }
        return rows;
    }

    /**
     * The row of an exchange.
     *
     * @param content the exchange
     * @param tsMs its arrival, epoch ms
     * @param anonymizer what turns the session id into what is stored
     * @return the row
     * @throws JsonProcessingException when the request or answer cannot be written as JSON
     */
    static Row row(final ExchangeContent content, final long tsMs, final Anonymizer anonymizer)
            throws JsonProcessingException {
        final String id = content.requestId() == null ? "" : content.requestId();
        return new Row(UsageWriter.truncate(id, 128), tsMs,
                anonymizer.key(content.sessionId()),
                UsageWriter.truncate(content.providerId(), 256),
                UsageWriter.truncate(content.model(), 256),
                UsageWriter.truncate(content.finishReason(), 64), json(content.request()),
                json(content.answer()));
    }

    private static String json(final JsonNode node) throws JsonProcessingException {
        return node == null || node.isMissingNode() ? null : JSON.writeValueAsString(node);
    }

    /** Writes rows to their days' tables: one transaction. */
    private void persist(final List<Row> rows) throws SQLException {
        final Map<LocalDate, List<Row>> byDay = new TreeMap<>();
        for (final Row row : rows) {
            byDay.computeIfAbsent(Partitions.day(row.tsMs()), d -> new ArrayList<>()).add(row);
        }
        try (Connection connection = dataSource.getConnection()) {
            for (final LocalDate day : byDay.keySet()) {
                if (!partitions.contains(day)) {
                    Schema.createContentPartition(connection, day);
                    partitions.add(day);
                    LOG.debug("Usage content partition {} created", day);
                }
            }
            connection.setAutoCommit(false);
            try {
                for (final Map.Entry<LocalDate, List<Row>> entry : byDay.entrySet()) {
                    insert(connection, entry.getKey(), entry.getValue());
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

    private static void insert(final Connection connection, final LocalDate day,
            final List<Row> rows) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO "
                + Partitions.content(day) + " (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
            for (final Row r : rows) {
                insert.setString(1, r.requestId());
                insert.setLong(2, r.tsMs());
                insert.setString(3, r.sessionKey());
                insert.setString(4, r.providerId());
                insert.setString(5, r.model());
                insert.setString(6, r.finishReason());
                insert.setString(7, r.request());
                insert.setString(8, r.answer());
                insert.addBatch();
            }
            insert.executeBatch();
        }
    }

    private void reloadPartitions() {
        try (Connection connection = dataSource.getConnection()) {
            partitions.reset(Schema.contentPartitions(connection));
        } catch (final SQLException | RuntimeException e) {
            LOG.debug("Cannot reload the usage content partitions: {}", describe(e));
        }
    }

    private void failed(final String what, final Exception e) {
        // the message first: whoever sees writable == false also sees why
        lastError = what + ": " + describe(e);
        lastErrorMs = clock.getAsLong();
        writable = false;
        final long count = failures.incrementAndGet();
        if (count % 100 == 1) {
            LOG.warn("Usage content: {} ({} failures so far): {}", what, count, describe(e));
        }
    }

    /**
     * What may be said about a failure without quoting content: the message, except where the
     * database refused a value (SQL state classes 22 and 23, whose messages can quote it) or
     * the failure is not a database or file error.
     *
     * @param e the failure
     * @return the description
     */
    static String describe(final Exception e) {
        if (e instanceof SQLException sql) {
            final String state = sql.getSQLState() == null ? "" : sql.getSQLState();
            if (state.startsWith("22") || state.startsWith("23")) {
                return "the database refused the data (SQL state " + state + ", error "
                        + sql.getErrorCode() + ")";
            }
            return sql.getMessage();
        }
        if (e instanceof IOException) {
            return e.getMessage();
        }
        return e.getClass().getName();
    }

    /**
     * Figures for health and the shell.
     *
     * @return a snapshot
     */
    Stats stats() {
        return new Stats(ready, writable, accepted.get(), dropped.get(), written.get(),
                expired.get(), lost.get(), failures.get(), queue.size(), lastError, lastErrorMs,
                lastDropMs);
    }

    /**
     * The content writer's figures.
     *
     * @param ready whether the writer is ready (hashing secret read)
     * @param writable whether the last write succeeded
     * @param accepted exchanges queued since start
     * @param dropped exchanges dropped (queue full, or after stopping) since start
     * @param written exchanges written since start
     * @param expired exchanges older than the retention window, skipped
     * @param lost exchanges given up (refused by the database, or down while stopping)
     * @param failures errors
     * @param queued exchanges waiting now
     * @param lastError the latest error, or {@code null}
     * @param lastErrorMs when it happened
     * @param lastDropMs when an exchange was last dropped, 0 never
     */
    record Stats(boolean ready, boolean writable, long accepted, long dropped, long written,
            long expired, long lost, long failures, int queued, String lastError,
            long lastErrorMs, long lastDropMs) {
    }
}
