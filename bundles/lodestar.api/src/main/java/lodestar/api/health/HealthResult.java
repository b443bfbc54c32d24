package lodestar.api.health;

import java.time.Instant;
import java.util.Map;

/**
 * The result of one health check.
 *
 * @param name the check's name, e.g. {@code runtime}, {@code provider.openai-prod}
 * @param severity how healthy
 * @param message a short human-readable summary, free of secrets
 * @param details machine-readable figures (JSON-friendly values only)
 * @param checkedAt when the check ran
 */
public record HealthResult(
        String name,
        Severity severity,
        String message,
        Map<String, Object> details,
        Instant checkedAt) {

    /** Normalises and checks. */
    public HealthResult {
        if (name == null || severity == null) {
            throw new IllegalArgumentException("name and severity are required");
        }
        message = message == null ? "" : message;
        details = details == null ? Map.of() : Map.copyOf(details);
        checkedAt = checkedAt == null ? Instant.now() : checkedAt;
    }

    /**
     * A result without details, checked now.
     *
     * @param name the check name
     * @param severity the severity
     * @param message the message
     * @return the result
     */
    public static HealthResult of(final String name, final Severity severity,
            final String message) {
        return new HealthResult(name, severity, message, Map.of(), Instant.now());
    }
}
