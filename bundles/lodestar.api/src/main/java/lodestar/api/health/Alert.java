package lodestar.api.health;

import java.time.Instant;
import java.util.Map;

/**
 * A health alert: a check entered a worse state, or recovered.
 *
 * @param key what the alert is about, stable across repeats (e.g. {@code provider.openai}); used
 *     to de-duplicate and to pair a recovery with its alert
 * @param severity {@link Severity#CRITICAL}, {@link Severity#WARNING} or {@link Severity#INFO}
 * @param message a short human-readable account, free of secrets
 * @param recovery whether this announces a return to health (then {@code severity} is INFO)
 * @param details machine-readable figures (JSON-friendly values only)
 * @param raisedAt when it was raised
 */
public record Alert(String key, Severity severity, String message, boolean recovery,
        Map<String, Object> details, Instant raisedAt) {

    /** Normalises and checks. */
    public Alert {
        if (key == null || severity == null) {
            throw new IllegalArgumentException("key and severity are required");
        }
        message = message == null ? "" : message;
        details = details == null ? Map.of() : Map.copyOf(details);
        raisedAt = raisedAt == null ? Instant.now() : raisedAt;
    }
}
