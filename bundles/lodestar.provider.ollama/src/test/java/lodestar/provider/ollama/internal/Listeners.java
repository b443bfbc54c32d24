package lodestar.provider.ollama.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import lodestar.api.chat.ChatChunk;
import lodestar.api.chat.ChatResponse;
import lodestar.api.chat.Usage;
import lodestar.api.provider.ChatListener;
import lodestar.api.provider.ForwardListener;
import lodestar.api.provider.ProviderFailure;

/** Test listeners that record every call and check the listener contract. */
final class Listeners {

    private Listeners() {
    }

    /** Waits until a condition holds. */
    static void await(final BooleanSupplier condition, final Duration limit)
            throws InterruptedException {
        final long end = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("condition not met within " + limit);
            }
            Thread.sleep(10);
        }
    }

    /** Records events; fails the test on concurrent or post-terminal calls. */
    abstract static class Recording {
        final List<Object> events = Collections.synchronizedList(new ArrayList<>());
        final CountDownLatch ended = new CountDownLatch(1);
        final AtomicInteger terminals = new AtomicInteger();
        final AtomicInteger violations = new AtomicInteger();
        private final AtomicInteger inside = new AtomicInteger();
        volatile Thread lastThread;

        void record(final Object event, final boolean terminal) {
            if (inside.incrementAndGet() > 1 || terminals.get() > 0) {
                violations.incrementAndGet();
            }
            lastThread = Thread.currentThread();
            events.add(event);
            if (terminal) {
                terminals.incrementAndGet();
            }
            inside.decrementAndGet();
            if (terminal) {
                ended.countDown();
            }
        }

        boolean awaitEnd(final Duration limit) throws InterruptedException {
            return ended.await(limit.toMillis(), TimeUnit.MILLISECONDS);
        }

        ProviderFailure failure() throws InterruptedException {
            if (!awaitEnd(Duration.ofSeconds(10))) {
                throw new AssertionError("call did not end; events " + events);
            }
            final Object last = events.get(events.size() - 1);
            if (!(last instanceof ProviderFailure failure)) {
                throw new AssertionError("call did not fail: " + events);
            }
            return failure;
        }

        Completed completed() throws InterruptedException {
            if (!awaitEnd(Duration.ofSeconds(10))) {
                throw new AssertionError("call did not end; events " + events);
            }
            final Object last = events.get(events.size() - 1);
            if (!(last instanceof Completed completed)) {
                throw new AssertionError("call did not complete: " + events);
            }
            return completed;
        }

        <T> List<T> of(final Class<T> type) {
            synchronized (events) {
                return events.stream().filter(type::isInstance).map(type::cast).toList();
            }
        }
    }

    /** An {@code onComplete} call. */
    record Completed(Usage usage) {
    }

    /** An {@code onStart} call. */
    record Started(String contentType) {
    }

    /** A chat listener that records. */
    static final class Chat extends Recording implements ChatListener {
        private final Consumer<ChatChunk> onChunk;

        Chat() {
            this(chunk -> { });
        }

        Chat(final Consumer<ChatChunk> onChunk) {
            this.onChunk = onChunk;
        }

        @Override
        public void onChunk(final ChatChunk chunk) {
            record(chunk, false);
            onChunk.accept(chunk);
        }

        @Override
        public void onResponse(final ChatResponse response) {
            record(response, false);
        }

        @Override
        public void onComplete(final Usage usage) {
            record(new Completed(usage), true);
        }

        @Override
        public void onError(final ProviderFailure failure) {
            record(failure, true);
        }
    }

    /** A forward listener that records. */
    static final class Forward extends Recording implements ForwardListener {

        @Override
        public void onStart(final String contentType) {
            record(new Started(contentType), false);
        }

        @Override
        public void onBytes(final byte[] data) {
            record(data, false);
        }

        @Override
        public void onComplete(final Usage usage) {
            record(new Completed(usage), true);
        }

        @Override
        public void onError(final ProviderFailure failure) {
            record(failure, true);
        }

        String body() {
            final StringBuilder text = new StringBuilder();
            for (final byte[] piece : of(byte[].class)) {
                text.append(new String(piece, java.nio.charset.StandardCharsets.UTF_8));
            }
            return text.toString();
        }
    }
}
