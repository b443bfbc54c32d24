package lodestar.learning.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;
import java.util.NoSuchElementException;
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
 * The quality benchmark over HTTP, {@code /api/learning/benchmarks/...} (more specific than
 * {@link LearningServlet}'s pattern, so this servlet answers these paths):
 * <ul>
 * <li>{@code POST /api/learning/benchmarks/{name}/{version}} queues a run: 202 with its id;</li>
 * <li>{@code GET /api/learning/benchmarks[/{name}[/{version}]]} lists results, newest first
 *   ({@code ?run=ID} for one run).</li>
 * </ul>
 * Same key rule as {@code /api/learning} (the admin proxy key when the router has keys). A
 * POST must be {@code Content-Type: application/json} (415 otherwise, also when the header is
 * missing) and, when it carries an {@code Origin}, come from this server's own host and port
 * (403 otherwise; see {@link Http#sameOrigin}).
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern({"/api/learning/benchmarks", "/api/learning/benchmarks/*"})
@HttpWhiteboardServletName("lodestar.learning.benchmarks")
@HttpWhiteboardServletAsyncSupported
public final class BenchmarkServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(BenchmarkServlet.class);
    private static final int LIMIT = 200;

    private final transient LearningStore store;
    private final transient BenchmarkStore results;
    private final transient ProxyKeys keys;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private transient volatile QualityBenchmark benchmark;

    /**
     * Activates.
     *
     * @param store the learning tables
     * @param admin ConfigurationAdmin, for the router's proxy keys
     */
    @Activate
    public BenchmarkServlet(@Reference final LearningStore store,
            @Reference final ConfigurationAdmin admin) {
        this(store, ProxyKeys.of(admin));
    }

    BenchmarkServlet(final LearningStore store, final ProxyKeys keys) {
        this.store = store;
        this.results = new BenchmarkStore(store);
        this.keys = keys;
    }

    void setBenchmark(final QualityBenchmark value) {
        this.benchmark = value;
    }

    @Override
    protected void service(final HttpServletRequest request, final HttpServletResponse response)
            throws IOException {
        final String who = Http.admit(keys, store.config().adminKeyName(), request, response);
        if (who == null) {
            return;
        }
        final List<String> parts = Http.parts(request);
        try {
            switch (request.getMethod()) {
                case "GET" -> Http.send(response, 200, list(parts, request.getParameter("run")));
                case "POST" -> {
                    csrf(request);
                    Http.send(response, 202, start(parts, request, who));
                }
                default -> {
                    response.setHeader("Allow", "GET, POST");
                    Http.error(response, 405, "method_not_allowed", "use GET or POST");
                }
            }
        } catch (final Http.Failure e) {
            Http.error(response, e.status(), e.code(), e.getMessage());
        } catch (final NoSuchElementException e) {
            Http.error(response, 404, "not_found", e.getMessage());
        } catch (final IllegalStateException e) {
            Http.error(response, 409, "not_configured", e.getMessage());
        } catch (final Exception e) {
            LOG.warn("Benchmark API {} failed: {}", request.getPathInfo(), e.getMessage());
            Http.error(response, 503, "learning_unavailable", String.valueOf(e.getMessage()));
        }
    }

    private ArrayNode list(final List<String> parts, final String run) throws Exception {
        if (parts.size() > 2) {
            throw new Http.Failure(404, "not_found", "no endpoint /api/learning/benchmarks/"
                    + String.join("/", parts) + " (GET)");
        }
        final List<BenchmarkStore.Result> rows = run != null ? results.run(run)
                : results.list(parts.isEmpty() ? null : parts.get(0), parts.size() < 2 ? null
                        : number(parts.get(1)), LIMIT);
        final ArrayNode out = Http.JSON.createArrayNode();
        for (final BenchmarkStore.Result r : rows) {
            out.add(json(r));
        }
        return out;
    }

    static ObjectNode json(final BenchmarkStore.Result r) throws IOException {
        final ObjectNode node = Http.JSON.createObjectNode();
        node.put("run", r.runId());
        node.put("name", r.name());
        node.put("version", r.version());
        node.put("role", r.role());
        node.put("model", r.model());
        node.put("state", r.state());
        node.put("passed", r.passed());
        node.put("total", r.total());
        node.put("errors", r.errors());
        if (r.score() == null) {
            node.putNull("score");
        } else {
            node.put("score", r.score());
        }
        node.put("set", r.setPath());
        node.put("setSha256", r.setSha256());
        node.put("actor", r.actor());
        node.put("message", r.message());
        node.put("createdMs", r.createdMs());
        node.put("startedMs", r.startedMs());
        node.put("finishedMs", r.finishedMs());
        node.put("durationMs", r.durationMs());
        node.set("results", r.results() == null ? null : Http.JSON.readTree(r.results()));
        return node;
    }

    private ObjectNode start(final List<String> parts, final HttpServletRequest request,
            final String who) throws Exception {
        if (parts.size() != 2) {
            throw new Http.Failure(404, "not_found", "POST /api/learning/benchmarks/{name}/"
                    + "{version} starts a benchmark");
        }
        final QualityBenchmark current = benchmark;
        if (current == null) {
            throw new IllegalStateException("the quality benchmark is not configured (PID "
                    + "lodestar.learning.benchmark, evaluationSet)");
        }
        final JsonNode by = Http.body(request).get("by");
        final String actor = "http:" + who + (by != null && by.isTextual()
                && !by.asText().isBlank() ? " (" + LearningStore.truncate(by.asText().trim(),
                100) + ")" : "");
        final QualityBenchmark.Started run = current.start(parts.get(0), number(parts.get(1)),
                actor);
        final ObjectNode out = Http.JSON.createObjectNode();
        out.put("run", run.runId());
        out.put("name", run.name());
        out.put("version", run.version());
        out.put("model", run.model());
        if (run.liveVersion() == null) {
            out.putNull("live");
        } else {
            out.putObject("live").put("version", run.liveVersion()).put("model",
                    run.liveModel());
        }
        out.put("set", run.setPath());
        out.put("results", "/api/learning/benchmarks/" + run.name() + "/" + run.version());
        return out;
    }

    private static int number(final String text) throws Http.Failure {
        try {
            return Integer.parseInt(text.startsWith("v") ? text.substring(1) : text);
        } catch (final NumberFormatException e) {
            throw new Http.Failure(400, "invalid_parameter", "not a version number: " + text);
        }
    }

    /**
     * The cross-site request forgery rule of a state-changing call: {@link Http#sameOrigin}
     * (a foreign {@code Origin} or {@code Sec-Fetch-Site} is 403, a non-JSON
     * {@code Content-Type} 415), and, stricter, a POST without any {@code Content-Type} is 415
     * too.
     *
     * @param request the request
     * @throws Http.Failure 415 or 403
     */
    static void csrf(final HttpServletRequest request) throws Http.Failure {
        Http.sameOrigin(request);
        final String type = request.getHeader("Content-Type");
        if (type == null || type.isBlank()) {
            throw new Http.Failure(415, "unsupported_media_type", "send the body as "
                    + "Content-Type: application/json");
        }
    }
}
