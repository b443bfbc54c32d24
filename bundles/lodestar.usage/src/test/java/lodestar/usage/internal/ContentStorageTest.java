package lodestar.usage.internal;

import static lodestar.usage.internal.Fixtures.T0;
import static lodestar.usage.internal.Fixtures.count;
import static lodestar.usage.internal.Fixtures.event;
import static lodestar.usage.internal.Fixtures.waitFor;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import lodestar.api.event.ContentListener;
import lodestar.api.event.ExchangeContent;
import lodestar.api.health.HealthResult;
import lodestar.api.health.Severity;
import org.h2.jdbcx.JdbcConnectionPool;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Opt-in content storage: the listener's registration, the writer, retention, reading back. */
class ContentStorageTest {

    private static final long MIN = 60_000;
    private static final long HOUR = 60 * MIN;
    private static final long DAY = 24 * HOUR;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    private JdbcConnectionPool db;
    private final Fixtures.Clock clock = new Fixtures.Clock(T0 + MIN);
    private final List<UsageService> started = new ArrayList<>();
    private final Registrar registrar = new Registrar();

    /** Records what the service publishes, like the framework would. */
    static final class Registrar implements UsageService.ContentRegistrar {
        private final List<ContentListener> registered = new ArrayList<>();
        private final AtomicInteger withdrawn = new AtomicInteger();

        @Override
        public Runnable register(final ContentListener listener) {
            registered.add(listener);
            return () -> {
                registered.remove(listener);
                withdrawn.incrementAndGet();
            };
        }

        ContentListener only() {
            assertThat(registered).hasSize(1);
            return registered.get(0);
        }
    }

    @BeforeEach
    void open() {
        db = Fixtures.database(dir);
    }

    @AfterEach
    void close() {
        started.forEach(UsageService::deactivate);
        db.dispose();
    }

    private UsageService start(final Object... config) {
        return start(db, config);
    }

    private UsageService start(final DataSource source, final Object... config) {
        final UsageService service = new UsageService(Fixtures.config(config), dir, source,
                Fixtures.samplePrices(), clock::get, registrar);
        started.add(service);
        waitFor(() -> service.stats().ready() || service.stats().failures() > 0, "start");
        return service;
    }

    private void stop(final UsageService service) {
        started.remove(service);
        service.deactivate();
    }

    static ExchangeContent exchange(final String id, final long tsMs, final String session,
            final String text) {
        final ObjectNode request = JSON.createObjectNode().put("model", "auto");
        request.putArray("messages").addObject().put("role", "user").put("content", text);
        final ObjectNode answer = JSON.createObjectNode().put("object", "chat.completion")
                .put("model", "gpt-4o");
        answer.putArray("choices").addObject().put("finish_reason", "stop")
                .putObject("message").put("role", "assistant").put("content", "re: " + text);
        return new ExchangeContent(id, Instant.ofEpochMilli(tsMs), session, "openai", "gpt-4o",
                request, answer, "stop");
    }

    private static void publish(final UsageService usage, final ContentListener listener,
            final ExchangeContent... exchanges) {
        final ContentWriter.Stats before = usage.contentStats().orElseThrow();
        for (final ExchangeContent e : exchanges) {
            listener.onContent(e);
        }
        waitFor(() -> {
            final ContentWriter.Stats now = usage.contentStats().orElseThrow();
            return now.written() + now.expired() + now.lost() >= before.written()
                    + before.expired() + before.lost() + exchanges.length;
        }, exchanges.length + " exchange(s) written");
    }

    private List<Reports.Content> all(final UsageService usage) throws Exception {
        final List<Reports.Content> found = new ArrayList<>();
        usage.reports().content(0, Long.MAX_VALUE, Integer.MAX_VALUE, found::add);
        return found;
    }

