package lodestar.provider.common;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Dictionary;
import java.util.List;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

/**
 * A bundle context that only records service registrations and what is done with them (the real
 * framework is exercised by the runtime's integration tests). Every {@code unregister} throws
 * {@link IllegalStateException}, as the framework does for a registration already gone with its
 * bundle, which a component must tolerate.
 */
public final class RecordingContext {

    /** {@code registerService <class>}, {@code setProperties}, {@code unregister}, in order. */
    public final List<String> calls = Collections.synchronizedList(new ArrayList<>());
    /** The properties of each registration and of each {@code setProperties}, in order. */
    public final List<Dictionary<?, ?>> properties =
            Collections.synchronizedList(new ArrayList<>());
    /** How many registrations succeed before the next throws (the bundle stops meanwhile). */
    public volatile int registrationsAllowed = Integer.MAX_VALUE;
    private int registrations;

    /**
     * The context.
     *
     * @return a context recording into this object
     */
    public BundleContext context() {
        final ClassLoader loader = getClass().getClassLoader();
        final ServiceRegistration<?> registration = (ServiceRegistration<?>) Proxy
                .newProxyInstance(loader, new Class<?>[] {ServiceRegistration.class},
                        (proxy, method, args) -> {
                            calls.add(method.getName());
                            if ("setProperties".equals(method.getName())) {
                                properties.add((Dictionary<?, ?>) args[0]);
                            }
                            if ("unregister".equals(method.getName())) {
                                throw new IllegalStateException("already unregistered");
                            }
                            return null;
                        });
        return (BundleContext) Proxy.newProxyInstance(loader,
                new Class<?>[] {BundleContext.class}, (proxy, method, args) -> {
                    if ("registerService".equals(method.getName())) {
                        synchronized (this) {
                            if (registrations++ >= registrationsAllowed) {
                                throw new IllegalStateException("bundle is stopping");
                            }
                        }
                        calls.add("registerService " + ((Class<?>) args[0]).getName());
                        properties.add((Dictionary<?, ?>) args[2]);
                        return registration;
                    }
                    return null;
                });
    }

    /**
     * A context of a stopping bundle: every call throws.
     *
     * @param message the exception's message
     * @return the context
     */
    public static BundleContext refusing(final String message) {
        return (BundleContext) Proxy.newProxyInstance(RecordingContext.class.getClassLoader(),
                new Class<?>[] {BundleContext.class}, (proxy, method, args) -> {
                    throw new IllegalStateException(message);
                });
    }
}
