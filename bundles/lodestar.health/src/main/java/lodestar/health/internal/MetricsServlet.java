package lodestar.health.internal;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReference;
import lodestar.api.gpu.GpuProbe;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

/** {@code GET /metrics}: Prometheus text format. */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern("/metrics")
@HttpWhiteboardServletName("lodestar.health.metrics")
public final class MetricsServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    private final transient HealthMonitor monitor;
    private final transient AtomicReference<GpuProbe> gpu = new AtomicReference<>();

    /**
     * Activates.
     *
     * @param monitor the monitor
     */
    @Activate
    public MetricsServlet(@Reference final HealthMonitor monitor) {
        this.monitor = monitor;
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void setGpu(final GpuProbe probe) {
        gpu.set(probe);
    }

    void unsetGpu(final GpuProbe probe) {
        gpu.compareAndSet(probe, null);
    }

    @Override
    protected void doGet(final HttpServletRequest request, final HttpServletResponse response)
            throws IOException {
        final GpuProbe probe = gpu.get();
        final byte[] body = Metrics.render(monitor, probe == null ? null : probe.latest())
                .getBytes(StandardCharsets.UTF_8);
        response.setContentType("text/plain; version=0.0.4; charset=utf-8");
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }
}
