package lodestar.provider.common;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import lodestar.api.provider.ChatCall;
import lodestar.api.provider.FailureKind;
import lodestar.api.provider.ProviderFailure;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One upstream call in flight: its HTTP exchange, its timers and its listener. It is the Jetty
 * response listener of its exchange: the answer is read, parsed and delivered on the HTTP
 * client's thread that received it, without a hand-off to another thread.
 *
 * <p>Listener methods are called under one lock, so never concurrently, and only while the call
 * is not finished. The first of completion, failure, timeout, stop or {@link #cancel()} finishes
 * the call; only the first three produce a terminal listener call, exactly once. A failure, a
 * timeout, a stop or a cancellation aborts the HTTP exchange; a call that ends normally before
 * the exchange did (the end event of a stream) lets it complete so that the connection is
 * reused.
 *
 * <p>Jetty calls the response callbacks of one exchange one at a time, so the response state
 * (status, body buffers, parsers of subclasses) needs no lock.
 *
 * <p>What differs between providers is given to the constructor: how messages are made safe
 * and how an error body is read.
 *
 * @param <S> the settings type of the provider
 */
public abstract class Exchange<S extends ProviderSettings> implements ChatCall,
        Response.Listener {

    private static final Logger LOG = LoggerFactory.getLogger(Exchange.class);

    /** The settings in force when the call started. */
    protected final S settings;
    /** JSON mapper of the provider. */
    protected final ObjectMapper mapper;
    /** Clock, for {@code Retry-After} dates. */
    protected final Clock clock;
    /** Whether the answer is a stream. */
    protected final boolean stream;

    private final AtomicBoolean finished = new AtomicBoolean();
    private final Object listenerLock = new Object();
    private volatile Request request;
    private volatile Scheduler.Task deadline;
    private volatile Scheduler.Task firstByteTimer;
    private volatile Runnable onEnd = () -> { };
    private volatile boolean outputStarted;
    private final Redactor redactor;
    private final HttpErrorReader httpErrors;
    private Response response;
    private Body errorBody;

    /**
     * A call about to start.
     *
     * @param settings the settings in force
     * @param mapper JSON mapper of the provider
     * @param clock clock, for {@code Retry-After} dates
     * @param stream whether the answer is a stream
     * @param redactor makes failure messages safe
     * @param httpErrors reads the error body of a non-2xx answer
     */
    protected Exchange(final S settings, final ObjectMapper mapper, final Clock clock,
            final boolean stream, final Redactor redactor, final HttpErrorReader httpErrors) {
        this.settings = settings;
        this.mapper = mapper;
        this.clock = clock;
        this.stream = stream;
        this.redactor = redactor;
        this.httpErrors = httpErrors;
    }

    /** Reads the error body of a non-2xx answer into a failure. */
    @FunctionalInterface
    public interface HttpErrorReader {

        /**
         * A failure for a non-2xx answer.
         *
         * @param mapper JSON mapper
         * @param status the HTTP status
         * @param body the start of the error body
         * @param header the response headers: first value by case-insensitive name, or
         *     {@code null}; for {@code Retry-After}
         * @param now the current time, for an HTTP-date {@code Retry-After}
         * @param secret the API key, removed from the message
         * @return the failure, {@code outputStarted} false
         */
        ProviderFailure read(ObjectMapper mapper, int status, byte[] body,
                Function<String, String> header, Instant now, String secret);
    }

    @Override
    public final void cancel() {
        if (finished.compareAndSet(false, true)) {
            release(true);
        }
    }

    /**
     * Whether the answer is a stream.
     *
     * @return {@code true} for a streamed call
     */
    public final boolean isStream() {
        return stream;
    }

    /**
     * Whether the call is over (completed, failed or cancelled).
     *
     * @return {@code true} once finished
     */
    public final boolean isFinished() {
        return finished.get();
    }

    /**
     * Whether output reached the listener.
     *
     * @return {@code true} after the first chunk or bytes
     */
    public final boolean outputStarted() {
        return outputStarted;
    }

    /** Records that output reached the listener. */
    public final void markOutputStarted() {
        outputStarted = true;
    }

    /**
     * Sets what to do when the call ends, whichever way.
     *
     * @param action run once, when the call is finished
     */
    public final void onEnd(final Runnable action) {
        onEnd = action;
    }

    /**
     * Attaches the HTTP request, to abort it when the call ends early.
     *
     * @param sent the request
     */
    public final void attachRequest(final Request sent) {
        request = sent;
        if (finished.get()) {
            abort(sent);
        }
    }

    /**
     * Attaches the total deadline timer, cancelled when the call ends early.
     *
     * @param task the timer
     */
    public final void attachDeadline(final Scheduler.Task task) {
        deadline = task;
        if (finished.get()) {
            task.cancel();
        }
    }

    /**
     * Attaches the first-byte timer, cancelled when the headers arrive or the call ends.
     *
     * @param task the timer
     */
    public final void attachFirstByteTimer(final Scheduler.Task task) {
        firstByteTimer = task;
        if (finished.get()) {
            task.cancel();
        }
    }

    /**
     * The total deadline passed: fails the call, or aborts an exchange that outlived its call.
     *
     * @param message the failure message
     */
    public final void expire(final String message) {
        if (finished.get()) {
            abort(request);
        } else {
            fail(FailureKind.TIMEOUT, 0, message);
        }
    }

    /**
     * Calls a non-terminal listener method unless the call is finished, and records that output
     * reached the listener: under the listener lock, so a failure ending the call at the same
     * time reports {@code outputStarted} exactly as the listener saw it (the router must not
     * fail over once the client has output).
     *
     * @param action the listener call
     * @return {@code false} when the call was already finished
     */
    public final boolean deliver(final Runnable action) {
        synchronized (listenerLock) {
            if (finished.get()) {
                return false;
            }
            outputStarted = true;
            invoke(action);
            return true;
        }
    }

    /**
     * Finishes the call successfully with a terminal listener method, unless it is already
     * finished. The HTTP exchange is left to complete.
     *
     * @param terminal the listener call ({@code onComplete})
     */
    public final void finish(final Runnable terminal) {
        end(terminal, false);
    }

    /**
     * Finishes the call with a failure, unless it is already finished; aborts the exchange.
     *
     * @param failure the failure
     */
    public final void fail(final ProviderFailure failure) {
        end(() -> error(failure), true);
    }

    /**
     * Finishes the call with a failure; {@code outputStarted} is taken from the call.
     *
     * @param kind the kind
     * @param status the HTTP status, 0 when none
     * @param message the message (made safe here)
     */
    public final void fail(final FailureKind kind, final int status, final String message) {
        final String safe = redactor.sanitize(message, settings.apiKey());
        // outputStarted is read when the failure is delivered, under the listener lock, after
        // any delivery in progress
        end(() -> error(new ProviderFailure(kind, status, safe, null, outputStarted)), true);
    }

    private void end(final Runnable terminal, final boolean abort) {
        if (!finished.compareAndSet(false, true)) {
            return;
        }
        release(abort);
        synchronized (listenerLock) {
            invoke(terminal);
        }
    }

    /**
     * The HTTP status of the answer.
     *
     * @return the status, 0 before the response headers arrived
     */
    public final int status() {
        final Response current = response;
        return current == null ? 0 : current.getStatus();
    }

    /**
     * Reports a failure to the listener.
     *
     * @param failure the failure
     */
    protected abstract void error(ProviderFailure failure);

    /**
     * The headers of a successful (2xx) answer arrived.
     *
     * @param contentType the {@code Content-Type}, or {@code null}
     * @param contentLength the {@code Content-Length}, or -1 when unknown
     * @throws IOException when the answer cannot be handled
     */
    protected abstract void begin(String contentType, long contentLength) throws IOException;

    /**
     * Bytes of a successful answer arrived.
     *
     * @param bytes the bytes, valid only during the call
     * @throws IOException when they cannot be handled
     */
    protected abstract void content(ByteBuffer bytes) throws IOException;

    /**
     * A successful answer ended (the call is not finished yet).
     *
     * @throws IOException when it cannot be handled
     */
    protected abstract void complete() throws IOException;

    @Override
    public final void onHeaders(final Response answer) {
        cancelTask(firstByteTimer);
        if (finished.get()) {
            return;
        }
        response = answer;
        final int status = answer.getStatus();
        if (status < 200 || status > 299) {
            errorBody = new Body(UpstreamFailures.ERROR_BODY_LIMIT, -1);
            return;
        }
        guard(() -> begin(answer.getHeaders().get(HttpHeader.CONTENT_TYPE),
                answer.getHeaders().getLongField(HttpHeader.CONTENT_LENGTH)));
    }

    @Override
    public final void onContent(final Response answer, final ByteBuffer bytes) {
        if (finished.get()) {
            return;
        }
        if (errorBody != null) {
            if (!errorBody.append(bytes)) {
                failHttp();
            }
            return;
        }
        guard(() -> content(bytes));
    }

    @Override
    public final void onComplete(final Result result) {
        cancelTask(firstByteTimer);
        cancelTask(deadline);
        if (finished.get()) {
            return;
        }
        if (result.isFailed()) {
            fail(UpstreamFailures.ofThrowable(result.getFailure(), settings, outputStarted,
                    redactor));
        } else if (errorBody != null) {
            failHttp();
        } else {
            guard(this::complete);
        }
    }

    private void failHttp() {
        final Response answer = response;
        fail(httpErrors.read(mapper, answer.getStatus(), errorBody.toByteArray(),
                answer.getHeaders()::get, clock.instant(), settings.apiKey()));
    }

    /** A step of reading the answer. */
    @FunctionalInterface
    private interface Step {
        void run() throws IOException;
    }

    private void guard(final Step step) {
        try {
            step.run();
        } catch (final JsonProcessingException e) {
            fail(FailureKind.PROTOCOL, status(), "invalid JSON from upstream: "
                    + e.getOriginalMessage());
        } catch (final IOException | RuntimeException e) {
            fail(UpstreamFailures.ofThrowable(e, settings, outputStarted, redactor));
        }
    }

    /** Stops the timers, aborts the HTTP exchange when asked, and forgets the call. */
    private void release(final boolean abort) {
        cancelTask(firstByteTimer);
        if (abort) {
            cancelTask(deadline);
            abort(request);
        }
        onEnd.run();
    }

    private static void abort(final Request sent) {
        if (sent != null) {
            sent.abort(new CallEnded());
        }
    }

    private static void cancelTask(final Scheduler.Task task) {
        if (task != null) {
            task.cancel();
        }
    }

    private void invoke(final Runnable action) {
        try {
            action.run();
        } catch (final RuntimeException e) {
            LOG.warn("provider {}: listener failed", settings.id(), e);
        }
    }

    /**
     * Whether a content type is a server-sent event stream (or absent).
     *
     * @param contentType the header value, or {@code null}
     * @return {@code true} for {@code text/event-stream}
     */
    public static boolean isEventStream(final String contentType) {
        return contentType == null || contentType.isBlank() || contentType.trim()
                .toLowerCase(Locale.ROOT).startsWith("text/event-stream");
    }

    /** The cause given to Jetty when a call aborts its exchange; no stack trace. */
    public static final class CallEnded extends RuntimeException {
        private static final long serialVersionUID = 1L;

        CallEnded() {
            super("call ended", null, false, false);
        }
    }

    /** Bytes collected up to a limit. */
    public static final class Body {
        private static final int INITIAL = 8 * 1024;
        private static final int LARGEST_INITIAL = 1024 * 1024;

        private final int limit;
        private byte[] bytes;
        private int size;

        /**
         * An empty body.
         *
         * @param limit the most bytes kept
         * @param expected the announced length, or -1 when unknown
         */
        public Body(final int limit, final long expected) {
            this.limit = limit;
            final long initial = expected > 0 ? expected : INITIAL;
            this.bytes = new byte[(int) Math.min(initial, Math.min(limit, LARGEST_INITIAL))];
        }

        /**
         * Appends bytes, up to the limit.
         *
         * @param more the bytes; consumed
         * @return {@code false} when bytes beyond the limit arrived (they are dropped)
         */
        public boolean append(final ByteBuffer more) {
            final int n = Math.min(more.remaining(), limit - size);
            if (size + n > bytes.length) {
                bytes = Arrays.copyOf(bytes, (int) Math.min(limit,
                        Math.max((long) size + n, 2L * bytes.length)));
            }
            more.get(bytes, size, n);
            size += n;
            final boolean fits = !more.hasRemaining();
            more.position(more.limit());
            return fits;
        }

        /**
         * How many bytes are kept.
         *
         * @return the size
         */
        public int size() {
            return size;
        }

        /**
         * The buffer holding the bytes, valid up to {@link #size()}.
         *
         * @return the buffer, not a copy
         */
        public byte[] array() {
            return bytes;
        }

        /**
         * A copy of the bytes.
         *
         * @return the bytes
         */
        public byte[] toByteArray() {
            return Arrays.copyOf(bytes, size);
        }
    }
}
