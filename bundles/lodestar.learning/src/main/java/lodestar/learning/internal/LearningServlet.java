package lodestar.learning.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.sql.SQLException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletAsyncSupported;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The learning loop over HTTP, {@code /api/learning/...}: state, datasets, training jobs and
 * the model registry (list, history, approve, promote, rollback). When the router has proxy
 * keys ({@code .proxyKeys} of {@code lodestar.router}) every call needs the admin key (the key
 * named {@code adminKeyName}, default {@code admin}); approvals and promotions record that name
 * (and the body's optional {@code by}).
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern({"/api/learning", "/api/learning/*"})
@HttpWhiteboardServletName("lodestar.learning")
@HttpWhiteboardServletAsyncSupported
public final class LearningServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(LearningServlet.class);

    private final transient LearningStore store;
    private final transient ModelRegistry registry;
    private final transient TrainingService training;
    private final transient ProxyKeys keys;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private transient volatile ContentCollector collector;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private transient volatile AbStrategy ab;

    /**
     * Activates.
     *
     * @param store the learning tables
     * @param registry the model registry
     * @param training the training jobs
     * @param admin ConfigurationAdmin, for the router's proxy keys
     */
    @Activate
    public LearningServlet(@Reference final LearningStore store,
            @Reference final ModelRegistry registry, @Reference final TrainingService training,
            @Reference final ConfigurationAdmin admin) {
        this(store, registry, training, ProxyKeys.of(admin));
    }

    LearningServlet(final LearningStore store, final ModelRegistry registry,
            final TrainingService training, final ProxyKeys keys) {
        this.store = store;
        this.registry = registry;
        this.training = training;
        this.keys = keys;
    }

    void setCollector(final ContentCollector value) {
        this.collector = value;
    }

    void setAb(final AbStrategy value) {
        this.ab = value;
    }

    @Override
    protected void service(final HttpServletRequest request, final HttpServletResponse response)
            throws IOException {
        final String who = Http.admit(keys, store.config().adminKeyName(), request, response);
        if (who == null) {
            return;
        }
        final List<String> parts = Http.parts(request);
        final boolean post = "POST".equals(request.getMethod());
        if (!post && !"GET".equals(request.getMethod())) {
            response.setHeader("Allow", "GET, POST");
            Http.error(response, 405, "method_not_allowed", "use GET or POST");
            return;
        }
        try {
            if (post) {
                Http.sameOrigin(request);
            }
            final Object answer = route(parts, post, request, who);
            Http.send(response, 200, answer);
        } catch (final Http.Failure e) {
            Http.error(response, e.status(), e.code(), e.getMessage());
        } catch (final ModelRegistry.Refused e) {
            Http.error(response, 409, "refused", e.getMessage());
        } catch (final IllegalArgumentException | IllegalStateException e) {
            Http.error(response, 400, "invalid_request", e.getMessage());
        } catch (final Exception e) {
            LOG.warn("Learning API {} failed: {}", request.getPathInfo(), e.getMessage());
            Http.error(response, 503, "learning_unavailable", String.valueOf(e.getMessage()));
        }
    }

    private Object route(final List<String> parts, final boolean post,
            final HttpServletRequest request, final String who) throws Exception {
        final String head = parts.isEmpty() ? "" : parts.get(0);
        final int n = parts.size();
        switch (head) {
            case "":
                if (!post) {
                    return state();
                }
                break;
            case "datasets":
                if (n == 1) {
                    return post ? build() : datasets();
                }
                if (n == 2 && !post) {
                    return Http.JSON.readTree(store.dataset(parts.get(1)).orElseThrow(
                            () -> notFound("dataset " + parts.get(1))).manifest());
                }
                break;
            case "jobs":
                if (n == 1) {
                    return post ? start(Http.body(request)) : jobs(training.jobs());
                }
                if (n == 2 && !post) {
                    return job(training.job(parts.get(1)).orElseThrow(
                            () -> notFound("job " + parts.get(1))));
                }
                if (n == 3 && post && "cancel".equals(parts.get(2))) {
                    return Map.of("id", parts.get(1), "cancelling",
                            training.cancel(parts.get(1)));
                }
                break;
            case "models":
                return models(parts, post, request, who);
            case "ab":
                final AbStrategy current = ab;
                if (n == 1 && !post && current != null) {
                    final Map<String, Object> out = new LinkedHashMap<>();
                    out.put("arms", current.arms());
                    out.put("experiments", current.report());
                    out.put("status", current.status());
                    out.put("storage", current.storage());
                    return out;
                }
                if (n == 3 && post && current != null && ("start".equals(parts.get(2))
                        || "stop".equals(parts.get(2)))) {
                    return experiment(current, parts.get(1), "start".equals(parts.get(2)),
                            Http.body(request), who);
                }
                break;
            default:
                break;
        }
        throw notFound("endpoint /api/learning/" + String.join("/", parts) + " ("
                + (post ? "POST" : "GET") + ")");
    }

    private Object models(final List<String> parts, final boolean post,
            final HttpServletRequest request, final String who) throws Exception {
        final int n = parts.size();
        if (n == 1 && !post) {
            return versions(registry.list(request.getParameter("name")));
        }
        if (n == 2 && !post) {
            return versions(registry.list(parts.get(1)));
        }
        if (n == 3 && !post && "history".equals(parts.get(2))) {
            return Http.JSON.valueToTree(registry.history(parts.get(1)));
        }
        if (n == 3 && post && "rollback".equals(parts.get(2))) {
            return version(registry.rollback(parts.get(1), actor(Http.body(request), who)));
        }
        if (n == 4 && post && ("approve".equals(parts.get(3))
                || "promote".equals(parts.get(3)))) {
            final int number;
            try {
                number = Integer.parseInt(parts.get(2).startsWith("v")
                        ? parts.get(2).substring(1) : parts.get(2));
            } catch (final NumberFormatException e) {
                throw new Http.Failure(400, "invalid_parameter", "not a version number: "
                        + parts.get(2));
            }
            final JsonNode body = Http.body(request);
            final String actor = actor(body, who);
            if ("approve".equals(parts.get(3))) {
                final JsonNode override = body.get("override");
                if (override != null && !override.isBoolean()) {
                    throw new Http.Failure(400, "invalid_parameter", "override must be true or "
                            + "false");
                }
                return version(registry.approve(parts.get(1), number, actor,
                        override != null && override.asBoolean()));
            }
            return version(registry.promote(parts.get(1), number, actor));
        }
        throw notFound("endpoint /api/learning/" + String.join("/", parts) + " ("
                + (post ? "POST" : "GET") + ")");
    }

    private static Map<String, Object> experiment(final AbStrategy ab, final String model,
            final boolean start, final JsonNode body, final String who)
            throws SQLException, Http.Failure {
        final JsonNode share = body.get("percent");
        if (share != null && !share.isNull() && (!start || !share.isInt())) {
            throw new Http.Failure(400, "invalid_parameter", start
                    ? "percent must be an integer 0..100" : "stop takes no percent");
        }
        final AbStore.Experiment e = start
                ? ab.start(model, share == null || share.isNull() ? null : share.asInt(),
                        actor(body, who))
                : ab.stop(model, actor(body, who));
        final Map<String, Object> out = new LinkedHashMap<>();
        out.put("model", e.model());
        out.put("state", e.state());
        out.put("candidatePercent", e.percent());
        out.put("changedAt", Instant.ofEpochMilli(e.changedMs()).toString());
        out.put("changedBy", e.changedBy());
        return out;
    }

    private static String actor(final JsonNode body, final String who) {
        final JsonNode by = body.get("by");
        final String suffix = by != null && by.isTextual() && !by.asText().isBlank()
                ? " (" + LearningStore.truncate(by.asText().trim(), 100) + ")" : "";
        return "http:" + who + suffix;
    }

    private Map<String, Object> state() throws SQLException {
        final Map<String, Object> out = new LinkedHashMap<>();
        final ContentCollector current = collector;
        out.put("collect", current != null);
        out.put("storedExchanges", store.exchangeCount());
        out.put("schemaVersion", store.schemaVersion());
        out.put("backends", training.backends());
        if (current != null) {
            out.put("collector", current.stats());
        }
        return out;
    }

    private ArrayNode datasets() throws Exception {
        final ArrayNode out = Http.JSON.createArrayNode();
        for (final LearningStore.DatasetRow d : store.datasets()) {
            final ObjectNode row = out.addObject();
            row.put("id", d.id());
            row.put("createdMs", d.createdMs());
            row.put("path", d.path());
            row.put("sourceRows", d.sourceRows());
            row.put("trainRows", d.trainRows());
            row.put("validationRows", d.validationRows());
            row.put("manifestSha256", d.manifestSha256());
        }
        return out;
    }

    private ObjectNode build() throws Exception {
        final DatasetBuilder.Result result = new DatasetBuilder(store).build();
        final ObjectNode out = Http.JSON.createObjectNode();
        out.put("id", result.id());
        out.put("existed", result.existed());
        out.put("path", result.dir().toString());
        out.set("manifest", result.manifest());
        return out;
    }

    private ObjectNode start(final JsonNode body) throws Exception {
        final JsonNode dataset = body.get("dataset");
        if (dataset == null || !dataset.isTextual()) {
            throw new Http.Failure(400, "invalid_parameter", "dataset (string) is required");
        }
        final Map<String, String> params = new LinkedHashMap<>();
        body.path("params").fields().forEachRemaining(e -> params.put(e.getKey(),
                e.getValue().asText()));
        return job(training.start(new TrainingService.Request(dataset.asText(),
                text(body, "backend"), text(body, "name"), text(body, "base"), params)));
    }

    private static String text(final JsonNode body, final String field) {
        return body.hasNonNull(field) ? body.get(field).asText() : null;
    }

    private static ArrayNode jobs(final List<TrainingService.Job> jobs) throws IOException {
        final ArrayNode out = Http.JSON.createArrayNode();
        for (final TrainingService.Job j : jobs) {
            out.add(job(j));
        }
        return out;
    }

    private static ObjectNode job(final TrainingService.Job job) throws IOException {
        final ObjectNode node = Http.JSON.valueToTree(job);
        node.set("params", Http.JSON.readTree(job.params()));
        return node;
    }

    private static ArrayNode versions(final List<ModelRegistry.Version> versions)
            throws IOException {
        final ArrayNode out = Http.JSON.createArrayNode();
        for (final ModelRegistry.Version v : versions) {
            out.add(version(v));
        }
        return out;
    }

    private static ObjectNode version(final ModelRegistry.Version v) throws IOException {
        final ObjectNode node = Http.JSON.valueToTree(v);
        node.put("state", ModelRegistry.lower(v.state()));
        node.set("params", Http.JSON.readTree(v.params()));
        node.set("metrics", Http.JSON.readTree(v.metrics()));
        return node;
    }

    private static Http.Failure notFound(final String what) {
        return new Http.Failure(404, "not_found", "no " + what);
    }
}
