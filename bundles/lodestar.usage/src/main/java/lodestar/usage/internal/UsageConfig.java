package lodestar.usage.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Configuration of usage tracking (PID {@code lodestar.usage}). A change restarts tracking:
 * the queue is flushed first, nothing is lost.
 */
@ObjectClassDefinition(name = "Lodestar usage tracking",
        description = "Recording of every request to the shared database, retention, privacy, "
                + "opt-in content storage")
public @interface UsageConfig {

    /** @return the queue's capacity */
    @AttributeDefinition(description = "Events waiting to be written; when full, events are "
            + "dropped and counted (the usage health check warns), requests are never slowed")
    int queueSize() default 10000;

    /** @return most events per transaction */
    @AttributeDefinition(description = "Most events written per transaction (JDBC batch)")
    int batchSize() default 500;

    /** @return longest wait before a partial batch is written */
    @AttributeDefinition(description = "Longest wait before a partial batch is written, ms; "
            + "the most a killed process can lose is what arrived in this time")
    long flushMillis() default 1000;

    /** @return days kept */
    @AttributeDefinition(description = "Days of usage kept; older days are dropped whole "
            + "(rows live at least this long and at most one day more)")
    int retentionDays() default 90;

    /** @return idle gap that ends a session */
    @AttributeDefinition(description = "Minutes without a request that end a session")
    int sessionIdleMinutes() default 30;

    /** @return whether identifiers are hashed */
    @AttributeDefinition(description = "Store session and client ids as keyed hashes "
            + "(HMAC-SHA256, secret usage-hmac.key in the data folder); false stores them as "
            + "sent")
    boolean anonymize() default true;

    /** @return longest routing explanation kept */
    @AttributeDefinition(description = "Characters of the routing explanation kept (at most "
            + "2000); 0 keeps none")
    int maxRouteChars() default 500;

    /** @return whether the content of exchanges is stored */
    @AttributeDefinition(description = "Store the canonical request and answer of every "
            + "successful exchange (prompts and completions) in the usage_content_YYYY_MM_DD "
            + "tables. Off by default: nothing is stored and usage does not ask the router "
            + "for content")
    boolean storeContent() default false;

    /** @return days of content kept */
    @AttributeDefinition(description = "Days of stored content kept; older days are dropped "
            + "whole (content lives at least this long and at most one day more). Applies "
            + "also after storeContent is turned off, until every stored day is gone")
    int contentRetentionDays() default 7;

    /** @return the content queue's capacity */
    @AttributeDefinition(description = "Exchanges waiting to be stored (each holds a whole "
            + "request and answer); when full, content is dropped and counted (the usage "
            + "health check warns), requests are never slowed")
    int contentQueueSize() default 1000;

    /** @return the filter selecting the database */
    @AttributeDefinition(name = "DataSource filter", description = "Filter selecting the "
            + "DataSource service to write to")
    String dataSource_target() default "(dataSourceName=lodestar)";
}
