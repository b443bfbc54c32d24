package lodestar.health.internal;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReference;
import lodestar.api.gpu.GpuProbe;
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
 * {@code GET /metrics}: Prometheus text format; {@code GET /health/alerts}: the alert history as
 * JSON ({@link AlertsJson}). Both name providers, models and hosts, so with proxy keys
 * configured both ask for one.
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern({"/metrics", AlertsJson.PATH})
@HttpWhiteboardServletName("lodestar.health.metrics")
public final class MetricsServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    private final transient HealthMonitor monitor;
    private final transient AtomicReference<GpuProbe> gpu = new AtomicReference<>();
    private final transient AtomicReference<ClientKeys> keys = new AtomicReference<>();

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

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void setKeys(final ClientKeys clientKeys) {
        keys.set(clientKeys);
    }

    void unsetKeys(final ClientKeys clientKeys) {
        keys.compareAndSet(clientKeys, null);
    }

    /**
     * Whether a request may read the metrics: always without proxy keys, else with one of them.
     *
     * @param clientKeys the proxy's keys, or {@code null} without a router
     * @param authorization the {@code Authorization} header, or {@code null}
     * @param apiKey the {@code x-api-key} header, or {@code null}
     * @return {@code true} when allowed
     */
    static boolean allowed(final ClientKeys clientKeys, final String authorization,
            final String apiKey) {
        return clientKeys == null || !clientKeys.required()
                || clientKeys.authenticate(authorization, apiKey).isPresent();
    }

    @Override
    protected void doGet(final HttpServletRequest request, final HttpServletResponse response)
            throws IOException {
        if (!allowed(keys.get(), request.getHeader("Authorization"),
                request.getHeader("x-api-key"))) {
            response.setStatus(401);
            response.setContentType("application/json");
            response.setHeader("WWW-Authenticate", "Bearer");
            response.getOutputStream().write(("{\"error\":{\"message\":\"Metrics and alerts "
                    + "need one of the proxy's API keys: send 'Authorization: Bearer <key>'.\","
                    + "\"type\":"
                    + "\"authentication_error\",\"param\":null,\"code\":\"invalid_api_key\"}}")
                    .getBytes(StandardCharsets.UTF_8));
            return;
        }
        if (AlertsJson.PATH.equals(request.getServletPath())) {
            AlertsJson.answer(monitor, request.getParameter("limit"), response);
            return;
        }
        final GpuProbe probe = gpu.get();
        final byte[] body = Metrics.render(monitor, probe == null ? null : probe.latest())
                .getBytes(StandardCharsets.UTF_8);
        response.setContentType("text/plain; version=0.0.4; charset=utf-8");
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }
}
