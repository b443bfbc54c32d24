package lodestar.runtime.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Configuration of the runtime component, PID {@code lodestar.runtime}. */
@ObjectClassDefinition(name = "Lodestar runtime",
        description = "Identity of this Lodestar instance.")
@interface RuntimeConfig {

    /**
     * The instance name shown in {@code /health} and {@code lodestar:status}.
     *
     * @return the name; empty means the host name
     */
    @AttributeDefinition(name = "Instance name",
            description = "Shown in /health and lodestar:status; empty means the host name. "
                    + "At most 128 printable characters.")
    String instanceName() default "";
}
