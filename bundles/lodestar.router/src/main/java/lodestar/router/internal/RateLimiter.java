package lodestar.router.internal;

import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/** Token bucket per client key: {@code perMinute} refill, {@code burst} capacity. */
final class RateLimiter {

    private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();
    private final int perMinute;
    private final int burst;
    private final LongSupplier nanoTime;

    RateLimiter(final int perMinute, final int burst, final LongSupplier nanoTime) {
        this.perMinute = perMinute;
        this.burst = Math.max(1, burst);
        this.nanoTime = nanoTime;
    }

    /**
     * Takes one token for the key.
     *
     * @param key the client key name
     * @return 0 when allowed, else the seconds to wait (at least 1)
     */
    long acquire(final String key) {
        if (perMinute <= 0) {
            return 0;
        }
        return buckets.computeIfAbsent(key, k -> new Bucket(burst, nanoTime.getAsLong()))
                .take(perMinute, burst, nanoTime.getAsLong());
    }

    private static final class Bucket {
        private double tokens;
        private long last;

        Bucket(final int burst, final long now) {
            this.tokens = burst;
            this.last = now;
        }

        synchronized long take(final int perMinute, final int burst, final long now) {
            final double perNano = perMinute / 60e9;
            tokens = Math.min(burst, tokens + (now - last) * perNano);
            last = now;
            if (tokens >= 1) {
                tokens -= 1;
                return 0;
            }
            return Math.max(1, (long) Math.ceil((1 - tokens) / perNano / 1e9));
        }
    }
}
