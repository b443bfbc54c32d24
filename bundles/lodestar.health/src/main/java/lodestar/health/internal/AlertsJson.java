package lodestar.health.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import lodestar.api.health.Alert;
import lodestar.api.health.Severity;

/**
 * {@code GET /health/alerts[?limit=N]} (served by {@link MetricsServlet}, behind the same key
 * rule): the alert history kept in memory ({@code historySize}, newest first) and the counters
 * per level since the bundle started, as JSON.
 */
final class AlertsJson {

    /** The path. */
    static final String PATH = "/health/alerts";
    /** Alerts answered when no {@code limit} is given. */
    static final int DEFAULT_LIMIT = 50;

    private static final ObjectMapper JSON = new ObjectMapper();

    private AlertsJson() {
    }

    /**
     * Answers a request.
     *
     * @param monitor the monitor holding the history
     * @param limitParameter the {@code limit} parameter, or {@code null}
     * @param response the response
     * @throws IOException when writing fails
     */
    static void answer(final HealthMonitor monitor, final String limitParameter,
            final HttpServletResponse response) throws IOException {
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        response.setHeader("Cache-Control", "no-store");
        final int limit;
        try {
            limit = limitParameter == null ? DEFAULT_LIMIT : Integer.parseInt(
                    limitParameter.trim());
        } catch (final NumberFormatException e) {
            badLimit(response, "'" + limitParameter + "'");
            return;
        }
        if (limit < 1 || limit > 10_000) {
            badLimit(response, String.valueOf(limit));
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

    private static void badLimit(final HttpServletResponse response, final String given)
            throws IOException {
        response.setStatus(400);
        final ObjectNode body = JSON.createObjectNode();
        body.putObject("error").put("message", "limit must be a whole number from 1 to 10000, "
                + "not " + given).put("type", "invalid_request_error").put("param", "limit")
                .put("code", "invalid_parameter");
        JSON.writeValue(response.getOutputStream(), body);
    }
}
