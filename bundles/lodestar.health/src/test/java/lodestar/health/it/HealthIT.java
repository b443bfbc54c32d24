package lodestar.health.it;

import static lodestar.test.support.Framework.endpoint;
import static lodestar.test.support.Framework.gogo;
import static lodestar.test.support.Framework.waitFor;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import lodestar.api.event.RequestEvent;
import lodestar.api.event.RequestListener;
import lodestar.api.health.Alert;
import lodestar.api.health.AlertSink;
import lodestar.api.health.Availability;
import lodestar.api.health.HealthContributor;
import lodestar.api.health.HealthResult;
import lodestar.api.health.Severity;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventConstants;
import org.osgi.service.event.EventHandler;
import org.osgi.test.junit5.context.BundleContextExtension;

/**
 * The health bundle in a real framework: contributors appearing and leaving, alerts through
 * the sink whiteboard and Event Admin, the probes and metrics over HTTP, Gogo, live config.
 */
@ExtendWith(BundleContextExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HealthIT {

    /** How long {@code waitFor} polls before the test fails. */
    private static final Duration WAIT = Duration.ofSeconds(15);

    private final HttpClient http = HttpClient.newHttpClient();
    private final List<Alert> alerts = new CopyOnWriteArrayList<>();
    private final List<Event> events = new CopyOnWriteArrayList<>();
    private BundleContext context;
    private Configuration configuration;
    private ServiceRegistration<AlertSink> sink;
    private ServiceRegistration<EventHandler> handler;
    private String base;

    @BeforeAll
    void setUp() throws Exception {
        context = FrameworkUtil.getBundle(HealthIT.class).getBundleContext();
        final ConfigurationAdmin admin = context.getService(
                context.getServiceReference(ConfigurationAdmin.class));
        configuration = admin.getConfiguration("lodestar.health", "?");
        final Dictionary<String, Object> properties = new Hashtable<>();
        properties.put("intervalSeconds", 1);
        properties.put("confirmRounds", 1);
        properties.put("minRequests", 3);
        configuration.update(properties);
        sink = context.registerService(AlertSink.class, alerts::add, null);
        final Dictionary<String, Object> topics = new Hashtable<>();
        topics.put(EventConstants.EVENT_TOPIC, "lodestar/health/alert/*");
        handler = context.registerService(EventHandler.class, events::add, topics);
        base = endpoint(context);
    }

    @AfterAll
    void tearDown() throws Exception {
        sink.unregister();
        handler.unregister();
        configuration.delete();
    }

    private HttpResponse<String> get(final String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private ServiceRegistration<HealthContributor> contribute(final String name,
            final AtomicReference<HealthResult> result) {
        return context.registerService(HealthContributor.class, new HealthContributor() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public List<HealthResult> check() {
                return List.of(result.get());
            }
        }, null);
    }

    @Test
    void aContributorAppearsRaisesAlertsRecoversAndLeaves() throws Exception {
        final AtomicReference<HealthResult> state = new AtomicReference<>(new HealthResult(
                "provider.box", Severity.WARNING, "box does not answer", Map.of("down", true),
                null));
        final ServiceRegistration<HealthContributor> box = contribute("provider.box", state);
        try {
            waitFor(WAIT, "the warning alert", () -> alerts.stream().anyMatch(a -> a.key()
                    .equals("provider.box") && a.severity() == Severity.WARNING));
            waitFor(WAIT, "the OSGi event", () -> events.stream().anyMatch(e -> e.getTopic()
                    .equals("lodestar/health/alert/WARNING") && "provider.box".equals(
                            e.getProperty("key"))));
            assertThat(gogo(context, "lodestar:health")).contains("provider.box")
                    .contains("box does not answer");
            assertThat(gogo(context, "lodestar:alerts")).contains("provider.box");
            final HttpResponse<String> history = get("/health/alerts?limit=500");
            assertThat(history.statusCode()).isEqualTo(200);
            assertThat(history.body()).contains("\"key\":\"provider.box\"")
                    .contains("\"severity\":\"WARNING\"").contains("box does not answer");
            assertThat(get("/health/alerts?limit=0").statusCode()).isEqualTo(400);
            assertThat(get("/health/alerts?limit=x").body()).contains("\"param\":\"limit\"");

            final Availability availability = context.getService(
                    context.getServiceReference(Availability.class));
            assertThat(availability.unavailable("box", "any-model")).isPresent();

            state.set(new HealthResult("provider.box", Severity.OK, "box answers",
                    Map.of("down", false), null));
            waitFor(WAIT, "the recovery", () -> alerts.stream().anyMatch(a -> a.key()
                    .equals("provider.box") && a.recovery()));
            assertThat(availability.unavailable("box", "any-model")).isEmpty();
            final long recoveries = alerts.stream().filter(a -> a.key().equals("provider.box")
                    && a.recovery()).count();
            Thread.sleep(2500);
            assertThat(alerts.stream().filter(a -> a.key().equals("provider.box")
                    && a.recovery()).count()).as("recovery announced once")
                    .isEqualTo(recoveries);
        } finally {
            box.unregister();
        }
        waitFor(WAIT, "the check to leave with its service",
                () -> !gogo(context, "lodestar:health").contains("provider.box"));
    }

    @Test
    void probesAnswerLivenessAndReadinessFromTheLatestRound() throws Exception {
        assertThat(get("/health/live").statusCode()).isEqualTo(200);
        waitFor(WAIT, "not ready without a router", () -> get("/health/ready").statusCode() == 503);
        assertThat(get("/health/ready").body()).contains("router not running");

        final ServiceRegistration<HealthContributor> router = contribute("router",
                new AtomicReference<>(HealthResult.of("router", Severity.OK, "serving")));
        try {
            waitFor(WAIT, "ready with a router", () -> get("/health/ready").statusCode() == 200);
            assertThat(get("/health/ready").body()).contains("\"READY\"");
        } finally {
            router.unregister();
        }
    }

    @Test
    void metricsCountTheRoutersEvents() throws Exception {
        final RequestListener listener = context.getServiceReferences(RequestListener.class,
                null).stream().map(context::getService).findFirst().orElseThrow();
        for (int i = 0; i < 4; i++) {
            listener.onRequest(new RequestEvent("r" + i, Instant.now(), "/v1/chat/completions",
                    "s", null, "cheap", "paid", "gpt-x", "fixed", "why", false, false,
                    new RequestEvent.TokenCounts(1000, 200, 0, 0, false),
                    Duration.ofMillis(900), Duration.ofMillis(300), 502, "upstream_error", 1,
                    null, null));
        }
        waitFor(WAIT, "the requests in /metrics", () -> get("/metrics").body().contains(
                "lodestar_requests_total{provider=\"paid\",model=\"gpt-x\",status=\"502\"} 4"));
        final HttpResponse<String> metrics = get("/metrics");
        assertThat(metrics.headers().firstValue("Content-Type")).get().asString()
                .startsWith("text/plain; version=0.0.4");
        assertThat(metrics.body())
                .contains("lodestar_tokens_total{provider=\"paid\",model=\"gpt-x\","
                        + "direction=\"input\"} 4000")
                .contains("lodestar_health_check_severity{check=\"system.disk\"}");
        waitFor(WAIT, "a critical alert for the failing provider", () -> alerts.stream()
                .anyMatch(a -> a.key().equals("traffic.provider.paid")
                        && a.severity() == Severity.CRITICAL));
    }
}
