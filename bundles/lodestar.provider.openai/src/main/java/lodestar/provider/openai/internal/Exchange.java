package lodestar.provider.openai.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import lodestar.api.provider.ChatCall;
import lodestar.api.provider.FailureKind;
import lodestar.api.provider.ProviderFailure;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One upstream call in flight: its HTTP exchange, its deadline and its listener.
 *
 * <p>Listener methods are called under one lock, so never concurrently, and only while the call
 * is not finished. The first of completion, failure, timeout, stop or {@link #cancel()} finishes
 * the call; only the first three produce a terminal listener call, exactly once. Finishing
 * releases the HTTP exchange (the pending response is cancelled, the body stream closed).
 */
abstract class Exchange implements ChatCall {

    private static final Logger LOG = LoggerFactory.getLogger(Exchange.class);

    /** The settings in force when the call started. */
    protected final Settings settings;
    /** JSON mapper of the provider. */
    protected final ObjectMapper mapper;
    /** Clock, for {@code Retry-After} dates. */
    protected final Clock clock;
    /** Whether the answer is a stream. */
    protected final boolean stream;

    private final AtomicBoolean finished = new AtomicBoolean();
    private final Object listenerLock = new Object();
    private volatile Future<?> pending;
    private volatile InputStream body;
    private volatile Future<?> deadline;
    private volatile Runnable onEnd = () -> { };
    private volatile boolean outputStarted;
    private volatile Duration firstByteTimeout;

    Exchange(final Settings settings, final ObjectMapper mapper, final Clock clock,
            final boolean stream) {
        this.settings = settings;
        this.mapper = mapper;
        this.clock = clock;
        this.stream = stream;
        this.firstByteTimeout = settings.firstByteTimeout();
    }

    @Override
    public final void cancel() {
        if (finished.compareAndSet(false, true)) {
            release();
        }
    }

    /**
     * Whether the call is over (completed, failed or cancelled).
     *
     * @return {@code true} once finished
     */
    final boolean isFinished() {
        return finished.get();
    }

    /**
     * Whether output reached the listener.
     *
     * @return {@code true} after the first chunk or bytes
     */
    final boolean outputStarted() {
        return outputStarted;
    }

    /** Records that output reached the listener. */
    final void markOutputStarted() {
        outputStarted = true;
    }

    final void firstByteTimeout(final Duration timeout) {
        firstByteTimeout = timeout;
    }

    final void onEnd(final Runnable action) {
        onEnd = action;
    }

    final void attachPending(final Future<?> future) {
        pending = future;
        if (finished.get()) {
            future.cancel(true);
        }
    }

    final void attachDeadline(final Future<?> future) {
        deadline = future;
        if (finished.get()) {
            future.cancel(false);
        }
    }

    /**
     * Calls a non-terminal listener method unless the call is finished.
     *
     * @param action the listener call
     * @return {@code false} when the call was already finished
     */
    final boolean deliver(final Runnable action) {
        synchronized (listenerLock) {
            if (finished.get()) {
                return false;
            }
            invoke(action);
            return true;
        }
    }

    /**
     * Finishes the call with a terminal listener method, unless it is already finished.
     *
     * @param terminal the listener call ({@code onComplete} or {@code onError})
     */
    final void finish(final Runnable terminal) {
        if (!finished.compareAndSet(false, true)) {
            return;
        }
        release();
        synchronized (listenerLock) {
            invoke(terminal);
        }
    }

    /**
     * Finishes the call with a failure.
     *
     * @param failure the failure
     */
    final void fail(final ProviderFailure failure) {
        finish(() -> error(failure));
    }

    /**
     * Finishes the call with a failure; {@code outputStarted} is taken from the call.
     *
     * @param kind the kind
     * @param status the HTTP status, 0 when none
     * @param message the message (made safe here)
     */
    final void fail(final FailureKind kind, final int status, final String message) {
        fail(new ProviderFailure(kind, status, Failures.sanitize(message, settings.apiKey()),
                null, outputStarted));
    }

    /**
     * Reports a failure to the listener.
     *
     * @param failure the failure
     */
    protected abstract void error(ProviderFailure failure);

    /**
     * Reads a successful (2xx) answer and finishes the call.
     *
     * @param response the response
     * @param in its body
     * @throws IOException when reading or parsing fails
     */
    protected abstract void success(HttpResponse<InputStream> response, InputStream in)
            throws IOException;

    /**
     * Handles the response once its headers arrived; runs on a provider I/O thread and blocks
     * while reading the body.
     *
     * @param response the response
     */
    final void handle(final HttpResponse<InputStream> response) {
        final InputStream in = response.body();
        try {
            body = in;
            if (finished.get()) {
                return;
            }
            final int status = response.statusCode();
            if (status < 200 || status > 299) {
                final byte[] bytes = readUpTo(in, Failures.ERROR_BODY_LIMIT);
                fail(Failures.httpError(mapper, status, bytes, response.headers(),
                        clock.instant(), settings.apiKey()));
                return;
            }
            success(response, in);
        } catch (final JsonProcessingException e) {
            fail(FailureKind.PROTOCOL, response.statusCode(),
                    "invalid JSON from upstream: " + e.getOriginalMessage());
        } catch (final IOException | RuntimeException e) {
            if (!finished.get()) {
                fail(Failures.ofThrowable(e, settings, firstByteTimeout, outputStarted));
            }
        } finally {
            closeQuietly(in);
        }
    }

    /** Aborts the HTTP exchange and forgets the call. */
    private void release() {
        final Future<?> future = pending;
        if (future != null) {
            future.cancel(true);
        }
        final Future<?> timer = deadline;
        if (timer != null) {
            timer.cancel(false);
        }
        final InputStream in = body;
        if (in != null) {
            // unblocks a reader waiting for data (it then sees the call finished); the reading
            // thread is deliberately not interrupted: it may be running listener code
            closeQuietly(in);
        }
        onEnd.run();
    }

    private void invoke(final Runnable action) {
        try {
            action.run();
        } catch (final RuntimeException e) {
            LOG.warn("provider {}: listener failed", settings.id(), e);
        }
    }

    /**
     * Reads at most {@code limit} bytes.
     *
     * @param in the stream
     * @param limit the most bytes to read
     * @return the bytes read
     * @throws IOException when reading fails
     */
    static byte[] readUpTo(final InputStream in, final int limit) throws IOException {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final byte[] buffer = new byte[8192];
        int n;
        while (out.size() < limit
                && (n = in.read(buffer, 0, Math.min(buffer.length, limit - out.size()))) >= 0) {
            out.write(buffer, 0, n);
        }
        return out.toByteArray();
    }

    /**
     * Whether a content type is a server-sent event stream (or absent).
     *
     * @param contentType the header value, or {@code null}
     * @return {@code true} for {@code text/event-stream}
     */
    static boolean isEventStream(final String contentType) {
        return contentType == null || contentType.isBlank() || contentType.trim()
                .toLowerCase(Locale.ROOT).startsWith("text/event-stream");
    }

    static void closeQuietly(final InputStream in) {
        try {
            in.close();
        } catch (final IOException | RuntimeException ignored) {
            // nothing to do: the exchange is over
        }
    }
}
