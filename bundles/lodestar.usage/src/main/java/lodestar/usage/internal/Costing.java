package lodestar.usage.internal;

import java.util.Optional;
import lodestar.api.event.RequestEvent;

/**
 * The cost recorded for a request, and where it comes from.
 *
 * <ul>
 * <li>{@code cache}: answered from the response cache, nothing paid: 0.</li>
 * <li>{@code no_call}: refused before any upstream call (no provider tried, no attempt): 0.
 * </li>
 * <li>{@code table}: the served model (or its provider) is in the price table: the table's
 * price of the event's tokens.</li>
 * <li>{@code event}: not in the table, but the event carries the provider's own price
 * ({@code costUsd}): that, flagged so reports count it apart.</li>
 * <li>none: neither: the cost is unknown ({@code null}), never 0.</li>
 * </ul>
 *
 * @param costUsd the cost, or {@code null} when unknown
 * @param source {@code table}, {@code event}, {@code cache}, {@code no_call} or {@code null}
 */
record Costing(Double costUsd, String source) {

    /** Nothing known. */
    static final Costing UNKNOWN = new Costing(null, null);

    /**
     * Prices an event.
     *
     * @param event the event
     * @param table the price table in force
     * @return the costing
     */
    static Costing of(final RequestEvent event, final PriceTable table) {
        if (event.cacheHit()) {
            return new Costing(0.0, "cache");
        }
        if (event.providerId() == null && event.model() == null && event.attempts() == 0) {
            return new Costing(0.0, "no_call");
        }
        final Optional<Price> price = table.lookup(event.providerId(), event.model());
        if (price.isPresent() && event.model() != null) {
            return new Costing(price.get().cost(event.tokens()), "table");
        }
        final Double own = event.costUsd();
        if (own != null && Double.isFinite(own) && own >= 0) {
            return new Costing(own, "event");
        }
        return UNKNOWN;
    }
}
