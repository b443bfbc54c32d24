package lodestar.router.internal;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * Per-provider circuit breaker: after {@code threshold} consecutive failures the provider is in
 * cooldown (open) for {@code cooldown}; then one probe request is let through (half-open); its
 * success closes the circuit, its failure opens it again.
 */
final class CircuitBreaker {

    /** The breaker's states. */
    enum State { CLOSED, OPEN, HALF_OPEN }

    private final Clock clock;
    private int failures;
    private Instant openUntil = Instant.MIN;
    private boolean probing;
    private String lastError = "";
    private Instant lastErrorAt;

    CircuitBreaker(final Clock clock) {
        this.clock = clock;
    }

    /**
     * Whether a request may go to the provider now; in half-open state only one probe may.
     *
     * @return {@code true} to send
     */
    synchronized boolean allow() {
        final State state = state();
        if (state == State.CLOSED) {
            return true;
        }
        if (state == State.HALF_OPEN && !probing) {
            probing = true;
            return true;
        }
        return false;
    }

    /**
     * Whether the provider may be offered to strategies (not in cooldown).
     *
     * @return {@code true} unless open
     */
    synchronized boolean isAvailable() {
        return state() != State.OPEN;
    }

    synchronized State state() {
        if (failures == 0 || openUntil.equals(Instant.MIN)) {
            return State.CLOSED;
        }
        return clock.instant().isBefore(openUntil) ? State.OPEN : State.HALF_OPEN;
    }

    synchronized void success() {
        failures = 0;
        probing = false;
        openUntil = Instant.MIN;
    }

    synchronized void failure(final String error, final int threshold, final Duration cooldown) {
        failures++;
        probing = false;
        lastError = error;
        lastErrorAt = clock.instant();
        if (failures >= threshold) {
            openUntil = clock.instant().plus(cooldown);
        }
    }

    synchronized int failures() {
        return failures;
    }

    synchronized String lastError() {
        return lastError;
    }

    synchronized Instant lastErrorAt() {
        return lastErrorAt;
    }

    synchronized Duration cooldownLeft() {
        final Duration left = Duration.between(clock.instant(), openUntil);
        return left.isNegative() || openUntil.equals(Instant.MIN) ? Duration.ZERO : left;
    }
}
