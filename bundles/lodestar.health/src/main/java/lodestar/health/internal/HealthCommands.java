package lodestar.health.internal;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import lodestar.api.health.Alert;
import lodestar.api.health.HealthResult;
import lodestar.api.health.Severity;
import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** Gogo commands {@code lodestar:health} and {@code lodestar:alerts}. */
@Component(service = HealthCommands.class, property = {"osgi.command.scope=lodestar",
    "osgi.command.function=health", "osgi.command.function=alerts"})
public final class HealthCommands {

    private final HealthMonitor monitor;

    /**
     * Activates.
     *
     * @param monitor the monitor
     */
    @Activate
    public HealthCommands(@Reference final HealthMonitor monitor) {
        this.monitor = monitor;
    }

    /**
     * Every check's latest result, worst first.
     *
     * @return the table
     */
    @Descriptor("Latest result of every health check, worst first")
    public String health() {
        final Map<String, HealthResult> latest = monitor.latest();
        final StringBuilder out = new StringBuilder();
        out.append("overall: ").append(monitor.worst()).append(monitor.lastRound() == null
                ? " (first round not run yet)" : " (checked " + monitor.lastRound() + ")")
                .append('\n');
        latest.values().stream()
                .sorted((a, b) -> b.severity().compareTo(a.severity()) != 0
                        ? b.severity().compareTo(a.severity()) : a.name().compareTo(b.name()))
                .forEach(r -> out.append(String.format(Locale.ROOT, "%-9s %-40s %s%n",
                        r.severity(), r.name(), r.message())));
        final Map<String, Severity> active = monitor.inForce();
        out.append('\n').append(active.size()).append(" alert(s) in force").append('\n');
        return out.toString();
    }

    /**
     * The most recent alerts.
     *
     * @return the list, newest first
     */
    @Descriptor("The 20 most recent alerts, newest first")
    public String alerts() {
        return alerts(20);
    }

    /**
     * The most recent alerts.
     *
     * @param count how many
     * @return the list, newest first
     */
    @Descriptor("The most recent alerts, newest first")
    public String alerts(@Descriptor("how many") final int count) {
        final List<Alert> alerts = monitor.recentAlerts(count);
        if (alerts.isEmpty()) {
            return "no alerts since start\n";
        }
        final StringBuilder out = new StringBuilder();
        for (final Alert alert : alerts) {
            out.append(String.format(Locale.ROOT, "%s %-9s %-36s %s%n", alert.raisedAt(),
                    alert.recovery() ? "RECOVERED" : alert.severity(), alert.key(),
                    alert.message()));
        }
        return out.toString();
    }
}
