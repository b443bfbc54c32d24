package lodestar.api.health;

import java.util.List;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A whiteboard service contributing health checks. Any bundle can register one; its checks
 * appear in the health report while the service is registered.
 *
 * <p>{@link #check()} may be slow (it runs on the health scheduler with a timeout) but must not
 * call a paid model.
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
