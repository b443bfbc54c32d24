package lodestar.usage.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import lodestar.api.event.RequestEvent.TokenCounts;
import org.junit.jupiter.api.Test;

class PriceTableTest {

    @Test
    void costIsPerMillionTokensWithCachedAndWrittenTokensAtTheirOwnPrices() {
        final Price sonnet = Price.parse("input=3,output=15,cached=0.3,cacheWrite=3.75");
        // 10,000 input of which 6,000 cached and 1,000 written; 2,000 output
        final double cost = sonnet.cost(new TokenCounts(10_000, 2_000, 6_000, 1_000, false));
        assertThat(cost).isCloseTo((3_000 * 3 + 6_000 * 0.3 + 1_000 * 3.75 + 2_000 * 15)
                / 1e6, within(1e-12));
        assertThat(cost).isCloseTo(0.04455, within(1e-12));
    }

    @Test
    void cachedAndWritePricesDefaultToTheInputPrice() {
        final Price price = Price.parse("input=2, output=8");
        assertThat(price.cachedPerM()).isEqualTo(2);
        assertThat(price.cacheWritePerM()).isEqualTo(2);
        assertThat(price.cost(new TokenCounts(1_000_000, 1_000_000, 500_000, 0, false)))
                .isCloseTo(10.0, within(1e-12));
    }

    @Test
    void inconsistentCountsNeverGoNegative() {
        final Price price = Price.parse("input=1,output=1,cached=1");
        assertThat(price.cost(new TokenCounts(100, -5, 300, 0, false))).isCloseTo(300 / 1e6,
                within(1e-15));
        assertThat(price.cost(new TokenCounts(0, 0, 0, 0, false))).isZero();
    }

    @Test
    void malformedPricesAreRefusedWithAReason() {
        assertThatThrownBy(() -> Price.parse("input=1")).hasMessageContaining("required");
        assertThatThrownBy(() -> Price.parse("input=1,output=x")).hasMessageContaining(
                "not a number");
        assertThatThrownBy(() -> Price.parse("input=1,output=2,foo=3")).hasMessageContaining(
                "unknown price 'foo'");
        assertThatThrownBy(() -> Price.parse("input=1,output")).hasMessageContaining(
                "name=value");
        assertThatThrownBy(() -> Price.parse("input=-1,output=2")).hasMessageContaining(">= 0");
        assertThatThrownBy(() -> Price.parse("input=NaN,output=2")).hasMessageContaining(
                ">= 0");
        assertThatThrownBy(() -> Price.parse("input=Infinity,output=2"))
                .hasMessageContaining("finite");
    }

    @Test
    void theTableReadsModelsAndProvidersAndSkipsBadEntries() {
        final PriceTable table = PriceTable.parse(Map.of(
                "price.gpt-4o", "input=2.5,output=10,cached=1.25",
                "price.xai/grok-code-fast-1", "input=0.2,output=1.5",
                "provider.ollama", "input=0,output=0",
                "price.broken", "input=1",
                "price.", "input=1,output=1",
                "service.pid", "lodestar.usage.prices",
                "felix.fileinstall.filename", "file:/x"));
        assertThat(table.models()).containsOnlyKeys("gpt-4o", "xai/grok-code-fast-1");
        assertThat(table.providers()).containsOnlyKeys("ollama");
        assertThat(table.invalid()).containsOnlyKeys("price.broken", "price.");
        assertThat(table.entries()).extracting(PriceTable.Entry::name)
                .containsExactly("gpt-4o", "xai/grok-code-fast-1", "ollama");

        assertThat(table.lookup("openai", "gpt-4o")).contains(table.models().get("gpt-4o"));
        assertThat(table.lookup("xai", "grok-code-fast-1")).contains(
                table.models().get("xai/grok-code-fast-1"));
        assertThat(table.lookup("ollama", "llama3.2:3b")).contains(
                table.providers().get("ollama"));
        assertThat(table.lookup("openai", "gpt-5")).isEmpty();
        assertThat(table.lookup(null, "gpt-5")).isEmpty();
        assertThat(table.lookup("ollama", null)).contains(table.providers().get("ollama"));
    }

    @Test
    void theHashIdentifiesTheContentNotTheOrderOrUnrelatedKeys() {
        final PriceTable a = PriceTable.parse(Map.of("price.a", "input=1,output=2",
                "price.b", "input=3,output=4"));
        final PriceTable b = PriceTable.parse(Map.of("price.b", "input=3.0, output=4",
                "price.a", "output=2,input=1", "service.pid", "x"));
        final PriceTable c = PriceTable.parse(Map.of("price.a", "input=1,output=2",
                "price.b", "input=3,output=5"));
        assertThat(a.hash()).isEqualTo(b.hash()).hasSize(64);
        assertThat(c.hash()).isNotEqualTo(a.hash());
        assertThat(PriceTable.EMPTY.models()).isEmpty();
        assertThat(PriceTable.parse(Map.of("provider.a", "input=1,output=2")).hash())
                .isNotEqualTo(PriceTable.parse(Map.of("price.a", "input=1,output=2")).hash());
    }

    @Test
    void theCatalogTakesEditsLive() {
        final PriceCatalog catalog = Fixtures.prices("price.m", "input=1,output=1",
                "price.bad", "x");
        final PriceTable first = catalog.current();
        assertThat(first.models()).containsOnlyKeys("m");
        catalog.modified(Fixtures.map("price.m", "input=2,output=2"));
        assertThat(catalog.current()).isNotSameAs(first);
        assertThat(catalog.current().models().get("m").inputPerM()).isEqualTo(2);
    }
}
