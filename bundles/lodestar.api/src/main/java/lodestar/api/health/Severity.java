package lodestar.api.health;

/** Severity of a health result or alert, from harmless to system down. */
public enum Severity {
    /** Healthy. */
    OK,
    /** Worth knowing, nothing wrong (e.g. "no GPU", a recovery). */
    INFO,
    /** Degraded: something needs attention but requests are served. */
    WARNING,
    /** Down: requests fail or will soon. */
    CRITICAL;

    /**
     * The worse of two severities.
     *
     * @param other another severity
     * @return whichever is more severe
     */
    public Severity worst(final Severity other) {
        return other != null && other.ordinal() > ordinal() ? other : this;
    }
}
