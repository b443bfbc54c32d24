package lodestar.api.health;

import java.util.List;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A whiteboard service contributing health checks. Any bundle can register one; its checks
 * appear in the health report while the service is registered.
 *
 * <p>{@link #check()} runs off the request path with a time limit (today: on each
 * {@code /health} request and on the health monitor's schedule, with a time limit of about
 * 2 s); it should answer from state it refreshes itself, and must never call a paid model.
 *
 * <p>Convention for providers: a result named {@code provider.<id>} or
 * {@code provider.<id>.model.<model>} whose details hold {@code down=true} tells the health
 * monitor (and through {@link Availability}, routing) that the target cannot serve now.
 */
@ConsumerType
public interface HealthContributor {

    /**
     * The contributor's name, used to prefix its checks.
     *
     * @return the name
     */
    String name();

    /**
     * Runs the checks.
     *
     * @return one result per check, never {@code null}
     */
    List<HealthResult> check();
}
