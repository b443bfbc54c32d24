package lodestar.runtime.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.BundleException;
import org.osgi.framework.BundleListener;
import org.osgi.framework.Constants;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Switches modules on and off from {@code config/lodestar.modules.cfg} (PID
 * {@code lodestar.modules}), live: disabling a module stops its bundles, enabling it starts the
 * bundles this manager stopped, and a bundle of a disabled module that starts later (for example
 * one dropped into {@code deploy/}) is stopped again. Bundle operations run on a single worker
 * thread, never on the configuration or event thread.
 */
@Component(service = ModuleManager.class, configurationPid = ModuleManager.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL, immediate = true)
public final class ModuleManager implements BundleListener {

    /** The configuration PID. */
    static final String PID = "lodestar.modules";
    private static final Logger LOG = LoggerFactory.getLogger(ModuleManager.class);

    private final BundleContext context;
    private final AtomicReference<ModuleTable> table = new AtomicReference<>();
    private final Set<Long> stoppedByUs = ConcurrentHashMap.newKeySet();
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        final Thread thread = new Thread(r, "lodestar-modules");
        thread.setDaemon(true);
        return thread;
    });

    /**
     * Activates and applies the configuration.
     *
     * @param context the bundle context
     * @param properties the configuration
     */
    @Activate
    public ModuleManager(final BundleContext context, final Map<String, Object> properties) {
        this.context = context;
        context.addBundleListener(this);
        update(properties);
    }

    /**
     * Applies a changed configuration.
     *
     * @param properties the new configuration
     */
    @Modified
    void update(final Map<String, Object> properties) {
        final ModuleTable next = ModuleTable.from(properties, table.get());
        final String source = ConfigReport.source(properties, PID);
        for (final String problem : next.problems()) {
            LOG.error("Invalid configuration in {}: {}", source, problem);
        }
        final ModuleTable previous = table.getAndSet(next);
        for (final ModuleTable.Module module : next.modules()) {
            final boolean was = previous == null
                    || previous.module(module.name()).map(ModuleTable.Module::enabled).orElse(true);
            if (was != module.enabled()) {
                LOG.info("Module '{}' {} (from {})", module.name(),
                        module.enabled() ? "enabled" : "disabled", source);
            }
        }
        worker.execute(this::reconcile);
    }

    /** Stops the worker; bundles keep the state they have. */
    @Deactivate
    void deactivate() {
        context.removeBundleListener(this);
        worker.shutdownNow();
        try {
            worker.awaitTermination(2, TimeUnit.SECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void bundleChanged(final BundleEvent event) {
        final int type = event.getType();
        if (type == BundleEvent.STARTED || type == BundleEvent.INSTALLED
                || type == BundleEvent.RESOLVED || type == BundleEvent.UNINSTALLED) {
            if (type == BundleEvent.UNINSTALLED) {
                stoppedByUs.remove(event.getBundle().getBundleId());
            }
            if (!worker.isShutdown()) {
                worker.execute(this::reconcile);
            }
        }
    }

    /** Brings every module's bundles to the state its configuration asks for. */
    void reconcile() {
        final ModuleTable current = table.get();
        for (final Bundle bundle : context.getBundles()) {
            final Optional<ModuleTable.Module> module = current.moduleOf(
                    bundle.getSymbolicName());
            if (module.isEmpty() || isFragment(bundle)) {
                continue;
            }
            final int state = bundle.getState();
            try {
                if (!module.get().enabled()
                        && (state == Bundle.ACTIVE || state == Bundle.STARTING)) {
                    bundle.stop();
                    stoppedByUs.add(bundle.getBundleId());
                    LOG.info("Stopped {} (module '{}' is disabled)", bundle.getSymbolicName(),
                            module.get().name());
                } else if (module.get().enabled() && stoppedByUs.contains(bundle.getBundleId())
                        && state != Bundle.ACTIVE && state != Bundle.UNINSTALLED) {
                    bundle.start();
                    stoppedByUs.remove(bundle.getBundleId());
                    LOG.info("Started {} (module '{}' is enabled)", bundle.getSymbolicName(),
                            module.get().name());
                }
            } catch (final BundleException | IllegalStateException e) {
                LOG.error("Could not change {} for module '{}': {}", bundle.getSymbolicName(),
                        module.get().name(), e.getMessage());
            }
        }
    }

    private static boolean isFragment(final Bundle bundle) {
        return bundle.getHeaders("").get(Constants.FRAGMENT_HOST) != null;
    }

    /**
     * The modules with their bundles and status, for reports.
     *
     * @return one view per module
     */
    public List<ModuleView> modules() {
        final ModuleTable current = table.get();
        final List<ModuleView> views = new ArrayList<>();
        for (final ModuleTable.Module module : current.modules()) {
            final List<BundleView> bundles = new ArrayList<>();
            for (final Bundle bundle : context.getBundles()) {
                if (current.moduleOf(bundle.getSymbolicName())
                        .filter(m -> m.name().equals(module.name())).isPresent()) {
                    bundles.add(BundleView.of(bundle, module.name()));
                }
            }
            final String status;
            if (bundles.isEmpty()) {
                status = "missing";
            } else {
                status = module.enabled() ? "enabled" : "disabled";
            }
            views.add(new ModuleView(module.name(), module.enabled(), status, bundles));
        }
        return views;
    }

    /**
     * The module a bundle belongs to.
     *
     * @param symbolicName the bundle symbolic name
     * @return the module name, or {@code null}
     */
    String moduleOf(final String symbolicName) {
        return table.get().moduleOf(symbolicName).map(ModuleTable.Module::name).orElse(null);
    }

    /**
     * A module as reported.
     *
     * @param name the module name
     * @param enabled whether it is switched on
     * @param status {@code enabled}, {@code disabled} or {@code missing} (no bundle installed)
     * @param bundles its installed bundles
     */
    public record ModuleView(String name, boolean enabled, String status,
            List<BundleView> bundles) {
    }
}
