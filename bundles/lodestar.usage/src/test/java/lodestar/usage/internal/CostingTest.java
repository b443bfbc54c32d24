package lodestar.usage.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import lodestar.api.event.RequestEvent;
import org.junit.jupiter.api.Test;

class CostingTest {

    private final PriceTable table = PriceTable.parse(Map.of(
            "price.gpt-4o", "input=2.5,output=10,cached=1.25",
            "provider.ollama", "input=0,output=0"));

    private static RequestEvent event(final String provider, final String model,
            final boolean cacheHit, final int attempts, final Double cost) {
        return new RequestEvent("r", Instant.EPOCH, "/v1/chat/completions", null, null, "auto",
                provider, model, "fixed", "", false, cacheHit,
                new RequestEvent.TokenCounts(1_000, 500, 200, 0, false), Duration.ZERO, null,
                200, null, attempts, cost, null);
    }

    @Test
    void aModelInTheTableIsPricedFromTheTableEvenWhenTheEventHasAPrice() {
        final Costing costing = Costing.of(event("openai", "gpt-4o", false, 1, 99.0), table);
        assertThat(costing.source()).isEqualTo("table");
        assertThat(costing.costUsd()).isCloseTo((800 * 2.5 + 200 * 1.25 + 500 * 10) / 1e6,
                within(1e-12));
    }

    @Test
    void localModelsCostNothingThroughTheProviderEntry() {
        final Costing costing = Costing.of(event("ollama", "llama3.2:3b", false, 1, null),
                table);
        assertThat(costing).isEqualTo(new Costing(0.0, "table"));
    }

    @Test
    void anUnknownModelTakesTheProvidersPriceFlaggedOrStaysUnknownNeverZero() {
        assertThat(Costing.of(event("openai", "gpt-5", false, 1, 0.25), table))
                .isEqualTo(new Costing(0.25, "event"));
        assertThat(Costing.of(event("openai", "gpt-5", false, 1, null), table))
                .isEqualTo(Costing.UNKNOWN);
        assertThat(Costing.of(event("openai", "gpt-5", false, 1, Double.NaN), table))
                .isEqualTo(Costing.UNKNOWN);
        assertThat(Costing.of(event("openai", "gpt-5", false, 1, -1.0), table))
                .isEqualTo(Costing.UNKNOWN);
        assertThat(Costing.of(event("openai", null, false, 1, null), table))
                .isEqualTo(Costing.UNKNOWN);
    }

    @Test
    void cacheHitsAndRefusedRequestsCostNothing() {
        assertThat(Costing.of(event("openai", "gpt-4o", true, 0, 1.0), table))
                .isEqualTo(new Costing(0.0, "cache"));
        assertThat(Costing.of(event(null, null, false, 0, null), table))
                .isEqualTo(new Costing(0.0, "no_call"));
    }
}
