package lodestar.router.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Configuration of the router, PID {@code lodestar.router}. */
@ObjectClassDefinition(name = "Lodestar router",
        description = "Request limits, retries, cooldowns, client keys and events.")
@interface RouterConfig {

    @AttributeDefinition(description = "Largest accepted request body, bytes")
    int maxBodyBytes() default 10 * 1024 * 1024;

    @AttributeDefinition(description = "Attempts per candidate for retryable failures (1 = none)")
    int maxAttempts() default 2;

    @AttributeDefinition(description = "First retry backoff, ms (doubled each retry, jittered)")
    int backoffBaseMs() default 100;

    @AttributeDefinition(description = "Longest backoff or Retry-After honoured before failing "
            + "over to the next candidate, ms")
    int backoffMaxMs() default 2000;

    @AttributeDefinition(description = "Consecutive failures that put a provider in cooldown")
    int cooldownAfterFailures() default 3;

    @AttributeDefinition(description = "Cooldown length, seconds; then one probe (half-open)")
    int cooldownSeconds() default 30;

    @AttributeDefinition(type = AttributeType.PASSWORD,
            description = "Client keys, 'name:key' comma-separated, or ${env:NAME}; empty = open")
    String _proxyKeys() default "";

    @AttributeDefinition(description = "Requests per minute per client key; 0 = unlimited")
    int rateLimitPerMinute() default 0;

    @AttributeDefinition(description = "Burst size of the per-key token bucket")
    int rateLimitBurst() default 20;

    @AttributeDefinition(description = "Request events queued for listeners before drops")
    int eventQueueSize() default 10_000;

    @AttributeDefinition(description = "Premium model whose price the savings are measured "
            + "against, as a concrete model id (e.g. gpt-4o); empty = none")
    String baselineModel() default "";

    /** @return whether a poor complete answer (empty, refused) escalates to the next candidate */
    @AttributeDefinition(description = "Try the next candidate when a non-streamed answer is "
            + "empty or a refusal and more candidates remain")
    boolean escalatePoorAnswers() default true;
}
