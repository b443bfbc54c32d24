package lodestar.health.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import lodestar.api.event.RequestEvent;

/**
 * Request figures taken from the router's events: cumulative counters and histograms for
 * {@code /metrics}, and per provider and per model sliding windows (error rate, p95 duration)
 * for the alert rules. Thread-safe; {@link #record} is cheap.
 */
final class TrafficStats {

    /** Upper bounds of the duration histograms, seconds (Prometheus {@code le}). */
    static final double[] BOUNDS = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300};

    private static final int SLOTS = 30;

    private final Map<String, Series> series = new ConcurrentHashMap<>();
    private volatile Duration window;

    TrafficStats(final Duration window) {
        this.window = window;
    }

    void window(final Duration length) {
        this.window = length;
    }

    /**
     * Whether an event counts as a failure of the provider that handled it: a server-side or
     * upstream error, an upstream rate limit, or a stream cut midway. Client mistakes (4xx) and
     * hang-ups are not the provider's fault.
     */
    static boolean isError(final RequestEvent event) {
        final String type = event.errorType();
        return event.status() >= 500
                || event.status() == 429 && type != null && (type.startsWith("upstream")
                        || type.equals("insufficient_quota"))
                || "stream_interrupted".equals(type);
    }

    void record(final RequestEvent event) {
        final String provider = event.providerId() == null ? "" : event.providerId();
        final String model = event.model() == null ? "" : event.model();
        series.computeIfAbsent(provider + "\u0000" + model, k -> new Series(provider, model))
                .add(event, isError(event), window);
    }

    /** Every series, sorted by provider then model. */
    List<Series> all() {
        return new ArrayList<>(new TreeMap<>(series).values());
    }

    /**
     * Window figures per provider (all its models together).
     *
     * @param now the time
     * @return provider id to figures (zero when it had no traffic in the window)
     */
    Map<String, Window> byProvider(final Instant now) {
        final Map<String, Window> out = new TreeMap<>();
        for (final Series one : series.values()) {
            if (one.provider.isEmpty()) {
                continue;
            }
            out.merge(one.provider, one.window(now, window), Window::plus);
        }
        return out;
    }

    /**
     * Window figures per model ({@code provider/model}).
     *
     * @param now the time
     * @return qualified model name to figures (zero without traffic in the window)
     */
    Map<String, Window> byModel(final Instant now) {
        final Map<String, Window> out = new TreeMap<>();
        for (final Series one : series.values()) {
            if (one.provider.isEmpty() || one.model.isEmpty()) {
                continue;
            }
            out.put(one.provider + "/" + one.model, one.window(now, window));
        }
        return out;
    }

    /**
     * Figures of a window.
     *
     * @param requests requests in the window
     * @param errors failed ones
     * @param histogram counts per {@link #BOUNDS} bucket, plus one for larger values
     */
    record Window(long requests, long errors, long[] histogram) {

        double errorRate() {
            return requests == 0 ? 0 : (double) errors / requests;
        }

        /**
         * The 95th percentile duration, as the upper bound of the bucket it falls in.
         *
         * @return seconds; {@code Double.POSITIVE_INFINITY} beyond the last bound
         */
        double p95Seconds() {
            final long rank = (long) Math.ceil(requests * 0.95);
            long seen = 0;
            for (int i = 0; i < histogram.length; i++) {
                seen += histogram[i];
                if (seen >= rank) {
                    return i < BOUNDS.length ? BOUNDS[i] : Double.POSITIVE_INFINITY;
                }
            }
            return 0;
        }

        Window plus(final Window other) {
            final long[] sum = histogram.clone();
            for (int i = 0; i < sum.length; i++) {
                sum[i] += other.histogram[i];
            }
            return new Window(requests + other.requests, errors + other.errors, sum);
        }
    }

    /** One provider/model pair: cumulative figures and a ring of time slots. */
    static final class Series {
        final String provider;
        final String model;
        final Map<Integer, Long> byStatus = new TreeMap<>();
        final long[] duration = new long[BOUNDS.length + 1];
        final long[] firstToken = new long[BOUNDS.length + 1];
        double durationSum;
        double firstTokenSum;
        long firstTokenCount;
        long requests;
        long errors;
        long tokensIn;
        long tokensOut;
        long tokensCached;
        double cost;
        double baselineCost;
        private final long[] slotStart = new long[SLOTS];
        private final long[] slotRequests = new long[SLOTS];
        private final long[] slotErrors = new long[SLOTS];
        private final long[][] slotHistogram = new long[SLOTS][BOUNDS.length + 1];

        Series(final String provider, final String model) {
            this.provider = provider;
            this.model = model;
        }

        synchronized void add(final RequestEvent event, final boolean error,
                final Duration window) {
            requests++;
            byStatus.merge(event.status(), 1L, Long::sum);
            final double seconds = event.latency() == null ? 0
                    : event.latency().toNanos() / 1e9;
            final int bucket = bucket(seconds);
            duration[bucket]++;
            durationSum += seconds;
            if (event.timeToFirstToken() != null) {
                final double first = event.timeToFirstToken().toNanos() / 1e9;
                firstToken[bucket(first)]++;
                firstTokenSum += first;
                firstTokenCount++;
            }
            if (error) {
                errors++;
            }
            if (event.tokens() != null) {
                tokensIn += event.tokens().input();
                tokensOut += event.tokens().output();
                tokensCached += event.tokens().cachedInput();
            }
            cost += event.costUsd() == null ? 0 : event.costUsd();
            baselineCost += event.baselineCostUsd() == null ? 0 : event.baselineCostUsd();
            final long width = slotWidth(window);
            final long start = Math.floorDiv(event.timestamp() == null
                    ? System.currentTimeMillis() : event.timestamp().toEpochMilli(), width)
                    * width;
            final int slot = (int) Math.floorMod(start / width, SLOTS);
            if (slotStart[slot] != start) {
                slotStart[slot] = start;
                slotRequests[slot] = 0;
                slotErrors[slot] = 0;
                java.util.Arrays.fill(slotHistogram[slot], 0);
            }
            slotRequests[slot]++;
            slotErrors[slot] += error ? 1 : 0;
            slotHistogram[slot][bucket]++;
        }

        synchronized Window window(final Instant now, final Duration window) {
            final long width = slotWidth(window);
            final long oldest = now.toEpochMilli() - window.toMillis();
            long count = 0;
            long failed = 0;
            final long[] histogram = new long[BOUNDS.length + 1];
            for (int i = 0; i < SLOTS; i++) {
                if (slotRequests[i] > 0 && slotStart[i] + width > oldest
                        && slotStart[i] <= now.toEpochMilli()) {
                    count += slotRequests[i];
                    failed += slotErrors[i];
                    for (int b = 0; b < histogram.length; b++) {
                        histogram[b] += slotHistogram[i][b];
                    }
                }
            }
            return new Window(count, failed, histogram);
        }

        private static long slotWidth(final Duration window) {
            return Math.max(1000, window.toMillis() / SLOTS);
        }

        private static int bucket(final double seconds) {
            for (int i = 0; i < BOUNDS.length; i++) {
                if (seconds <= BOUNDS[i]) {
                    return i;
                }
            }
            return BOUNDS.length;
        }
    }
}
