package lodestar.cache.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Configuration of the response cache (PID {@code lodestar.cache}); every value is live. */
@ObjectClassDefinition(name = "Lodestar response cache",
        description = "Exact-match cache of deterministic, non-streamed answers")
public @interface CacheConfig {

    /** @return whether answers are cached at all */
    @AttributeDefinition(description = "false turns caching off (entries are dropped)")
    boolean enabled() default true;

    /** @return how long an answer stays */
    @AttributeDefinition(description = "Seconds an answer is served from the cache")
    int ttlSeconds() default 1800;

    /** @return most entries */
    @AttributeDefinition(description = "Most answers kept; the least recently used go first")
    int maxEntries() default 10000;

    /** @return most bytes */
    @AttributeDefinition(description = "Most bytes of answers kept (their JSON size)")
    long maxBytes() default 64L * 1024 * 1024;

    /** @return largest single answer */
    @AttributeDefinition(description = "Answers larger than this many bytes are not cached")
    long maxEntryBytes() default 1024L * 1024;
}