    @Test
    void theContentListenerExistsOnlyWhileStoreContentIsOn() throws Exception {
        final UsageService off = start();
        assertThat(registrar.registered).as("default: no content listener").isEmpty();
        assertThat(off.contentStats()).isEmpty();
        assertThat(off.health().details()).containsEntry("storeContent", false)
                .doesNotContainKey("contentWritten");
        stop(off);
        assertThat(registrar.withdrawn).hasValue(0);

        // a configuration change restarts the component: now with storeContent=true
        final UsageService on = start("storeContent", true);
        final ContentListener listener = registrar.only();
        assertThat(on.health().details()).containsEntry("storeContent", true)
                .containsEntry("contentQueueSize", 1000).containsEntry("contentRetentionDays", 7);
        publish(on, listener, exchange("c1", T0, "session-1", "hello"));
        assertThat(on.health().message()).contains("1 exchange content record(s) stored");
        stop(on);
        assertThat(registrar.registered).as("withdrawn when stopping").isEmpty();
        assertThat(registrar.withdrawn).hasValue(1);
        listener.onContent(exchange("late", T0, null, "late"));
        assertThat(on.contentStats().orElseThrow().dropped()).as("closed: refused, counted")
                .isEqualTo(1);

        // and back off: nothing published, what was stored stays readable
        final UsageService offAgain = start("storeContent", false);
        assertThat(registrar.registered).isEmpty();
        assertThat(all(offAgain)).extracting(Reports.Content::requestId).containsExactly("c1");
        assertThat(new ContentCommand(offAgain).execute(null, List.of("nope")))
                .asString().contains("storeContent=false");
    }

    @Test
    void everyFieldIsStoredAndTheSessionIsHashedLikeTheRequestRows() throws Exception {
        final UsageService usage = start("storeContent", true);
        usage.onRequest(event("c1", T0, "session-1", "openai", "gpt-4o", 10, 10));
        waitFor(() -> usage.stats().written() == 1, "the request row");
        publish(usage, registrar.only(), exchange("c1", T0, "session-1", "Hello \"world\"\n"));
        final List<Reports.Content> stored = all(usage);
        assertThat(stored).hasSize(1);
        final Reports.Content c = stored.get(0);
        assertThat(c.requestId()).isEqualTo("c1");
        assertThat(c.tsMs()).isEqualTo(T0);
        assertThat(c.provider()).isEqualTo("openai");
        assertThat(c.model()).isEqualTo("gpt-4o");
        assertThat(c.finishReason()).isEqualTo("stop");
        assertThat(c.session()).hasSize(32).isNotEqualTo("session-1");
        try (Connection connection = db.getConnection(); Statement s =
                connection.createStatement(); ResultSet r = s.executeQuery(
                        "SELECT session_key FROM usage_2026_11_26")) {
            r.next();
            assertThat(c.session()).as("joins the request rows").isEqualTo(r.getString(1));
        }
        assertThat(JSON.readTree(c.request()).at("/messages/0/content").asText())
                .isEqualTo("Hello \"world\"\n");
        assertThat(JSON.readTree(c.answer()).at("/choices/0/message/content").asText())
                .isEqualTo("re: Hello \"world\"\n");
        assertThat(usage.reports().content("c1")).containsExactly(c);
        assertThat(usage.reports().content("other")).isEmpty();
    }

    @Test
    void sessionIdsAreStoredAsSentWhenAnonymisationIsOffAndNullsAreKept() throws Exception {
        final UsageService usage = start("storeContent", true, "anonymize", false);
        publish(usage, registrar.only(), exchange("a", T0, "session-1", "x"),
                new ExchangeContent(null, null, null, null, null, null, null, null));
        final List<Reports.Content> stored = all(usage);
        assertThat(stored).hasSize(2);
        assertThat(stored).extracting(Reports.Content::session).contains("session-1");
        final Reports.Content empty = stored.stream().filter(c -> c.requestId().isEmpty())
                .findFirst().orElseThrow();
        assertThat(empty.tsMs()).as("no timestamp: now").isEqualTo(clock.get());
        assertThat(empty.request()).isNull();
        assertThat(empty.answer()).isNull();
        assertThat(empty.session()).isNull();
    }

