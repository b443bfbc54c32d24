package lodestar.health.internal;

import java.util.List;
import lodestar.api.health.HealthContributor;
import lodestar.api.health.HealthResult;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Publishes the monitor's own checks (machine and traffic) as a contributor, so that
 * {@code /health} and {@code lodestar:status} show them next to everyone else's. The monitor
 * skips this contributor in its own rounds.
 */
@Component(service = HealthContributor.class)
public final class MonitorChecks implements HealthContributor {

    private final HealthMonitor monitor;

    /**
     * Activates.
     *
     * @param monitor the monitor
     */
    @Activate
    public MonitorChecks(@Reference final HealthMonitor monitor) {
        this.monitor = monitor;
    }

    @Override
    public String name() {
        return "health";
    }

    @Override
    public List<HealthResult> check() {
        return monitor.latest().values().stream().filter(r -> r.name().startsWith("system.")
                || r.name().startsWith("traffic.")).toList();
    }
}
