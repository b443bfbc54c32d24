package lodestar.health.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import lodestar.api.health.Alert;
import lodestar.api.health.Severity;
import lodestar.api.security.ClientKeys;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

/**
 * {@code GET /health/alerts[?limit=N]}: the alert history kept in memory ({@code historySize},
 * newest first) and the counters per level since the bundle started, as JSON. Alert messages
 * name providers, models and hosts, so with proxy keys configured it asks for one, as
 * {@code /metrics} does.
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern(AlertsServlet.PATH)
@HttpWhiteboardServletName("lodestar.health.alerts")
public final class AlertsServlet extends HttpServlet {

    /** The path. */
    static final String PATH = "/health/alerts";
    /** Alerts answered when no {@code limit} is given. */
    static final int DEFAULT_LIMIT = 50;

    private static final long serialVersionUID = 1L;
    private static final ObjectMapper JSON = new ObjectMapper();
    private final transient HealthMonitor monitor;
    private final transient AtomicReference<ClientKeys> keys = new AtomicReference<>();

    /**
     * Activates.
     *
     * @param monitor the monitor holding the history
     */
    @Activate
    public AlertsServlet(@Reference final HealthMonitor monitor) {
        this.monitor = monitor;
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
    protected void doGet(final HttpServletRequest request, final HttpServletResponse response)
            throws IOException {
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        response.setHeader("Cache-Control", "no-store");
        if (!MetricsServlet.allowed(keys.get(), request.getHeader("Authorization"),
                request.getHeader("x-api-key"))) {
            response.setHeader("WWW-Authenticate", "Bearer");
            error(response, 401, "authentication_error", "invalid_api_key", null,
                    "Alerts need one of the proxy's API keys: send 'Authorization: Bearer <key>'.");
            return;
        }
        final String raw = request.getParameter("limit");
        final int limit;
        try {
            limit = raw == null ? DEFAULT_LIMIT : Integer.parseInt(raw.trim());
        } catch (final NumberFormatException e) {
            error(response, 400, "invalid_request_error", "invalid_parameter", "limit",
                    "limit must be a whole number from 1 to 10000, not '" + raw + "'");
            return;
        }
        if (limit < 1 || limit > 10_000) {
            error(response, 400, "invalid_request_error", "invalid_parameter", "limit",
                    "limit must be a whole number from 1 to 10000, not " + limit);
            return;
        }
        JSON.writeValue(response.getOutputStream(), render(monitor.recentAlerts(limit),
                monitor.alertCounts()));
    }

    /**
     * The answer's body.
     *
     * @param alerts the alerts, newest first
     * @param counts alerts raised per level since the start
     * @return {@code {"alerts": [...], "counts": {...}}}
     */
    static ObjectNode render(final List<Alert> alerts, final Map<Severity, Long> counts) {
        final ObjectNode body = JSON.createObjectNode();
        final ArrayNode list = body.putArray("alerts");
        for (final Alert alert : alerts) {
            final ObjectNode node = list.addObject();
            node.put("raisedAt", alert.raisedAt().toString());
            node.put("severity", alert.severity().name());
            node.put("key", alert.key());
            node.put("message", alert.message());
            node.put("recovery", alert.recovery());
            node.set("details", JSON.valueToTree(alert.details()));
        }
        final ObjectNode byLevel = body.putObject("counts");
        for (final Severity severity : Severity.values()) {
            if (severity != Severity.OK) {
                byLevel.put(severity.name(), counts.getOrDefault(severity, 0L));
            }
        }
        return body;
    }

    private static void error(final HttpServletResponse response, final int status,
            final String type, final String code, final String param, final String message)
            throws IOException {
        response.setStatus(status);
        final ObjectNode body = JSON.createObjectNode();
        body.putObject("error").put("message", message).put("type", type).put("param", param)
                .put("code", code.toLowerCase(Locale.ROOT));
        JSON.writeValue(response.getOutputStream(), body);
    }
}
