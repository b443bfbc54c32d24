package lodestar.usage.internal;

import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Modified;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The price table, from PID {@code lodestar.usage.prices} ({@code config/lodestar.usage.prices
 * .cfg}): {@code price.<model>=input=..,output=..[,cached=..][,cacheWrite=..]} and
 * {@code provider.<id>=...} in US dollars per one million tokens. Edits take effect live, for
 * the next batch written; each distinct table is stored once with a version number.
 */
@Component(service = PriceCatalog.class, configurationPid = "lodestar.usage.prices",
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
public final class PriceCatalog {

    private static final Logger LOG = LoggerFactory.getLogger(PriceCatalog.class);
    private volatile PriceTable table;

    /**
     * Reads the table.
     *
     * @param properties the configuration (no file: an empty table, every model unpriced)
     */
    @Activate
    public PriceCatalog(final Map<String, Object> properties) {
        this.table = read(properties);
    }

    /**
     * Takes an edited table live.
     *
     * @param properties the configuration
     */
    @Modified
    void modified(final Map<String, Object> properties) {
        this.table = read(properties);
    }

    private static PriceTable read(final Map<String, Object> properties) {
        final PriceTable parsed = PriceTable.parse(properties);
        parsed.invalid().forEach((key, why) -> LOG.warn("Price entry {} skipped: {}", key, why));
        LOG.info("Price table: {} model(s), {} provider catch-all(s), hash {}",
                parsed.models().size(), parsed.providers().size(),
                parsed.hash().substring(0, 12));
        return parsed;
    }

    /**
     * The table in force.
     *
     * @return the table
     */
    PriceTable current() {
        return table;
    }
}
