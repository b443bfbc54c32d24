package lodestar.runtime.internal;

import java.time.Duration;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.launch.Framework;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops the OSGi framework in an orderly way when the JVM is asked to exit (Ctrl-C, SIGTERM):
 * every bundle is stopped, components deactivate, Jetty closes its port and the shell token is
 * removed, within {@link #STOP_TIMEOUT}. The launcher alone would let the JVM exit under the
 * running bundles.
 */
@Component(service = {}, immediate = true)
public final class ShutdownHook {

    /** Longest wait for the framework to stop. */
    static final Duration STOP_TIMEOUT = Duration.ofSeconds(4);
    private static final Logger LOG = LoggerFactory.getLogger(ShutdownHook.class);

    private final Thread hook;

    /**
     * Registers the JVM shutdown hook.
     *
     * @param context the bundle context, for the system bundle
     */
    @Activate
    public ShutdownHook(final BundleContext context) {
        final Bundle system = context.getBundle(Constants.SYSTEM_BUNDLE_LOCATION);
        this.hook = new Thread(() -> stopFramework(system), "lodestar-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** Removes the hook: the framework is stopping by other means (or this bundle is). */
    @Deactivate
    void deactivate() {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (final IllegalStateException e) {
            // the JVM is already shutting down: the hook is running, which is what stops us
            LOG.debug("JVM shutdown in progress");
        }
    }

    static void stopFramework(final Bundle system) {
        final long start = System.nanoTime();
        LOG.info("Shutdown requested: stopping Lodestar");
        try {
            system.stop();
            if (system instanceof Framework framework) {
                final FrameworkEvent event = framework.waitForStop(STOP_TIMEOUT.toMillis());
                if (event.getType() == FrameworkEvent.WAIT_TIMEDOUT) {
                    LOG.warn("Framework did not stop within {} ms; exiting anyway",
                            STOP_TIMEOUT.toMillis());
                    return;
                }
            }
            System.err.printf("Lodestar stopped in %d ms%n",
                    (System.nanoTime() - start) / 1_000_000);
        } catch (final BundleException | IllegalStateException e) {
            System.err.println("Lodestar stop failed: " + e.getMessage());
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
