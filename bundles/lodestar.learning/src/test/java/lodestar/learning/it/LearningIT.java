package lodestar.learning.it;

import static lodestar.test.support.Framework.endpoint;
import static lodestar.test.support.Framework.gogo;
import static lodestar.test.support.Framework.waitFor;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.UUID;
import javax.sql.DataSource;
import lodestar.api.event.ContentListener;
import lodestar.api.event.ExchangeContent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * The learning loop in a real framework: no content listener until collect=true arrives as a
 * .cfg-style string through ConfigAdmin, exchanges stored through the listener service,
 * feedback over HTTP and Gogo, a dataset built and the training/model commands answering
 * (varargs included), the listener gone again with collect=false.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LearningIT {

    /** How long {@code waitFor} polls before the test fails. */
    private static final Duration WAIT = Duration.ofSeconds(20);

    private static final String COLLECTOR = "(component.name=lodestar.learning.internal"
            + ".ContentCollector)";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String run = UUID.randomUUID().toString().substring(0, 8);
    private final HttpClient http = HttpClient.newHttpClient();
    private BundleContext context;
    private Configuration config;
    private String base;

    @BeforeAll
    void setUp() throws Exception {
        context = FrameworkUtil.getBundle(LearningIT.class).getBundleContext();
        final ConfigurationAdmin admin = context.getService(
                context.getServiceReference(ConfigurationAdmin.class));
        config = admin.getConfiguration("lodestar.learning", "?");
        base = endpoint(context);
        waitFor(WAIT, "the store",
                () -> gogo(context, "lodestar:learning").contains("collect    off"));
    }

    @AfterAll
    void tearDown() throws Exception {
        config.delete();
    }

    @Test
    void collectsOnlyWhenOptedInAndRunsTheLoop() throws Exception {
        assertThat(collectors()).isEmpty();
        final Dictionary<String, Object> on = new Hashtable<>();
        on.put("collect", "true");
        on.put("ollamaUrl", "");
        config.update(on);
        waitFor(WAIT, "the content listener", () -> collectors().size() == 1);
        final ServiceReference<ContentListener> ref = collectors().iterator().next();
        final ContentListener listener = context.getService(ref);
        for (int i = 0; i < 3; i++) {
            listener.onContent(content(run + "-" + i, "in-framework question " + i + " " + run
                    + " key sk-abcdefghijklmnopqrstuv" + i, "answer " + i + " " + run));
        }
        context.ungetService(ref);
        waitFor(WAIT, "3 stored exchanges", () -> rows() == 3);
        assertThat(scrubbedRows()).isEqualTo(3);

        final HttpResponse<String> feedback = http.send(HttpRequest.newBuilder(
                URI.create(base + "/api/feedback")).POST(HttpRequest.BodyPublishers.ofString(
                "{\"requestId\":\"" + run + "-0\",\"rating\":-1}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(feedback.statusCode()).isEqualTo(200);
        assertThat(feedback.body()).contains("\"known\":true", "\"excluded\":true");
        assertThat(gogo(context, "lodestar:feedback " + run + "-1 1"))
                .contains("rated " + run + "-1");

        assertThat(gogo(context, "lodestar:dataset build"))
                .containsPattern("(built|already built:) ds-");
        assertThat(gogo(context, "lodestar:datasets")).contains("ds-");
        assertThat(gogo(context, "lodestar:train")).startsWith("usage");
        assertThat(gogo(context, "lodestar:train status")).contains("JOB", "STATE");
        assertThat(gogo(context, "lodestar:train start ds-none")).contains("no dataset ds-none");
        assertThat(gogo(context, "lodestar:model list")).contains("NAME", "STATE");
        assertThat(gogo(context, "lodestar:model rollback nothing")).startsWith("refused:");

        final HttpResponse<String> state = http.send(HttpRequest.newBuilder(
                URI.create(base + "/api/learning")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(state.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(state.body()).path("collect").asBoolean()).isTrue();
        assertThat(JSON.readTree(state.body()).path("backends").toString()).contains("command");

        final Dictionary<String, Object> off = new Hashtable<>();
        off.put("collect", "false");
        config.update(off);
        waitFor(WAIT, "the content listener to go", () -> collectors().isEmpty());
        waitFor(WAIT, "collection off",
                () -> gogo(context, "lodestar:learning").contains("collect    off"));
    }

    private static ExchangeContent content(final String id, final String user,
            final String answer) {
        final ObjectNode request = JSON.createObjectNode().put("model", "auto");
        request.putArray("messages").addObject().put("role", "user").put("content", user);
        final ObjectNode reply = JSON.createObjectNode().put("object", "chat.completion");
        reply.putArray("choices").addObject().put("finish_reason", "stop").putObject("message")
                .put("role", "assistant").put("content", answer);
        return new ExchangeContent(id, Instant.now(), "s", "ollama", "llama3.2:1b", request,
                reply, "stop");
    }

    private Collection<ServiceReference<ContentListener>> collectors() throws Exception {
        return context.getServiceReferences(ContentListener.class, COLLECTOR);
    }

    private long rows() throws Exception {
        return count("SELECT COUNT(*) FROM learning_exchange WHERE request_id LIKE ?");
    }

    private long scrubbedRows() throws Exception {
        return count("SELECT COUNT(*) FROM learning_exchange WHERE request_id LIKE ? AND "
                + "request_json LIKE '%[REDACTED_API_KEY]%' AND request_json NOT LIKE '%sk-abc%'");
    }

    private long count(final String sql) throws Exception {
        final ServiceReference<DataSource> ref = context.getServiceReferences(DataSource.class,
                "(dataSourceName=lodestar)").iterator().next();
        final DataSource source = context.getService(ref);
        try (Connection c = source.getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, run + "-%");
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return r.getLong(1);
            }
        } finally {
            context.ungetService(ref);
        }
    }
}
