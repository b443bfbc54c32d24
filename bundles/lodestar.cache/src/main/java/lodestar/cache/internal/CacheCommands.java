package lodestar.cache.internal;

import java.util.Locale;
import java.util.Map;
import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** Gogo commands {@code lodestar:cache} and {@code lodestar:cache-clear}. */
@Component(service = CacheCommands.class, property = {"osgi.command.scope=lodestar",
    "osgi.command.function=cache", "osgi.command.function=cacheclear"})
public final class CacheCommands {

    private final ExactCache cache;

    /**
     * Activates.
     *
     * @param cache the cache
     */
    @Activate
    public CacheCommands(@Reference final ExactCache cache) {
        this.cache = cache;
    }

    /**
     * Cache figures.
     *
     * @return entries, bytes, hits, misses, stores, evictions and the hit rate
     */
    @Descriptor("Response cache figures")
    public String cache() {
        final Map<String, Long> stats = cache.stats();
        final StringBuilder out = new StringBuilder();
        stats.forEach((k, v) -> out.append(String.format(Locale.ROOT, "%-10s %d%n", k, v)));
        final long lookups = stats.get("hits") + stats.get("misses");
        out.append(String.format(Locale.ROOT, "hit rate   %.1f%%%n", lookups == 0 ? 0.0
                : 100.0 * stats.get("hits") / lookups));
        return out.toString();
    }

    /**
     * Empties the cache.
     *
     * @return a confirmation
     */
    @Descriptor("Empties the response cache")
    public String cacheclear() {
        cache.clear();
        return "response cache emptied\n";
    }
}
