package lodestar.usage.internal;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.MinimalPrettyPrinter;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.sql.SQLException;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import lodestar.api.security.ClientKeys;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletAsyncSupported;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /api/usage} (grouped usage), {@code /api/usage/sessions},
 * {@code /api/usage/savings}, {@code /api/usage/switches}, {@code /api/usage/requests},
 * {@code /api/usage/export}
 * (every request of the range as a JSON array, streamed as it is read) and
 * {@code /api/usage/content} (stored exchanges, opt-in: a JSON array or JSON lines, streamed).
 * Parameters are checked: a wrong or unknown one is answered 400 with an OpenAI-shaped error
 * naming it.
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern({"/api/usage", "/api/usage/*"})
@HttpWhiteboardServletName("lodestar.usage")
@HttpWhiteboardServletAsyncSupported
public final class UsageServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(UsageServlet.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> RANGE = Set.of("since", "until");
    private static final Map<String, Set<String>> PARAMETERS = Map.of(
            "", Set.of("since", "until", "groupBy", "limit"),
            "/sessions", Set.of("since", "until", "limit"),
            "/savings", Set.of("since", "until", "groupBy"),
            "/switches", Set.of("since", "until", "limit"),
            "/requests", Set.of("since", "until", "limit"),
            "/export", RANGE,
            "/content", Set.of("since", "until", "limit", "format"));
    private static final String JSON_LINES = "application/x-ndjson";
    private static final Reports.GroupBy[] USAGE_GROUPS = {Reports.GroupBy.MODEL,
        Reports.GroupBy.PROVIDER, Reports.GroupBy.STRATEGY, Reports.GroupBy.DAY,
        Reports.GroupBy.SESSION, Reports.GroupBy.NONE};
    private static final Reports.GroupBy[] SAVINGS_GROUPS = {Reports.GroupBy.NONE,
        Reports.GroupBy.MODEL, Reports.GroupBy.PROVIDER, Reports.GroupBy.STRATEGY,
        Reports.GroupBy.DAY};

    private final transient UsageService usage;
    private final transient java.util.concurrent.atomic.AtomicReference<ClientKeys> keys =
            new java.util.concurrent.atomic.AtomicReference<>();

    /**
     * Activates.
     *
     * @param usage usage tracking
     */
    @Activate
    public UsageServlet(@Reference final UsageService usage) {
        this.usage = usage;
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void setKeys(final ClientKeys clientKeys) {
        keys.set(clientKeys);
    }

    void unsetKeys(final ClientKeys clientKeys) {
        keys.compareAndSet(clientKeys, null);
    }

    @Override
    protected void service(final HttpServletRequest request, final HttpServletResponse response)
            throws IOException {
        final ClientKeys clientKeys = keys.get();
        if (clientKeys != null && clientKeys.required()
                && clientKeys.authenticate(request.getHeader("Authorization"),
                        request.getHeader("x-api-key")).isEmpty()) {
            send(response, 401, Json.error("Usage reports need one of the proxy's API keys: send "
                    + "'Authorization: Bearer <key>'.", "authentication_error", null,
                    "invalid_api_key"));
            return;
        }
        if (!"GET".equals(request.getMethod()) && !"HEAD".equals(request.getMethod())) {
            response.setHeader("Allow", "GET, HEAD");
            send(response, 405, Json.error("method " + request.getMethod() + " not allowed: "
                    + "use GET", "invalid_request_error", null, "method_not_allowed"));
            return;
        }
        final String path = request.getPathInfo() == null || "/".equals(request.getPathInfo())
                ? "" : request.getPathInfo();
        final Set<String> allowed = PARAMETERS.get(path);
        if (allowed == null) {
            send(response, 404, Json.error("no such usage endpoint: /api/usage" + path
                    + " (try /api/usage, /sessions, /savings, /switches, /requests, /export, "
                    + "/content)",
                    "invalid_request_error", null, "not_found"));
            return;
        }
        try {
            check(request, allowed);
            answer(path, request, response);
        } catch (final Params.Invalid e) {
            send(response, 400, Json.error(e.getMessage(), "invalid_request_error", e.param(),
                    "invalid_parameter"));
        } catch (final SQLException e) {
            LOG.warn("Usage report failed: {}", e.getMessage());
            if (!response.isCommitted()) {
                send(response, 503, Json.error("usage database unavailable: " + e.getMessage(),
                        "server_error", null, "usage_unavailable"));
            } else {
                throw new IOException("usage export failed midway", e);
            }
        }
    }

    private static void check(final HttpServletRequest request, final Set<String> allowed)
            throws Params.Invalid {
        final Enumeration<String> names = request.getParameterNames();
        while (names.hasMoreElements()) {
            final String name = names.nextElement();
            if (!allowed.contains(name)) {
                throw new Params.Invalid(name, "unknown parameter '" + name + "'; this endpoint "
                        + "takes " + String.join(", ", allowed.stream().sorted().toList()));
            }
            if (request.getParameterValues(name).length > 1) {
                throw new Params.Invalid(name, name + " is given more than once");
            }
        }
    }

    private void answer(final String path, final HttpServletRequest request,
            final HttpServletResponse response) throws Params.Invalid, SQLException,
            IOException {
        final long now = usage.now();
        final Reports reports = usage.reports();
        final String since = request.getParameter("since");
        final String until = request.getParameter("until");
        switch (path) {
            case "/sessions" -> {
                final Params.Range range = Params.range(since, until, "7d", now);
                final int limit = Params.limit("limit", request.getParameter("limit"), 100);
                send(response, 200, Json.sessions(range, reports.sessions(range.fromMs(),
                        range.toMs(), limit), limit));
            }
            case "/savings" -> {
                final Params.Range range = Params.range(since, until, "7d", now);
                final Reports.GroupBy by = Params.groupBy("groupBy",
                        request.getParameter("groupBy"), Reports.GroupBy.NONE, SAVINGS_GROUPS);
                final List<Reports.Group> groups = by == Reports.GroupBy.NONE ? List.of()
                        : reports.usage(range.fromMs(), range.toMs(), by);
                send(response, 200, Json.savings(range, reports.total(range.fromMs(),
                        range.toMs()), by, groups));
            }
            case "/switches" -> {
                final Params.Range range = Params.range(since, until, "7d", now);
                final int limit = Params.limit("limit", request.getParameter("limit"), 100);
                send(response, 200, Json.switches(range, reports.switches(range.fromMs(),
                        range.toMs(), limit), reports.total(range.fromMs(), range.toMs())
                        .get(Measure.MODEL_SWITCHES)));
            }
            case "/requests" -> recent(reports, Params.range(since, until, "7d", now),
                    Params.limit("limit", request.getParameter("limit"), 50), response);
            case "/export" -> export(reports, Params.range(since, until, "all", now), response);
            case "/content" -> content(reports, Params.range(since, until, "7d", now),
                    Params.limit("limit", request.getParameter("limit"), 100),
                    lines(request.getParameter("format")), response);
            default -> {
                final Params.Range range = Params.range(since, until, "7d", now);
                final Reports.GroupBy by = Params.groupBy("groupBy",
                        request.getParameter("groupBy"), Reports.GroupBy.MODEL, USAGE_GROUPS);
                final int limit = Params.limit("limit", request.getParameter("limit"), 100);
                send(response, 200, Json.usage(range, by, reports.usage(range.fromMs(),
                        range.toMs(), by, limit), reports.total(range.fromMs(), range.toMs())));
            }
        }
    }

    private static void export(final Reports reports, final Params.Range range,
            final HttpServletResponse response) throws SQLException, IOException {
        response.setStatus(200);
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        response.setHeader("Cache-Control", "no-store");
        try (JsonGenerator out = JSON.getFactory().createGenerator(response.getOutputStream(),
                JsonEncoding.UTF8)) {
            out.writeStartArray();
            final long[] count = {0};
            reports.export(range.fromMs(), range.toMs(), row -> {
                Json.exportRow(out, row);
                if (++count[0] % 1000 == 0) {
                    out.flush();
                }
            });
            out.writeEndArray();
        }
    }

    private static void recent(final Reports reports, final Params.Range range, final int limit,
            final HttpServletResponse response) throws SQLException, IOException {
        final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        try (JsonGenerator out = JSON.getFactory().createGenerator(buffer, JsonEncoding.UTF8)) {
            out.writeStartObject();
            out.writeStringField("since", range.from().toString());
            out.writeStringField("until", range.to().toString());
            out.writeNumberField("limit", limit);
            out.writeArrayFieldStart("requests");
            reports.recent(range.fromMs(), range.toMs(), limit, row -> Json.exportRow(out, row));
            out.writeEndArray();
            out.writeEndObject();
        }
        response.setStatus(200);
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        response.setHeader("Cache-Control", "no-store");
        response.getOutputStream().write(buffer.toByteArray());
    }

    /**
     * Parses {@code format}: {@code json} (a JSON array, the default) or {@code jsonl} (one
     * JSON object per line).
     *
     * @param format the value, or {@code null}
     * @return {@code true} for JSON lines
     * @throws Params.Invalid when it is neither
     */
    static boolean lines(final String format) throws Params.Invalid {
        if (format == null || format.isBlank()) {
            return false;
        }
        final String value = format.trim().toLowerCase(Locale.ROOT);
        if ("json".equals(value) || "jsonl".equals(value)) {
            return "jsonl".equals(value);
        }
        throw new Params.Invalid("format", "format: '" + (value.length() > 40
                ? value.substring(0, 40) + "..." : value) + "' is not one of json, jsonl");
    }

    private static void content(final Reports reports, final Params.Range range,
            final int limit, final boolean lines, final HttpServletResponse response)
            throws SQLException, IOException {
        response.setStatus(200);
        response.setContentType(lines ? JSON_LINES : "application/json");
        response.setCharacterEncoding("UTF-8");
        response.setHeader("Cache-Control", "no-store");
        try (JsonGenerator out = JSON.getFactory().createGenerator(response.getOutputStream(),
                JsonEncoding.UTF8)) {
            if (lines) {
                out.setPrettyPrinter(new MinimalPrettyPrinter("\n"));
            } else {
                out.writeStartArray();
            }
            final long count = reports.content(range.fromMs(), range.toMs(), limit, c -> {
                Json.content(out, c);
                out.flush();
            });
            if (!lines) {
                out.writeEndArray();
            } else if (count > 0) {
                out.writeRaw('\n');
            }
        }
    }

    private static void send(final HttpServletResponse response, final int status,
            final ObjectNode body) throws IOException {
        response.setStatus(status);
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        response.setHeader("Cache-Control", "no-store");
        JSON.writeValue(response.getOutputStream(), body);
    }
}
