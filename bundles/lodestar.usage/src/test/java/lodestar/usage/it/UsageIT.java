package lodestar.usage.it;

import static lodestar.test.support.Framework.endpoint;
import static lodestar.test.support.Framework.gogo;
import static lodestar.test.support.Framework.waitFor;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.UUID;
import javax.sql.DataSource;
import lodestar.api.event.ContentListener;
import lodestar.api.event.ExchangeContent;
import lodestar.api.event.RequestEvent;
import lodestar.api.event.RequestListener;
import lodestar.api.health.HealthContributor;
import lodestar.api.health.HealthResult;
import lodestar.api.health.Severity;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * Usage tracking in a real framework with a real H2 file: events published to the
 * RequestListener service become rows; reports over HTTP and Gogo; live prices; the bundle
 * stopped and started while the store stays up; content stored only while storeContent=true,
 * through the ContentListener service that exists only then.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class UsageIT {

    /** How long {@code waitFor} polls before the test fails. */
    private static final Duration WAIT = Duration.ofSeconds(20);

    private static final String LISTENER = "(component.name=lodestar.usage.internal"
            + ".UsageService)";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Unique per run: the database file outlives a run. */
    private final String run = UUID.randomUUID().toString().substring(0, 8);
    private final String model = "it-model-" + run;
    private final HttpClient http = HttpClient.newHttpClient();
    private BundleContext context;
    private Configuration usageConfig;
    private Configuration prices;
    private String base;
    private int sequence;

    @BeforeAll
    void setUp() throws Exception {
        context = FrameworkUtil.getBundle(UsageIT.class).getBundleContext();
        final ConfigurationAdmin admin = context.getService(
                context.getServiceReference(ConfigurationAdmin.class));
        prices = admin.getConfiguration("lodestar.usage.prices", "?");
        final Dictionary<String, Object> table = new Hashtable<>();
        table.put("price." + model, "input=2,output=10");
        table.put("provider.local", "input=0,output=0");
        prices.update(table);
        usageConfig = admin.getConfiguration("lodestar.usage", "?");
        configure(false);
        base = endpoint(context);
    }

    /** Configures usage tracking and waits until it runs with that configuration. */
    private void configure(final boolean storeContent) throws Exception {
        final Dictionary<String, Object> properties = new Hashtable<>();
        properties.put("flushMillis", "50");
        properties.put("sessionIdleMinutes", "30");
        if (storeContent) {
            properties.put("storeContent", "true");
        }
        // configuration properties become service properties: the marker tells the component
        // running with this configuration from the one before it, which CM may still replace
        final String generation = java.util.UUID.randomUUID().toString();
        properties.put("it.generation", generation);
        usageConfig.update(properties);
        waitFor(WAIT, "usage tracking with its config", () -> listenerReference() != null
                && generation.equals(listenerReference().getProperty("it.generation"))
                && health().details().get("schemaVersion") != null
                && !"0".equals(String.valueOf(health().details().get("schemaVersion")))
                && Boolean.valueOf(storeContent).equals(health().details().get("storeContent")));
    }

    @AfterAll
    void tearDown() throws Exception {
        usageConfig.delete();
        prices.delete();
    }

    private ServiceReference<RequestListener> listenerReference() throws Exception {
        final Collection<ServiceReference<RequestListener>> refs =
                context.getServiceReferences(RequestListener.class, LISTENER);
        return refs.isEmpty() ? null : refs.iterator().next();
    }

    private Collection<ServiceReference<ContentListener>> contentListeners() throws Exception {
        return context.getServiceReferences(ContentListener.class, null);
    }

    private RequestListener listener() throws Exception {
        return context.getService(listenerReference());
    }

    private HealthResult health() throws Exception {
        for (final ServiceReference<HealthContributor> ref
                : context.getServiceReferences(HealthContributor.class, null)) {
            final HealthContributor contributor = context.getService(ref);
            if ("usage".equals(contributor.name())) {
                return contributor.check().get(0);
            }
        }
        throw new IllegalStateException("no usage health contributor");
    }

    private DataSource dataSource() throws Exception {
        final Collection<ServiceReference<DataSource>> refs =
                context.getServiceReferences(DataSource.class, "(dataSourceName=lodestar)");
        assertThat(refs).hasSize(1);
        return context.getService(refs.iterator().next());
    }

    private long rows(final String where, final String value) throws Exception {
        try (Connection c = dataSource().getConnection(); PreparedStatement s =
                c.prepareStatement("SELECT COUNT(*) FROM usage_all WHERE " + where)) {
            s.setString(1, value);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return r.getLong(1);
            }
        }
    }

    private RequestEvent event(final String session, final String servedModel,
            final String provider, final int status) {
        return new RequestEvent(run + "-" + ++sequence, Instant.now(), "/v1/chat/completions",
                session, "it-client", "auto", provider, servedModel, "cheapest",
                "cheapest meeting tools", true, false,
                new RequestEvent.TokenCounts(1_000_000, 100_000, 0, 0, false),
                Duration.ofMillis(800), Duration.ofMillis(120), status,
                status == 200 ? null : "upstream_error", 1, null, 5.0);
    }

    private HttpResponse<String> get(final String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode json(final String path) throws Exception {
        final HttpResponse<String> response = get(path);
        assertThat(response.statusCode()).as(path + ": " + response.body()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).get().asString()
                .startsWith("application/json");
        return JSON.readTree(response.body());
    }

    private static JsonNode row(final JsonNode report, final String key) {
        for (final JsonNode row : report.get("rows")) {
            if (key.equals(row.get("key").asText())) {
                return row;
            }
        }
        throw new AssertionError("no row " + key + " in " + report);
    }

    @Test
    void eventsPublishedToTheListenerBecomeRowsAndReports() throws Exception {
        final RequestListener listener = listener();
        final String session = "s-" + run;
        listener.onRequest(event(session, model, "paid", 200));
        listener.onRequest(event(session, model, "paid", 200));
        listener.onRequest(event(session, "local-" + run, "local", 200));
        listener.onRequest(event(session, "unknown-" + run, "paid", 502));
        final String last = run + "-" + sequence;
        waitFor(WAIT, "the row of " + last, () -> rows("request_id = ?", last) > 0);

        final JsonNode byModel = json("/api/usage?since=1h&groupBy=model");
        assertThat(byModel.get("groupBy").asText()).isEqualTo("model");
        final JsonNode paid = row(byModel, model);
        assertThat(paid.get("requests").asLong()).isEqualTo(2);
        assertThat(paid.get("tokens").get("input").asLong()).isEqualTo(2_000_000);
        // 1M input at 2 USD/M + 100k output at 10 USD/M, twice
        assertThat(paid.get("costUsd").asDouble()).isEqualTo(6.0);
        assertThat(paid.get("pricing").get("tablePriced").asLong()).isEqualTo(2);
        assertThat(row(byModel, "local-" + run).get("costUsd").asDouble()).isZero();
        final JsonNode unknown = row(byModel, "unknown-" + run);
        assertThat(unknown.get("pricing").get("unpriced").asLong()).isEqualTo(1);
        assertThat(unknown.get("errors").asLong()).isEqualTo(1);
        assertThat(byModel.get("total").get("requests").asLong()).isGreaterThanOrEqualTo(4);

        final JsonNode sessions = json("/api/usage/sessions?since=1h&limit=50");
        assertThat(sessions.get("sessions").findValuesAsText("session")).isNotEmpty();
        assertThat(sessions.get("sessions").get(0).has("durationSeconds")).isTrue();

        final JsonNode recent = json("/api/usage/requests?since=1h&limit=3");
        assertThat(recent.get("limit").asInt()).isEqualTo(3);
        final JsonNode requests = recent.get("requests");
        assertThat(requests.size()).isEqualTo(3);
        assertThat(requests.findValuesAsText("requestId")).contains(last);
        for (int i = 1; i < requests.size(); i++) {
            assertThat(Instant.parse(requests.get(i).get("timestamp").asText()))
                    .isBeforeOrEqualTo(Instant.parse(requests.get(i - 1).get("timestamp")
                            .asText()));
        }
        assertThat(requests.get(0).get("route").asText()).isEqualTo("cheapest meeting tools");
        assertError(get("/api/usage/requests?limit=0"), 400, "limit");
        final JsonNode switches = json("/api/usage/switches?since=1h");
        assertThat(switches.get("switches").findValuesAsText("to")).contains("local-" + run);

        final JsonNode savings = json("/api/usage/savings?since=1h&groupBy=model");
        assertThat(savings.has("savedPercent")).isTrue();
        final JsonNode saved = row(savings, model);
        assertThat(saved.get("baselineCostUsd").asDouble()).isEqualTo(10.0);
        assertThat(saved.get("savedUsd").asDouble()).isEqualTo(4.0);
        assertThat(saved.get("savedPercent").asDouble()).isEqualTo(40.0);

        final HttpResponse<String> export = get("/api/usage/export?since=1h");
        assertThat(export.statusCode()).isEqualTo(200);
        final JsonNode exported = JSON.readTree(export.body());
        assertThat(exported.isArray()).isTrue();
        assertThat(exported.findValuesAsText("requestId")).contains(run + "-1", run + "-4");

        assertThat(health().severity()).isEqualTo(Severity.OK);
    }

    @Test
    void badParametersAreAnsweredWithOpenAiShapedErrorsNamingThem() throws Exception {
        assertError(get("/api/usage?since=yesterday"), 400, "since");
        assertError(get("/api/usage?until=later"), 400, "until");
        assertError(get("/api/usage?since=1h&until=2h"), 400, "since");
        assertError(get("/api/usage?groupBy=colour"), 400, "groupBy");
        assertError(get("/api/usage?colour=blue"), 400, "colour");
        assertError(get("/api/usage?since=1h&since=2h"), 400, "since");
        assertError(get("/api/usage/savings?groupBy=session"), 400, "groupBy");
        assertError(get("/api/usage/sessions?limit=0"), 400, "limit");
        assertError(get("/api/usage/export?groupBy=model"), 400, "groupBy");
        final HttpResponse<String> missing = get("/api/usage/nothing");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(missing.body()).get("error").get("code").asText())
                .isEqualTo("not_found");
        final HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(base
                + "/api/usage")).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(json("/api/usage").get("groupBy").asText()).isEqualTo("model");
        assertThat(json("/api/usage/").get("rows").isArray()).isTrue();
    }

    private static void assertError(final HttpResponse<String> response, final int status,
            final String param) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        final JsonNode error = JSON.readTree(response.body()).get("error");
        assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.get("param").asText()).isEqualTo(param);
        assertThat(error.get("code").asText()).isEqualTo("invalid_parameter");
        assertThat(error.get("message").asText()).contains(param);
    }

    @Test
    void theShellShowsUsageSessionsSavingsAndExports() throws Exception {
        final RequestListener listener = listener();
        listener.onRequest(event("g-" + run, model, "paid", 200));
        final String id = run + "-" + sequence;
        waitFor(WAIT, "the row of " + id,
                () -> rows("session_key IS NOT NULL AND request_id = ?", id) > 0);
        assertThat(gogo(context, "lodestar:usage --since 1h --by model")).contains(model)
                .contains("TOTAL");
        assertThat(gogo(context, "lodestar:usage -s 1h -b provider")).contains("paid");
        assertThat(gogo(context, "lodestar:sessions --since 1h")).contains("session(s) shown");
        assertThat(gogo(context, "lodestar:savings --since 1h")).contains("baseline cost");
        assertThat(gogo(context, "lodestar:switches")).contains("switch(es) shown");
        assertThat(gogo(context, "lodestar:prices")).contains(model).contains("writer: ok");
        assertThat(gogo(context, "lodestar:usage --by colour")).contains("error: --by");
        final Path file = Files.createTempDirectory("usage-it").resolve("export.json");
        assertThat(gogo(context, "lodestar:usage-export " + file + " --since 1h"))
                .contains("exported");
        assertThat(JSON.readTree(file.toFile()).findValuesAsText("requestId"))
                .contains(id);
    }

    @Test
    void pricesEditedLiveApplyToTheNextRequests() throws Exception {
        final String live = "live-" + run;
        final Dictionary<String, Object> table = new Hashtable<>();
        table.put("price." + model, "input=2,output=10");
        table.put("price." + live, "input=1,output=0");
        prices.update(table);
        waitFor(WAIT, "the new table", () -> gogo(context, "lodestar:prices").contains(live));
        listener().onRequest(event(null, live, "paid", 200));
        waitFor(WAIT, "the first row", () -> rows("model = ?", live) == 1);
        table.put("price." + live, "input=3,output=0");
        prices.update(table);
        waitFor(WAIT, "the edited table", () -> gogo(context, "lodestar:prices").contains("3.0"));
        listener().onRequest(event(null, live, "paid", 200));
        waitFor(WAIT, "the second row", () -> rows("model = ?", live) == 2);
        try (Connection c = dataSource().getConnection(); PreparedStatement s =
                c.prepareStatement("SELECT cost_usd, price_version FROM usage_all "
                        + "WHERE model = ? ORDER BY ts_ms, request_id")) {
            s.setString(1, live);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                assertThat(r.getDouble(1)).isEqualTo(1.0);
                final int first = r.getInt(2);
                r.next();
                assertThat(r.getDouble(1)).isEqualTo(3.0);
                assertThat(r.getInt(2)).isGreaterThan(first);
            }
        }
    }

    private static JsonNode stored(final JsonNode items, final String requestId) {
        for (final JsonNode item : items) {
            if (requestId.equals(item.get("requestId").asText())) {
                return item;
            }
        }
        throw new AssertionError("no content " + requestId + " in " + items);
    }

    @Test
    void contentIsStoredOnlyWhileStoreContentIsOnAndReadsBackOverHttpAndGogo()
            throws Exception {
        assertThat(contentListeners()).as("storeContent=false: no ContentListener").isEmpty();
        final String since = Instant.now().truncatedTo(ChronoUnit.SECONDS).minusSeconds(1)
                .toString();
        final String id = run + "-content";
        final ObjectNode request = JSON.createObjectNode().put("model", "auto");
        request.putArray("messages").addObject().put("role", "user")
                .put("content", "prompt of " + run);
        final ObjectNode answer = JSON.createObjectNode().put("object", "chat.completion")
                .put("model", model);
        answer.putArray("choices").addObject().put("finish_reason", "stop")
                .putObject("message").put("role", "assistant").put("content", "answer " + run);
        try {
            configure(true);
            waitFor(WAIT, "the content listener", () -> contentListeners().size() == 1);
            final ServiceReference<ContentListener> ref = contentListeners().iterator().next();
            assertThat(ref.getBundle().getSymbolicName()).isEqualTo("lodestar.usage");
            assertThat(ref.getProperty("lodestar.content.store")).isEqualTo("usage");
            context.getService(ref).onContent(new ExchangeContent(id, Instant.now(),
                    "c-" + run, "paid", model, request, answer, "stop"));
            final String range = "/api/usage/content?since=" + since + "&limit=100000";
            waitFor(WAIT, "the content over HTTP", () -> get(range).body().contains(id));

            final JsonNode item = stored(json(range), id);
            assertThat(item.get("timestamp").asText()).isNotEmpty();
            assertThat(item.get("session").asText()).hasSize(32).isNotEqualTo("c-" + run);
            assertThat(item.get("provider").asText()).isEqualTo("paid");
            assertThat(item.get("model").asText()).isEqualTo(model);
            assertThat(item.get("finishReason").asText()).isEqualTo("stop");
            assertThat(item.get("request")).isEqualTo(request);
            assertThat(item.get("answer")).isEqualTo(answer);

            final HttpResponse<String> lines = get(range + "&format=jsonl");
            assertThat(lines.statusCode()).isEqualTo(200);
            assertThat(lines.headers().firstValue("Content-Type")).get().asString()
                    .startsWith("application/x-ndjson");
            assertThat(lines.headers().firstValue("Cache-Control")).contains("no-store");
            final List<JsonNode> parsed = new ArrayList<>();
            for (final String line : lines.body().split("\n")) {
                parsed.add(JSON.readTree(line));
            }
            assertThat(stored(JSON.valueToTree(parsed), id)).isEqualTo(item);

            assertError(get("/api/usage/content?limit=0"), 400, "limit");
            assertError(get("/api/usage/content?format=xml"), 400, "format");
            assertError(get("/api/usage/content?since=yesterday"), 400, "since");
            assertError(get("/api/usage/content?groupBy=model"), 400, "groupBy");

            assertThat(gogo(context, "lodestar:usage-content " + id))
                    .contains("request id     " + id).contains("model          " + model)
                    .contains("prompt of " + run).contains("answer " + run);
            assertThat(gogo(context, "lodestar:usage-content missing-" + run))
                    .contains("no stored content for request missing-" + run);
            assertThat(health().severity()).isEqualTo(Severity.OK);
            assertThat(health().details()).containsEntry("contentWritten", 1L);
        } finally {
            configure(false);
        }
        assertThat(contentListeners()).as("storeContent back to false: the listener is gone")
                .isEmpty();
        assertThat(stored(json("/api/usage/content?since=" + since), id).get("request"))
                .as("kept until contentRetentionDays").isEqualTo(request);
        assertThat(gogo(context, "lodestar:usage-content " + id)).contains("prompt of " + run);
    }

    @Test
    void stoppingTheBundleStopsTrackingOnlyAndStartingResumes() throws Exception {
        final Bundle usage = listenerReference().getBundle();
        assertThat(usage.getSymbolicName()).isEqualTo("lodestar.usage");
        final String marker = "stop-" + run;
        final RequestListener listener = listener();
        for (int i = 0; i < 20; i++) {
            listener.onRequest(event(null, marker, "paid", 200));
        }
        usage.stop();
        try {
            assertThat(listenerReference()).isNull();
            assertThat(rows("model = ?", marker)).as("flushed when stopping").isEqualTo(20);
            assertThat(dataSource()).as("the store stays").isNotNull();
            waitFor(WAIT, "the endpoints to go", () -> get("/api/usage").statusCode() == 404);
        } finally {
            usage.start();
        }
        waitFor(WAIT, "tracking back", () -> listenerReference() != null);
        listener().onRequest(event(null, marker, "paid", 200));
        waitFor(WAIT, "tracking resumed", () -> rows("model = ?", marker) == 21);
        waitFor(WAIT, "the endpoints back", () -> get("/api/usage?since=1h").statusCode() == 200);
        final Bundle store = FrameworkUtil.getBundle(dataSource().getClass());
        assertThat(store.getSymbolicName()).isEqualTo("lodestar.store");
        assertThat(List.of(store.getState())).containsExactly(Bundle.ACTIVE);
    }
}
