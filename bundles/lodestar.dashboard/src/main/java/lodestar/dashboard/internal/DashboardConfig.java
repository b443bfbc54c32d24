package lodestar.dashboard.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Configuration of the dashboard, PID {@code lodestar.dashboard} (optional). */
@ObjectClassDefinition(name = "Lodestar dashboard", description = "Who may sign in to /ui/")
public @interface DashboardConfig {

    /** @return the name of the proxy key that may sign in */
    @AttributeDefinition(description = "When the router has proxy keys, only the key with this "
            + "name (the part before ':' in .proxyKeys) may sign in to the dashboard; the same "
            + "name the learning API requires (adminKeyName of lodestar.learning)")
    String adminKeyName() default "admin";
}
