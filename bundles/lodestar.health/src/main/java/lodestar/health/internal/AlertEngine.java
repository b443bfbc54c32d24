package lodestar.health.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import lodestar.api.health.Alert;
import lodestar.api.health.HealthResult;
import lodestar.api.health.Severity;

/**
 * Turns successive check results into alerts: one alert when a check enters WARNING or CRITICAL
 * (or moves between them), none while it stays there (until {@code repeat} has passed), and one
 * INFO recovery when it is healthy again or no longer reported. Not thread-safe: the monitor
 * calls it from its one scheduler thread.
 */
final class AlertEngine {

    private final Map<String, Active> active = new HashMap<>();
    private final Map<String, Integer> pending = new HashMap<>();

    /** An alert that is in force. */
    private record Active(Severity severity, Instant announcedAt) {
    }

    /**
     * Compares a complete round of results with the previous one.
     *
     * @param results every check's latest result
     * @param now the time
     * @param repeat re-announce an unchanged alert after this long; zero or negative: never
     * @param confirm rounds a check must be bad in a row before it is announced (at least 1);
     *     absorbs start-up and one-off blips
     * @return the alerts to deliver, in the order of the results
     */
    List<Alert> update(final Collection<HealthResult> results, final Instant now,
            final Duration repeat, final int confirm) {
        final List<Alert> alerts = new ArrayList<>();
        final Set<String> seen = new HashSet<>();
        for (final HealthResult result : results) {
            seen.add(result.name());
            final Active previous = active.get(result.name());
            final boolean bad = result.severity().compareTo(Severity.WARNING) >= 0;
            if (bad && previous == null
                    && pending.merge(result.name(), 1, Integer::sum) < Math.max(1, confirm)) {
                continue;
            }
            if (!bad) {
                pending.remove(result.name());
            }
            if (bad) {
                pending.remove(result.name());
                final boolean changed = previous == null
                        || previous.severity() != result.severity();
                final boolean due = previous != null && !repeat.isZero()
                        && !repeat.isNegative()
                        && !now.isBefore(previous.announcedAt().plus(repeat));
                if (changed || due) {
                    active.put(result.name(), new Active(result.severity(), now));
                    alerts.add(new Alert(result.name(), result.severity(),
                            (due && !changed ? "still: " : "") + result.message(), false,
                            result.details(), now));
                }
            } else if (previous != null) {
                active.remove(result.name());
                alerts.add(new Alert(result.name(), Severity.INFO, "recovered: "
                        + result.message(), true, result.details(), now));
            }
        }
        pending.keySet().retainAll(seen);
        for (final String gone : new ArrayList<>(active.keySet())) {
            if (!seen.contains(gone)) {
                active.remove(gone);
                alerts.add(new Alert(gone, Severity.INFO, "recovered: no longer reported (its "
                        + "check or bundle was removed)", true, Map.of(), now));
            }
        }
        return alerts;
    }

    /**
     * The alerts in force.
     *
     * @return check name to severity
     */
    Map<String, Severity> inForce() {
        final Map<String, Severity> out = new HashMap<>();
        active.forEach((name, a) -> out.put(name, a.severity()));
        return out;
    }
}
