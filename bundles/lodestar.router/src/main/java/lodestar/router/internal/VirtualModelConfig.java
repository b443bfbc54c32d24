package lodestar.router.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * A virtual model (or alias): factory PID {@code lodestar.router.model}, one file per model,
 * e.g. {@code config/lodestar.router.model-auto.cfg}.
 */
@ObjectClassDefinition(name = "Lodestar virtual model",
        description = "A model name clients may ask for, served by a routing strategy.")
@interface VirtualModelConfig {

    @AttributeDefinition(description = "The model name clients use, e.g. 'auto' or "
            + "'gpt-3.5-turbo'")
    String name();

    @AttributeDefinition(description = "Routing strategy: fixed, fallback, cheapest, ...")
    String strategy() default "fallback";

    @AttributeDefinition(description = "Candidate models, 'providerId/model' or 'model', "
            + "comma-separated, in preference order")
    String targets() default "";

    @AttributeDefinition(description = "Shown in /v1/models")
    String description() default "";
}
