package lodestar.learning.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Configuration of the {@code openai-finetune} training backend (PID
 * {@code lodestar.learning.openai}; the backend exists only with this configuration).
 */
@ObjectClassDefinition(name = "Lodestar learning: OpenAI fine-tuning",
        description = "Trains through the OpenAI fine-tuning API")
public @interface OpenAiBackendConfig {

    /** @return the API base URL */
    @AttributeDefinition(description = "API base URL (without /v1)")
    String baseUrl() default "https://api.openai.com";

    /** @return the API key */
    @AttributeDefinition(type = AttributeType.PASSWORD,
            description = "API key, e.g. $[env:OPENAI_API_KEY]")
    String _apiKey() default "";

    /** @return the polling interval */
    @AttributeDefinition(description = "Seconds between status polls")
    int pollSeconds() default 30;

    /** @return the time limit */
    @AttributeDefinition(description = "Minutes before the job is cancelled and failed")
    int timeoutMinutes() default 1440;

    /** @return the model suffix */
    @AttributeDefinition(description = "Suffix of the fine-tuned model's name")
    String suffix() default "lodestar";
}