    @Test
    void contentDaysGoAfterContentRetentionDaysWhileRequestDaysStay() throws Exception {
        final UsageService usage = start("storeContent", true, "contentRetentionDays", 2,
                "retentionDays", 90);
        final ContentListener listener = registrar.only();
        final List<ExchangeContent> exchanges = new ArrayList<>();
        for (int day = 0; day < 4; day++) {
            usage.onRequest(event("d" + day, T0 - day * DAY, null, "openai", "gpt-4o", 1, 1));
            exchanges.add(exchange("d" + day, T0 - day * DAY, null, "day " + day));
        }
        waitFor(() -> usage.stats().written() == 4, "4 request rows");
        publish(usage, listener, exchanges.toArray(ExchangeContent[]::new));
        // cutoff 2026-11-24T10:01Z: the 23rd ended before it, its content is skipped
        assertThat(usage.contentStats().orElseThrow().expired()).isEqualTo(1);
        assertThat(contentDays()).containsExactly(LocalDate.of(2026, 11, 24),
                LocalDate.of(2026, 11, 25), LocalDate.of(2026, 11, 26));
        stop(usage);

        // storeContent turned off: retention still drops stored content when it is due
        clock.set(T0 + DAY);
        final UsageService off = start("storeContent", false, "contentRetentionDays", 2,
                "retentionDays", 90);
        waitFor(() -> contentDays().size() == 2, "content retention");
        assertThat(contentDays()).containsExactly(LocalDate.of(2026, 11, 25),
                LocalDate.of(2026, 11, 26));
        assertThat(count(db, "SELECT COUNT(*) FROM usage_all")).as("request rows stay")
                .isEqualTo(4);
        assertThat(all(off)).extracting(Reports.Content::requestId).containsExactly("d1",
                "d0");
        clock.set(T0 + 3 * DAY);
        stop(off);
        final UsageService later = start("contentRetentionDays", 2);
        waitFor(() -> contentDays().isEmpty(), "every content day gone");
        assertThat(all(later)).isEmpty();
        try (Connection c = db.getConnection()) {
            assertThat(Schema.partitions(c)).as("request days stay").hasSize(4);
        }
    }

