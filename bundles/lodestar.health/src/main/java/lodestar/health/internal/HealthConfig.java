package lodestar.health.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Configuration of the health monitor (PID {@code lodestar.health}); every value is live. */
@ObjectClassDefinition(name = "Lodestar health monitor",
        description = "Scheduled checks, traffic thresholds and alert rules")
public @interface HealthConfig {

    /** @return seconds between two evaluations of every check */
    @AttributeDefinition(description = "Seconds between two evaluations of every check")
    int intervalSeconds() default 10;

    /** @return the most a single contributor may take before it counts as failed */
    @AttributeDefinition(description = "Time limit of one contributor's checks, ms")
    int checkTimeoutMs() default 2000;

    /** @return length of the sliding traffic window */
    @AttributeDefinition(description = "Sliding window for error rates and latency, seconds")
    int windowSeconds() default 300;

    /** @return requests needed in the window before rates are judged */
    @AttributeDefinition(description = "Requests in the window before rates are judged")
    int minRequests() default 10;

    /** @return error share that raises a warning */
    @AttributeDefinition(description = "Error rate (0..1) of a provider or model that warns")
    double errorRateWarn() default 0.25;

    /** @return error share that raises a critical alert */
    @AttributeDefinition(description = "Error rate (0..1) of a provider or model that is "
            + "critical")
    double errorRateCritical() default 0.9;

    /** @return p95 latency that raises a warning */
    @AttributeDefinition(description = "p95 request duration of a provider or model that warns,"
            + " ms")
    long latencyP95WarnMs() default 60000;

    /** @return free disk share below which a warning is raised */
    @AttributeDefinition(description = "Free space of the data folder's disk that warns, %")
    double diskWarnPercent() default 10;

    /** @return free disk share below which the alert is critical */
    @AttributeDefinition(description = "Free space of the data folder's disk that is critical, %")
    double diskCriticalPercent() default 3;

    /** @return heap use that warns */
    @AttributeDefinition(description = "JVM heap in use (of the maximum) that warns, %")
    double heapWarnPercent() default 90;

    /** @return system memory use that warns */
    @AttributeDefinition(description = "System memory in use that warns, %")
    double memoryWarnPercent() default 95;

    /** @return minutes after which an unchanged alert is announced again, 0 = never */
    @AttributeDefinition(description = "Announce an unchanged alert again after this many "
            + "minutes; 0 = never")
    int repeatMinutes() default 60;

    /** @return rounds a check must be bad in a row before it is announced */
    @AttributeDefinition(description = "Rounds a check must be bad in a row before its alert "
            + "goes out (absorbs start-up and one-off blips)")
    int confirmRounds() default 2;

    /** @return whether a target its provider's own check reports down is skipped by routing */
    @AttributeDefinition(description = "Tell routing to skip providers and models whose own "
            + "checks report them down (detail down=true)")
    boolean skipDownProviders() default true;

    /** @return alerts kept for lodestar:alerts */
    @AttributeDefinition(description = "Alerts kept in memory for lodestar:alerts")
    int historySize() default 200;
}
