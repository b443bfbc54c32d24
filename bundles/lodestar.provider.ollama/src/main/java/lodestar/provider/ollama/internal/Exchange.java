package lodestar.provider.ollama.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Function;
import lodestar.api.chat.Usage;
import lodestar.api.provider.ChatCall;
import lodestar.api.provider.FailureKind;
import lodestar.api.provider.ProviderFailure;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One call to Ollama in flight: sends the request, reads the answer on a reader thread, and
 * reports to its listener sequentially, ending with exactly one of complete or error.
 *
 * <p>Listener methods are called under a per-call lock, so they never run concurrently; events
 * racing with the end of the call (timeout, cancel, provider stop) are dropped once the call is
 * over. {@link #cancel()} never calls the listener and never blocks.
 */
abstract class Exchange implements ChatCall {

    private static final Logger LOG = LoggerFactory.getLogger(Exchange.class);

    /** Message of the failure reported to calls in flight when the provider stops. */
    static final String STOPPED = "provider stopped";

    private final ReentrantLock lock = new ReentrantLock();
    private final AtomicBoolean finished = new AtomicBoolean();
    private final Consumer<Exchange> onFinish;
    private volatile boolean outputStarted;
    private volatile CompletableFuture<?> future;
    private volatile InputStream body;
    private volatile ScheduledFuture<?> timer;

    /** The component's mapper. */
    final ObjectMapper mapper;
    /** The Ollama base URL, for messages. */
    final String baseUrl;
    /** The first-byte timeout of this call, for messages. */
    final Duration firstByteTimeout;

    Exchange(final Consumer<Exchange> onFinish, final ObjectMapper mapper, final String baseUrl,
            final Duration firstByteTimeout) {
        this.onFinish = onFinish;
        this.mapper = mapper;
        this.baseUrl = baseUrl;
        this.firstByteTimeout = firstByteTimeout;
    }

    /**
     * Sends the request and arms the total timeout.
     *
     * @param client the HTTP client
     * @param request the request (its timeout is the first-byte timeout)
     * @param readers where the answer is read
     * @param timers where the total timeout runs
     * @param totalTimeout the total timeout
     */
    final void start(final HttpClient client, final HttpRequest request, final Executor readers,
            final ScheduledExecutorService timers, final Duration totalTimeout) {
        try {
            final ScheduledFuture<?> scheduled = timers.schedule(() -> fail(
                    FailureKind.TIMEOUT, 0, "Ollama did not finish within the total timeout of "
                            + totalTimeout.toMillis() + " ms"), totalTimeout.toMillis(),
                    TimeUnit.MILLISECONDS);
            timer = scheduled;
            final CompletableFuture<HttpResponse<InputStream>> sent = client.sendAsync(request,
                    HttpResponse.BodyHandlers.ofInputStream());
            future = sent;
            sent.whenCompleteAsync(this::answered, readers);
            if (finished.get()) {
                abortExchange();
            }
        } catch (final RejectedExecutionException e) {
            fail(new ProviderFailure(FailureKind.CONNECTION, 0, STOPPED, null, false));
        }
    }

    private void answered(final HttpResponse<InputStream> response, final Throwable error) {
        if (error != null) {
            fail(Failures.ofException(error, baseUrl, firstByteTimeout, outputStarted));
            return;
        }
        final InputStream in = response.body();
        body = in;
        if (finished.get()) {
            closeQuietly(in);
            return;
        }
        try (in) {
            final int status = response.statusCode();
            if (status < 200 || status > 299) {
                final byte[] bytes = in.readNBytes(Failures.MAX_ERROR_BODY);
                fail(Failures.ofStatus(status, bytes,
                        response.headers().firstValue("Retry-After").orElse(null), mapper,
                        Instant.now()));
                return;
            }
            read(response, in);
        } catch (final LineReader.LineTooLongException e) {
            fail(FailureKind.PROTOCOL, response.statusCode(), e.getMessage());
        } catch (final IOException e) {
            fail(new ProviderFailure(FailureKind.CONNECTION, response.statusCode(),
                    "connection to Ollama broke: " + Failures.describe(e), null, outputStarted));
        } catch (final RuntimeException e) {
            LOG.warn("Unexpected failure reading the answer of Ollama at {}", baseUrl, e);
            fail(FailureKind.PROTOCOL, response.statusCode(),
                    "unexpected answer from Ollama: " + Failures.describe(e));
        }
    }

    /**
     * Reads a 2xx answer and reports it; ends the call.
     *
     * @param response the response
     * @param in its body
     * @throws IOException when reading fails
     */
    abstract void read(HttpResponse<InputStream> response, InputStream in) throws IOException;

    /** Reports success to the listener. */
    abstract void notifyComplete(Usage usage);

    /** Reports a failure to the listener. */
    abstract void notifyError(ProviderFailure failure);

    /**
     * Runs a non-final listener call, unless the call is over.
     *
     * @param event the listener call
     * @param output whether it delivers output
     * @return {@code false} when the call is over and reading should stop
     */
    final boolean deliver(final Runnable event, final boolean output) {
        lock.lock();
        try {
            if (finished.get()) {
                return false;
            }
            if (output) {
                outputStarted = true;
            }
            event.run();
            return !finished.get();
        } catch (final RuntimeException e) {
            LOG.warn("A listener of Ollama at {} failed; ending the call", baseUrl, e);
            fail(new ProviderFailure(FailureKind.CANCELLED, 0,
                    "listener failed: " + Failures.describe(e), null, outputStarted));
            return false;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Ends the call successfully, unless it is already over.
     *
     * @param usage the usage, or {@code null}
     */
    final void complete(final Usage usage) {
        if (!finished.compareAndSet(false, true)) {
            return;
        }
        release(false);
        lock.lock();
        try {
            notifyComplete(usage);
        } catch (final RuntimeException e) {
            LOG.warn("A listener of Ollama at {} failed in onComplete", baseUrl, e);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Ends the call with a failure, unless it is already over; aborts the exchange.
     *
     * @param failure the failure
     */
    final void fail(final ProviderFailure failure) {
        fail(started -> failure);
    }

    /**
     * Ends the call with a failure made under the listener lock, from whether output had
     * started by then (a delivery in progress on another thread has finished).
     */
    private void fail(final Function<Boolean, ProviderFailure> failure) {
        if (!finished.compareAndSet(false, true)) {
            return;
        }
        release(true);
        lock.lock();
        try {
            notifyError(failure.apply(outputStarted));
        } catch (final RuntimeException e) {
            LOG.warn("A listener of Ollama at {} failed in onError", baseUrl, e);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Ends the call with a failure that carries whether output had started.
     *
     * @param kind the kind
     * @param status the HTTP status, 0 when none
     * @param message the message
     */
    final void fail(final FailureKind kind, final int status, final String message) {
        fail(started -> new ProviderFailure(kind, status, message, null, started));
    }

    /** Ends the call because the provider stops: {@link FailureKind#CONNECTION}. */
    final void stop() {
        fail(FailureKind.CONNECTION, 0, STOPPED);
    }

    @Override
    public final void cancel() {
        if (finished.compareAndSet(false, true)) {
            release(true);
        }
    }

    /**
     * Whether the call is over (completed, failed or cancelled).
     *
     * @return {@code true} when over
     */
    final boolean isFinished() {
        return finished.get();
    }

    private void release(final boolean abort) {
        final ScheduledFuture<?> scheduled = timer;
        if (scheduled != null) {
            scheduled.cancel(false);
        }
        if (abort) {
            abortExchange();
        }
        onFinish.accept(this);
    }

    private void abortExchange() {
        final CompletableFuture<?> sent = future;
        if (sent != null) {
            sent.cancel(true);
        }
        final InputStream in = body;
        if (in != null) {
            closeQuietly(in);
        }
    }

    private static void closeQuietly(final InputStream in) {
        try {
            in.close();
        } catch (final IOException ignored) {
            // nothing more to do
        }
    }
}
