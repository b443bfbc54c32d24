package lodestar.router.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import lodestar.api.event.RequestEvent;
import lodestar.api.event.RequestListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers request events to listeners through a bounded queue on one daemon thread. Publishing
 * never blocks: when the queue is full the event is dropped and counted. A listener that throws
 * is logged (rate-limited) and counted; the others still get the event.
 */
final class EventDispatcher {

    private static final Logger LOG = LoggerFactory.getLogger(EventDispatcher.class);

    private static final int BATCH = 256;
    private static final long PAUSE_MS = 5;

    private final BlockingQueue<RequestEvent> queue;
    private final Supplier<List<RequestListener>> listeners;
    private final AtomicLong published = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final Thread thread;
    private volatile boolean running = true;

    EventDispatcher(final int capacity, final Supplier<List<RequestListener>> listeners) {
        this.queue = new ArrayBlockingQueue<>(Math.max(1, capacity));
        this.listeners = listeners;
        this.thread = new Thread(this::run, "lodestar-events");
        thread.setDaemon(true);
        thread.start();
    }

    void publish(final RequestEvent event) {
        if (queue.offer(event)) {
            published.incrementAndGet();
        } else {
            dropped.incrementAndGet();
        }
    }

    private void run() {
        final List<RequestEvent> batch = new ArrayList<>(BATCH);
        while (running || !queue.isEmpty()) {
            try {
                final RequestEvent first = queue.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                deliver(first);
                queue.drainTo(batch, BATCH);
                batch.forEach(this::deliver);
                final boolean busy = batch.size() == BATCH;
                batch.clear();
                if (!busy && running) {
                    // under load, collect a few milliseconds of events per wake-up instead of
                    // waking this thread (a context switch) once per request
                    Thread.sleep(PAUSE_MS);
                }
            } catch (final InterruptedException e) {
                if (!running) {
                    break;
                }
            }
        }
    }

    private void deliver(final RequestEvent event) {
        for (final RequestListener listener : listeners.get()) {
            try {
                listener.onRequest(event);
            } catch (final RuntimeException e) {
                if (failed.incrementAndGet() % 1000 == 1) {
                    LOG.warn("Request listener {} failed ({} failures so far): {}",
                            listener.getClass().getName(), failed.get(), e.toString());
                }
            }
        }
    }

    /** Stops after delivering what is queued, waiting at most 2 s. */
    void close() {
        running = false;
        try {
            thread.join(2000);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        thread.interrupt();
    }

    long published() {
        return published.get();
    }

    long dropped() {
        return dropped.get();
    }

    long failed() {
        return failed.get();
    }

    int queued() {
        return queue.size();
    }
}
