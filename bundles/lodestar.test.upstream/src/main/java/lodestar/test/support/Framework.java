package lodestar.test.support;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.servlet.runtime.HttpServiceRuntime;

/**
 * What the in-framework tests share: running a Gogo command, polling a condition until a
 * deadline, finding the HTTP endpoint.
 *
 * <p>Gogo ({@code org.apache.felix.service.command}) and the servlet runtime
 * ({@code org.osgi.service.servlet.runtime}) are optional imports: a framework without them
 * can still use the other methods.
 */
public final class Framework {

    /** How long {@link #endpoint(BundleContext)} waits for the HTTP endpoint. */
    public static final Duration ENDPOINT_TIMEOUT = Duration.ofSeconds(10);

    private static final long POLL_MILLIS = 50;

    private Framework() {
    }

    /** A condition polled by {@link #waitFor(Duration, String, Check)}. */
    @FunctionalInterface
    public interface Check {

        /**
         * Tests the condition once.
         *
         * @return {@code true} when it holds
         * @throws Exception when it cannot be tested yet; the wait goes on
         */
        boolean ok() throws Exception;
    }

    /**
     * Runs a Gogo command through the framework's {@link CommandProcessor}.
     *
     * @param context the bundle context of the test
     * @param command the command line, e.g. {@code lodestar:status}
     * @return what the command printed, followed by its result when it returned one
     * @throws Exception when the command fails
     * @throws AssertionError when no {@link CommandProcessor} is registered
     */
    public static String gogo(final BundleContext context, final String command)
            throws Exception {
        final ServiceReference<CommandProcessor> reference =
                context.getServiceReference(CommandProcessor.class);
        final CommandProcessor processor = reference == null ? null
                : context.getService(reference);
        if (processor == null) {
            throw new AssertionError("no Gogo CommandProcessor to run " + command);
        }
        try {
            return gogo(processor, command);
        } finally {
            context.ungetService(reference);
        }
    }

    /**
     * Runs a Gogo command in a new session of the given processor.
     *
     * @param processor the Gogo command processor
     * @param command the command line
     * @return what the command printed (out and err), followed by its result when it returned
     *         one
     * @throws Exception when the command fails
     */
    public static String gogo(final CommandProcessor processor, final String command)
            throws Exception {
        final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        final PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8);
        try (CommandSession session = processor.createSession(System.in, out, out)) {
            final Object result = session.execute(command);
            return buffer.toString(StandardCharsets.UTF_8) + (result == null ? "" : result);
        }
    }

    /**
     * Polls a condition every 50 ms until it holds or the timeout passes. An exception from
     * the check counts as "not yet"; the last one becomes the cause of the failure.
     *
     * @param timeout how long to wait
     * @param what what is awaited, for the failure message
     * @param check the condition
     * @throws InterruptedException when interrupted while waiting
     * @throws AssertionError when the condition does not hold in time ("timed out waiting for
     *         {@code what}")
     */
    public static void waitFor(final Duration timeout, final String what, final Check check)
            throws InterruptedException {
        final long deadline = System.nanoTime() + timeout.toNanos();
        Exception last = null;
        while (System.nanoTime() < deadline) {
            try {
                if (check.ok()) {
                    return;
                }
            } catch (final InterruptedException e) {
                throw e;
            } catch (final Exception e) {
                last = e;
            }
            Thread.sleep(POLL_MILLIS);
        }
        throw new AssertionError("timed out waiting for " + what, last);
    }

    /**
     * The base URL of the framework's HTTP endpoint, waiting up to {@link #ENDPOINT_TIMEOUT}
     * for it to appear.
     *
     * @param context the bundle context of the test
     * @return the first {@code osgi.http.endpoint} of the {@link HttpServiceRuntime}, without
     *         its trailing slash, e.g. {@code http://127.0.0.1:41234}
     * @throws InterruptedException when interrupted while waiting
     * @throws AssertionError when no endpoint with a bound port appears in time
     */
    public static String endpoint(final BundleContext context) throws InterruptedException {
        return endpoint(context, ENDPOINT_TIMEOUT);
    }

    /**
     * The base URL of the framework's HTTP endpoint, waiting for it to appear.
     *
     * @param context the bundle context of the test
     * @param timeout how long to wait
     * @return the first {@code osgi.http.endpoint} of the {@link HttpServiceRuntime}, without
     *         its trailing slash; an endpoint on port 0 (not bound yet) does not count
     * @throws InterruptedException when interrupted while waiting
     * @throws AssertionError when no endpoint with a bound port appears in time
     */
    public static String endpoint(final BundleContext context, final Duration timeout)
            throws InterruptedException {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            final ServiceReference<HttpServiceRuntime> reference =
                    context.getServiceReference(HttpServiceRuntime.class);
            if (reference != null) {
                final Object value = reference.getProperty("osgi.http.endpoint");
                final String text = value instanceof String[] a && a.length > 0 ? a[0]
                        : value instanceof String s ? s : null;
                if (text != null && !text.endsWith(":0/")) {
                    return text.endsWith("/") ? text.substring(0, text.length() - 1) : text;
                }
            }
            Thread.sleep(POLL_MILLIS);
        }
        throw new AssertionError("no HTTP endpoint within " + timeout.toMillis() + " ms");
    }
}
