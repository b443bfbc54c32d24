package lodestar.routing.auto.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Configuration of the {@code auto} strategy, PID {@code lodestar.routing.auto}
 * ({@code config/lodestar.routing.auto.cfg}). Optional: without it the shipped model and its
 * recommended threshold apply. Tiers are settings of each virtual model, not of this PID.
 */
@ObjectClassDefinition(name = "Lodestar auto routing",
        description = "The learned router behind the 'auto' strategy: which model file, and the "
                + "threshold that keeps a prompt on the cheap tier.")
@interface AutoConfig {

    /**
     * The router model artifact.
     *
     * @return a path to a file written by lodestar:train-router, empty for the shipped model
     */
    @AttributeDefinition(name = "Model file", required = false,
            description = "Path of a router model written by lodestar:train-router or "
                    + "scripts/train-router.sh; empty uses the model shipped in the bundle. "
                    + "Changing it loads the file at once; an unreadable file is logged and "
                    + "the model in force is kept.")
    String modelFile() default "";

    /**
     * The p(local ok) a prompt must reach to stay on the cheap tier.
     *
     * @return in [0, 1], or negative for the model's recommended threshold
     */
    @AttributeDefinition(name = "Threshold", min = "-1", max = "1",
            description = "Predicted quality of the cheap tier, p(local ok), that a prompt must "
                    + "reach to stay on it: higher sends more prompts to the stronger tier. "
                    + "Negative (the default) uses the threshold recommended by the model's "
                    + "cross-validation (95% of the strong model's quality). A virtual model's "
                    + "'threshold' setting overrides it.")
    double threshold() default -1;

    /**
     * Whether explicit hints choose the tier.
     *
     * @return {@code false} to ignore {@code @local}, {@code @premium} and the header
     */
    @AttributeDefinition(name = "Hints",
            description = "Honour @local / @premium (or @<tier>) in the last user message and "
                    + "the header x-lodestar-tier: they override the model.")
    boolean hints() default true;

    /**
     * Whether stronger tiers follow the chosen one as fail-over candidates.
     *
     * @return {@code true} to escalate on errors
     */
    @AttributeDefinition(name = "Escalate",
            description = "After the chosen tier's models, try the stronger tiers' models when "
                    + "a call fails.")
    boolean escalate() default true;

    /**
     * Whether cheaper tiers follow, as a last resort.
     *
     * @return {@code true} to fall back to cheaper tiers after the strongest
     */
    @AttributeDefinition(name = "Fall back down",
            description = "After the chosen and stronger tiers, try the cheaper tiers' models "
                    + "as a last resort.")
    boolean fallbackDown() default true;

    /**
     * How much each hard-work marker lowers p(local ok).
     *
     * @return per marker, at most three count
     */
    @AttributeDefinition(name = "Marker boost", min = "0", max = "1",
            description = "Subtracted from p(local ok) for each hard-work marker word in the "
                    + "prompt (architecture, refactor, race condition, prove, ...; at most 3 "
                    + "count). 0 leaves markers to the learned weights.")
    double markerBoost() default 0;
}
