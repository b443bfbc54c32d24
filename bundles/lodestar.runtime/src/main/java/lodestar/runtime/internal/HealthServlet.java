package lodestar.runtime.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

/**
 * {@code GET /health}: status, instance name, uptime, Lodestar bundles and modules, and the
 * results of every {@link lodestar.api.health.HealthContributor}. Answers 200 while the status is
 * {@code UP} or {@code DEGRADED}, 503 when it is {@code DOWN}.
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern("/health")
@HttpWhiteboardServletName("lodestar.runtime.health")
public final class HealthServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    private final transient RuntimeReporter reporter;
    private final transient ObjectMapper mapper = new ObjectMapper();

    /**
     * Activates.
     *
     * @param reporter builds the report
     */
    @Activate
    public HealthServlet(@Reference final RuntimeReporter reporter) {
        this.reporter = reporter;
    }

    @Override
    protected void doGet(final HttpServletRequest request, final HttpServletResponse response)
            throws IOException {
        final RuntimeReporter.Report report = reporter.report(false);
        final Map<String, Object> json = report.toJson();
        response.setStatus("DOWN".equals(report.status()) ? 503 : 200);
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        response.setHeader("Cache-Control", "no-store");
        mapper.writeValue(response.getOutputStream(), json);
    }
}
