package lodestar.health.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Map;
import lodestar.api.health.HealthResult;
import lodestar.api.health.Severity;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

/**
 * Probes for orchestrators: {@code GET /health/live} (the process answers: always 200) and
 * {@code GET /health/ready} (able to route: 200, else 503 with the reasons), from the
 * monitor's latest round.
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern({"/health/live", "/health/ready"})
@HttpWhiteboardServletName("lodestar.health.probes")
public final class ProbeServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    private static final ObjectMapper JSON = new ObjectMapper();
    private final transient HealthMonitor monitor;

    /**
     * Activates.
     *
     * @param monitor the monitor
     */
    @Activate
    public ProbeServlet(@Reference final HealthMonitor monitor) {
        this.monitor = monitor;
    }

    @Override
    protected void doGet(final HttpServletRequest request, final HttpServletResponse response)
            throws IOException {
        final ObjectNode body = JSON.createObjectNode();
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        response.setHeader("Cache-Control", "no-store");
        if ("/health/live".equals(request.getServletPath())) {
            body.put("status", "UP");
            JSON.writeValue(response.getOutputStream(), body);
            return;
        }
        final Map<String, HealthResult> latest = monitor.latest();
        final ArrayNode reasons = body.putArray("reasons");
        if (monitor.lastRound() == null) {
            reasons.add("health monitor has not completed its first round yet");
        }
        for (final HealthResult result : latest.values()) {
            final boolean blocks = result.severity() == Severity.CRITICAL
                    && (result.name().equals("router") || result.name().equals("system.disk"));
            if (blocks) {
                reasons.add(result.name() + ": " + result.message());
            }
        }
        final boolean ready = reasons.isEmpty();
        body.put("status", ready ? "READY" : "NOT_READY");
        if (monitor.lastRound() != null) {
            body.put("checkedAt", monitor.lastRound().toString());
        }
        response.setStatus(ready ? 200 : 503);
        JSON.writeValue(response.getOutputStream(), body);
    }
}
