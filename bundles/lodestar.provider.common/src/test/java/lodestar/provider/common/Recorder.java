package lodestar.provider.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import lodestar.api.chat.ChatChunk;
import lodestar.api.chat.ChatResponse;
import lodestar.api.chat.Usage;
import lodestar.api.provider.ChatListener;
import lodestar.api.provider.ForwardListener;
import lodestar.api.provider.ProviderFailure;

/**
 * Records what a provider tells a listener, and checks the listener contract on the way. Shared
 * by the provider bundles' tests (test-jar).
 */
public final class Recorder implements ChatListener, ForwardListener {

    /** Marks a completion without usage. */
    private static final Object NO_USAGE = new Object();

    public final List<ChatChunk> chunks = new CopyOnWriteArrayList<>();
    public final List<ChatResponse> responses = new CopyOnWriteArrayList<>();
    public final List<byte[]> pieces = new CopyOnWriteArrayList<>();
    public final List<String> contentTypes = new CopyOnWriteArrayList<>();
    public final CountDownLatch firstOutput = new CountDownLatch(1);
    public final AtomicInteger terminals = new AtomicInteger();
    public final AtomicInteger callsAfterEnd = new AtomicInteger();
    public final AtomicInteger overlapping = new AtomicInteger();
    private final CompletableFuture<Object> end = new CompletableFuture<>();
    private final AtomicBoolean busy = new AtomicBoolean();
    private volatile boolean ended;
    private volatile Consumer<ChatChunk> onChunk = chunk -> { };

    public Recorder onChunk(final Consumer<ChatChunk> action) {
        onChunk = action;
        return this;
    }

    private void enter() {
        if (!busy.compareAndSet(false, true)) {
            overlapping.incrementAndGet();
        }
        if (ended) {
            callsAfterEnd.incrementAndGet();
        }
    }

    private void leave() {
        busy.set(false);
    }

    @Override
    public void onChunk(final ChatChunk chunk) {
        enter();
        try {
            chunks.add(chunk);
            firstOutput.countDown();
            onChunk.accept(chunk);
        } finally {
            leave();
        }
    }

    @Override
    public void onResponse(final ChatResponse response) {
        enter();
        responses.add(response);
        firstOutput.countDown();
        leave();
    }

    @Override
    public void onStart(final String contentType) {
        enter();
        contentTypes.add(contentType);
        leave();
    }

    @Override
    public void onBytes(final byte[] data) {
        enter();
        pieces.add(data);
        firstOutput.countDown();
        leave();
    }

    @Override
    public void onComplete(final Usage usage) {
        enter();
        terminals.incrementAndGet();
        ended = true;
        end.complete(usage == null ? NO_USAGE : usage);
        leave();
    }

    @Override
    public void onError(final ProviderFailure failure) {
        enter();
        terminals.incrementAndGet();
        ended = true;
        end.complete(failure);
        leave();
    }

    /**
     * Waits for a successful end.
     *
     * @return the usage, or {@code null}
     */
    public Usage usage() {
        final Object outcome = await();
        assertThat(outcome).as("expected completion, got %s", outcome)
                .isNotInstanceOf(ProviderFailure.class);
        return outcome == NO_USAGE ? null : (Usage) outcome;
    }

    /**
     * Waits for a failure.
     *
     * @return the failure
     */
    public ProviderFailure failure() {
        final Object outcome = await();
        assertThat(outcome).as("expected failure, got %s", outcome)
                .isInstanceOf(ProviderFailure.class);
        return (ProviderFailure) outcome;
    }

    /** Waits for the end, whatever it is. */
    public void failureOrUsage() {
        await();
    }

    public boolean ended() {
        return ended;
    }

    private Object await() {
        try {
            return end.get(10, TimeUnit.SECONDS);
        } catch (final Exception e) {
            throw new AssertionError("listener not ended within 10 s", e);
        }
    }

    public String text() {
        final StringBuilder text = new StringBuilder();
        for (final ChatChunk chunk : chunks) {
            for (final ChatChunk.ChunkChoice choice : chunk.choices()) {
                if (choice.delta() != null) {
                    text.append(choice.delta().text());
                }
            }
        }
        return text.toString();
    }

    public String bytes() {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        pieces.forEach(out::writeBytes);
        return out.toString(StandardCharsets.UTF_8);
    }

    /** Asserts the contract: one terminal call, nothing after it, never two at once. */
    public void assertContract() {
        assertThat(terminals.get()).as("terminal calls").isEqualTo(1);
        assertThat(callsAfterEnd.get()).as("calls after the terminal one").isZero();
        assertThat(overlapping.get()).as("overlapping listener calls").isZero();
    }
}
