package lodestar.health.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** One webhook alert sink (factory PID {@code lodestar.health.webhook}). */
@ObjectClassDefinition(name = "Lodestar alert webhook",
        description = "POSTs alerts to a URL (Slack, ntfy, any JSON receiver)")
public @interface WebhookConfig {

    /**
     * The target URL; may carry a secret token (Slack), so it is private ({@code .url}) and
     * never logged beyond its host.
     *
     * @return the URL
     */
    @AttributeDefinition(name = ".url", description = "Target URL (http or https)")
    String _url() default "";

    /** @return body format */
    @AttributeDefinition(description = "json (the alert as JSON), slack ({\"text\": ...}) or "
            + "text (plain, e.g. ntfy)")
    String format() default "json";

    /** @return lowest severity sent */
    @AttributeDefinition(description = "Lowest severity sent: INFO, WARNING or CRITICAL; a "
            + "recovery is sent when its alert was")
    String minSeverity() default "WARNING";

    /** @return extra attempts after a failure */
    @AttributeDefinition(description = "Retries after a failed delivery (5xx, 429, network)")
    int retries() default 3;

    /** @return first backoff */
    @AttributeDefinition(description = "Wait before the first retry, ms (doubles each time)")
    long backoffMs() default 1000;

    /** @return request timeout */
    @AttributeDefinition(description = "Connect and answer timeout of one attempt, ms")
    long timeoutMs() default 5000;

    /** @return alerts waiting at most */
    @AttributeDefinition(description = "Alerts waiting for delivery at most; more are dropped "
            + "and counted")
    int queueSize() default 100;
}
