package lodestar.learning.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Configuration of the {@code command} training backend (PID
 * {@code lodestar.learning.command}).
 */
@ObjectClassDefinition(name = "Lodestar learning: command trainer",
        description = "Runs an external trainer process that speaks the JSON-line progress "
                + "protocol")
public @interface CommandBackendConfig {

    /** @return the command template */
    @AttributeDefinition(description = "Trainer command, split at spaces (no shell); "
            + "placeholders {train} {validation} {output} {baseModel} {params} {job} {dataset} "
            + "{workDir}")
    String command() default "python3 scripts/train/lora_train.py --train {train} "
            + "--validation {validation} --output {output} --base-model {baseModel} "
            + "--params {params}";

    /** @return the working directory */
    @AttributeDefinition(description = "Working directory of the trainer; empty = Lodestar's")
    String workingDirectory() default "";

    /** @return the time limit */
    @AttributeDefinition(description = "Minutes a training may run before it is stopped and "
            + "failed")
    int timeoutMinutes() default 720;

    /** @return the grace period */
    @AttributeDefinition(description = "Seconds a stopped trainer gets to exit before it is "
            + "killed")
    int killGraceSeconds() default 10;
}