    private List<LocalDate> contentDays() {
        try (Connection c = db.getConnection()) {
            return new ArrayList<>(Schema.contentPartitions(c));
        } catch (final SQLException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aRangeIsReadOldestFirstUpToTheLimitAcrossDays() throws Exception {
        final UsageService usage = start("storeContent", true);
        publish(usage, registrar.only(), exchange("b", T0 - 20 * HOUR, null, "b"),
                exchange("a", T0 - 30 * HOUR, null, "a"), exchange("c", T0, null, "c"),
                exchange("d", T0 + 1, null, "d"));
        final List<String> ids = new ArrayList<>();
        assertThat(usage.reports().content(0, Long.MAX_VALUE, 3, c -> ids.add(c.requestId())))
                .isEqualTo(3);
        assertThat(ids).containsExactly("a", "b", "c");
        ids.clear();
        usage.reports().content(T0 - 25 * HOUR, T0 + 1, 100, c -> ids.add(c.requestId()));
        assertThat(ids).containsExactly("b", "c");
        ids.clear();
        usage.reports().content(0, Long.MAX_VALUE, 1, c -> ids.add(c.requestId()));
        assertThat(ids).containsExactly("a");
    }

    @Test
    void aFullContentQueueDropsWithoutBlockingAndWarns() throws Exception {
        final AtomicBoolean stall = new AtomicBoolean();
        final CountDownLatch release = new CountDownLatch(1);
        final DataSource slow = UsageServiceTest.wrap(db, () -> {
            if (stall.get() && Thread.currentThread().getName().contains("content")) {
                release.await();
            }
        });
        final UsageService usage = start(slow, "storeContent", true, "contentQueueSize", 3,
                "batchSize", 1, "flushMillis", 0L);
        final ContentListener listener = registrar.only();
        stall.set(true);
        final long began = System.nanoTime();
        for (int i = 0; i < 30; i++) {
            listener.onContent(exchange("r" + i, T0 + i, null, "x".repeat(1000)));
        }
        assertThat(Duration.ofNanos(System.nanoTime() - began)).isLessThan(
                Duration.ofSeconds(1));
        final long dropped = usage.contentStats().orElseThrow().dropped();
        assertThat(dropped).isBetween(26L, 27L);
        final HealthResult health = usage.health();
        assertThat(health.severity()).isEqualTo(Severity.WARNING);
        assertThat(health.message()).contains("exchange content record(s) dropped");
        assertThat(health.details()).containsEntry("contentDropped", dropped)
                .containsEntry("contentQueueSize", 3);
        stall.set(false);
        release.countDown();
        waitFor(() -> usage.contentStats().orElseThrow().written() == 30 - dropped,
                "the rest");
        clock.addAndGet(UsageService.DROP_WARN_MS + 1);
        assertThat(usage.health().severity()).isEqualTo(Severity.OK);
    }

    @Test
    void bothDropsAreReportedTogether() throws Exception {
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicBoolean stall = new AtomicBoolean();
        final DataSource slow = UsageServiceTest.wrap(db, () -> {
            if (stall.get()) {
                release.await();
            }
        });
        final UsageService usage = start(slow, "storeContent", true, "contentQueueSize", 1,
                "queueSize", 1, "batchSize", 1, "flushMillis", 0L);
        stall.set(true);
        for (int i = 0; i < 5; i++) {
            usage.onRequest(event("r" + i, T0 + i, null, "openai", "gpt-4o", 1, 1));
            registrar.only().onContent(exchange("r" + i, T0 + i, null, "x"));
        }
        final HealthResult health = usage.health();
        assertThat(health.severity()).isEqualTo(Severity.WARNING);
        assertThat(health.message()).contains("usage event(s) dropped")
                .contains("exchange content record(s) dropped");
        stall.set(false);
        release.countDown();
    }

    @Test
    void anUnwritableContentDatabaseIsCriticalWithoutQuotingContent() throws Exception {
        final AtomicBoolean broken = new AtomicBoolean();
        final DataSource flaky = UsageServiceTest.wrap(db, () -> {
            if (broken.get() && Thread.currentThread().getName().contains("content")) {
                throw new SQLException("disk full (test)", "08000");
            }
        });
        final UsageService usage = start(flaky, "storeContent", true);
        broken.set(true);
        registrar.only().onContent(exchange("r", T0, null, "secret prompt"));
        waitFor(() -> !usage.contentStats().orElseThrow().writable(), "the failure");
        final HealthResult health = usage.health();
        assertThat(health.severity()).isEqualTo(Severity.CRITICAL);
        assertThat(health.message()).contains("usage content not writable")
                .contains("disk full").doesNotContain("secret prompt");
        broken.set(false);
        // the row is counted before the writer marks the store writable again: wait for both
        waitFor(() -> usage.contentStats().orElseThrow().written() == 1
                && usage.health().severity() == Severity.OK, "the recovery");
        assertThat(usage.contentStats().orElseThrow().writable()).isTrue();
    }

    @Test
    void refusedDataIsGivenUpAndDescribedWithoutItsValue() throws Exception {
        final DataSource refusing = UsageServiceTest.wrap(db, () -> {
            if (Thread.currentThread().getName().contains("content")) {
                throw new SQLException("Value too long: 'secret prompt'", "22001");
            }
        });
        final UsageService usage = start(refusing, "storeContent", true);
        registrar.only().onContent(exchange("r", T0, null, "secret prompt"));
        waitFor(() -> usage.contentStats().orElseThrow().lost() == 1, "given up");
        assertThat(usage.contentStats().orElseThrow().lastError())
                .contains("SQL state 22001").doesNotContain("secret");
        assertThat(ContentWriter.describe(new SQLException("gone", "08000"))).isEqualTo("gone");
        assertThat(ContentWriter.describe(new IOException("no space"))).isEqualTo("no space");
        assertThat(ContentWriter.describe(new IllegalStateException("secret")))
                .isEqualTo("java.lang.IllegalStateException");
    }

    @Test
    void storedContentIsWrittenOutAsJsonAndAsText() throws Exception {
        final ExchangeContent e = exchange("j1", T0, "s", "hi");
        final ContentWriter.Row row = ContentWriter.row(e, T0, Anonymizer.plain());
        final Reports.Content c = new Reports.Content(row.requestId(), row.tsMs(),
                row.sessionKey(), row.providerId(), row.model(), row.finishReason(),
                row.request(), row.answer());
        final StringWriter text = new StringWriter();
        try (JsonGenerator out = JSON.getFactory().createGenerator(text)) {
            Json.content(out, c);
        }
        final JsonNode node = JSON.readTree(text.toString());
        assertThat(node.get("requestId").asText()).isEqualTo("j1");
        assertThat(node.get("timestamp").asText()).isEqualTo("2026-11-26T10:00:00Z");
        assertThat(node.get("session").asText()).isEqualTo("s");
        assertThat(node.get("provider").asText()).isEqualTo("openai");
        assertThat(node.get("model").asText()).isEqualTo("gpt-4o");
        assertThat(node.get("finishReason").asText()).isEqualTo("stop");
        assertThat(node.get("request")).isEqualTo(e.request());
        assertThat(node.get("answer")).isEqualTo(e.answer());

        final String shown = ContentCommand.text(c);
        assertThat(shown).contains("request id     j1").contains("finish reason  stop")
                .contains("--- request").contains("\"content\" : \"hi\"")
                .contains("--- answer").contains("re: hi");
        assertThat(ContentCommand.text(new Reports.Content("x", T0, null, null, null, null,
                null, "not json"))).contains("session        -").contains("(none)")
                .contains("not json");
        final StringWriter nulls = new StringWriter();
        try (JsonGenerator out = JSON.getFactory().createGenerator(nulls)) {
            Json.content(out, new Reports.Content("x", T0, null, null, null, null, null, " "));
        }
        assertThat(JSON.readTree(nulls.toString()).get("answer").isNull()).isTrue();
    }

    @Test
    void theShellShowsOneRequestsContent() throws Exception {
        final UsageService usage = start("storeContent", true);
        publish(usage, registrar.only(), exchange("g1", T0, null, "what is 2+2"));
        final ContentCommand command = new ContentCommand(usage);
        assertThat(command.execute(null, List.of("g1"))).asString()
                .contains("request id     g1").contains("what is 2+2").contains("re: what is");
        assertThat(command.execute(null, List.of("g2"))).asString()
                .contains("no stored content for request g2").contains("kept 7 day(s)");
        assertThat(command.execute(null, List.of())).asString()
                .contains("REQUEST_ID is required").contains("usage:");
        assertThat(command.execute(null, List.of("a", "b"))).asString()
                .contains("expected one REQUEST_ID");
        assertThat(command.execute(null, List.of("--since"))).asString()
                .contains("unknown option --since");
    }

    @Test
    void theFormatParameterIsChecked() throws Exception {
        assertThat(UsageServlet.lines(null)).isFalse();
        assertThat(UsageServlet.lines(" ")).isFalse();
        assertThat(UsageServlet.lines("json")).isFalse();
        assertThat(UsageServlet.lines("JSONL")).isTrue();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> UsageServlet.lines("xml"))
                .isInstanceOf(Params.Invalid.class).hasMessageContaining("format")
                .hasMessageContaining("json, jsonl");
    }
}
