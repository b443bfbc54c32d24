package lodestar.runtime.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import lodestar.api.health.HealthContributor;
import lodestar.api.health.HealthResult;
import lodestar.api.health.Severity;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.service.component.runtime.dto.ReferenceDTO;
import org.osgi.service.component.runtime.dto.UnsatisfiedReferenceDTO;
import org.osgi.service.servlet.runtime.HttpServiceRuntime;
import org.osgi.service.servlet.runtime.HttpServiceRuntimeConstants;

/**
 * Builds the runtime report that {@code /health} and {@code lodestar:status} show: identity,
 * folders, HTTP address, Lodestar bundles, modules, components and health checks.
 */
@Component(service = RuntimeReporter.class)
public final class RuntimeReporter {

    /** Longest wait for one health contributor. */
    static final Duration CHECK_TIMEOUT = Duration.ofSeconds(2);

    private final BundleContext context;
    private final RuntimeState state;
    private final ModuleManager modules;
    private final List<HealthContributor> contributors = new CopyOnWriteArrayList<>();
    private volatile ServiceComponentRuntime scr;
    private volatile ServiceReference<HttpServiceRuntime> http;
    private final ExecutorService checks = Executors.newCachedThreadPool(r -> {
        final Thread thread = new Thread(r, "lodestar-health-check");
        thread.setDaemon(true);
        return thread;
    });

    /**
     * Activates.
     *
     * @param context the bundle context
     * @param state the runtime state
     * @param modules the module manager
     */
    @Activate
    public RuntimeReporter(final BundleContext context, @Reference final RuntimeState state,
            @Reference final ModuleManager modules) {
        this.context = context;
        this.state = state;
        this.modules = modules;
    }

    @Deactivate
    void deactivate() {
        checks.shutdownNow();
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addContributor(final HealthContributor contributor) {
        contributors.add(contributor);
    }

    void removeContributor(final HealthContributor contributor) {
        contributors.remove(contributor);
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void setScr(final ServiceComponentRuntime runtime) {
        this.scr = runtime;
    }

    void unsetScr(final ServiceComponentRuntime runtime) {
        if (this.scr == runtime) {
            this.scr = null;
        }
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, service = HttpServiceRuntime.class)
    void setHttp(final ServiceReference<HttpServiceRuntime> reference) {
        this.http = reference;
    }

    void unsetHttp(final ServiceReference<HttpServiceRuntime> reference) {
        if (this.http == reference) {
            this.http = null;
        }
    }

    /**
     * Builds the report.
     *
     * @param withComponents whether to list components (costly; for the shell)
     * @return the report
     */
    public Report report(final boolean withComponents) {
        final List<BundleView> bundles = lodestarBundles();
        final List<ModuleManager.ModuleView> moduleViews = modules.modules();
        final List<HealthResult> results = runChecks();
        Severity worst = Severity.OK;
        for (final HealthResult result : results) {
            worst = worst.worst(result.severity());
        }
        for (final ModuleManager.ModuleView module : moduleViews) {
            if (module.enabled() && module.bundles().stream()
                    .anyMatch(b -> !"ACTIVE".equals(b.state()))) {
                worst = worst.worst(Severity.WARNING);
            }
        }
        final String status = switch (worst) {
            case CRITICAL -> "DOWN";
            case WARNING -> "DEGRADED";
            default -> "UP";
        };
        final LodestarEnvironment env = state.environment();
        return new Report(status, state.instanceName(), state.startedAt(), state.uptime(),
                httpEndpoints(), env, bundles, moduleViews,
                withComponents ? components() : List.of(), results);
    }

    private List<BundleView> lodestarBundles() {
        final List<BundleView> views = new ArrayList<>();
        for (final Bundle bundle : context.getBundles()) {
            final String name = bundle.getSymbolicName();
            final String module = modules.moduleOf(name);
            if (name != null && name.startsWith("lodestar.") || module != null) {
                views.add(BundleView.of(bundle, module));
            }
        }
        views.sort(Comparator.comparing(BundleView::symbolicName));
        return views;
    }

    private List<HealthResult> runChecks() {
        final List<HealthResult> results = new ArrayList<>();
        final List<HealthContributor> snapshot = List.copyOf(contributors);
        final List<Future<List<HealthResult>>> futures = new ArrayList<>();
        for (final HealthContributor contributor : snapshot) {
            futures.add(checks.submit(contributor::check));
        }
        final long deadline = System.nanoTime() + CHECK_TIMEOUT.toNanos();
        for (int i = 0; i < snapshot.size(); i++) {
            final String name = snapshot.get(i).name();
            try {
                final long wait = Math.max(0, deadline - System.nanoTime());
                final List<HealthResult> answer = futures.get(i).get(wait, TimeUnit.NANOSECONDS);
                results.addAll(answer == null ? List.of() : answer);
            } catch (final TimeoutException e) {
                futures.get(i).cancel(true);
                results.add(HealthResult.of(name, Severity.WARNING,
                        "check did not answer within " + CHECK_TIMEOUT.toMillis() + " ms"));
            } catch (final ExecutionException e) {
                results.add(HealthResult.of(name, Severity.WARNING,
                        "check failed: " + e.getCause().getClass().getSimpleName() + ": "
                                + e.getCause().getMessage()));
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return results;
    }

    private List<String> httpEndpoints() {
        final ServiceReference<HttpServiceRuntime> reference = http;
        final Object endpoint = reference == null ? null
                : reference.getProperty(HttpServiceRuntimeConstants.HTTP_SERVICE_ENDPOINT);
        if (endpoint instanceof String[] array) {
            return Arrays.asList(array);
        }
        if (endpoint instanceof Collection<?> collection) {
            return collection.stream().map(String::valueOf).toList();
        }
        if (endpoint != null) {
            return List.of(endpoint.toString());
        }
        final LodestarEnvironment env = state.environment();
        return List.of("http://" + env.bind() + ":" + env.port() + "/ (not yet serving)");
    }

    private List<ComponentView> components() {
        final ServiceComponentRuntime runtime = scr;
        if (runtime == null) {
            return List.of();
        }
        final List<Bundle> lodestar = new ArrayList<>();
        for (final Bundle bundle : context.getBundles()) {
            final String name = bundle.getSymbolicName();
            if (name != null && name.startsWith("lodestar.")) {
                lodestar.add(bundle);
            }
        }
        final List<ComponentView> views = new ArrayList<>();
        for (final ComponentDescriptionDTO description
                : runtime.getComponentDescriptionDTOs(lodestar.toArray(new Bundle[0]))) {
            final boolean enabled = runtime.isComponentEnabled(description);
            final Collection<ComponentConfigurationDTO> configurations =
                    runtime.getComponentConfigurationDTOs(description);
            if (!enabled) {
                views.add(new ComponentView(description.name, description.bundle.symbolicName,
                        "DISABLED", List.of()));
            } else if (configurations.isEmpty()) {
                views.add(new ComponentView(description.name, description.bundle.symbolicName,
                        "WAITING FOR CONFIGURATION", List.of()));
            }
            for (final ComponentConfigurationDTO configuration : configurations) {
                final List<String> missing = new ArrayList<>();
                for (final UnsatisfiedReferenceDTO unsatisfied
                        : configuration.unsatisfiedReferences) {
                    missing.add(unsatisfied.name + " (" + interfaceOf(description,
                            unsatisfied.name) + ")");
                }
                views.add(new ComponentView(description.name, description.bundle.symbolicName,
                        componentState(configuration.state), missing));
            }
        }
        views.sort(Comparator.comparing(ComponentView::name));
        return views;
    }

    private static String interfaceOf(final ComponentDescriptionDTO description,
            final String reference) {
        for (final ReferenceDTO dto : description.references) {
            if (dto.name.equals(reference)) {
                return dto.interfaceName;
            }
        }
        return "?";
    }

    static String componentState(final int state) {
        return switch (state) {
            case ComponentConfigurationDTO.ACTIVE -> "ACTIVE";
            case ComponentConfigurationDTO.SATISFIED -> "SATISFIED";
            case ComponentConfigurationDTO.UNSATISFIED_REFERENCE -> "UNSATISFIED REFERENCE";
            case ComponentConfigurationDTO.UNSATISFIED_CONFIGURATION ->
                    "UNSATISFIED CONFIGURATION";
            case ComponentConfigurationDTO.FAILED_ACTIVATION -> "FAILED ACTIVATION";
            default -> "UNKNOWN(" + state + ")";
        };
    }

    /**
     * A component as reported.
     *
     * @param name the component name
     * @param bundle the bundle symbolic name
     * @param state its state
     * @param missing unsatisfied references, {@code name (interface)}
     */
    public record ComponentView(String name, String bundle, String state, List<String> missing) {
    }

    /**
     * The runtime report.
     *
     * @param status {@code UP}, {@code DEGRADED} or {@code DOWN}
     * @param instanceName the instance name
     * @param startedAt the start time
     * @param uptime the uptime
     * @param http the HTTP endpoints
     * @param environment folders and address
     * @param bundles the Lodestar bundles
     * @param modules the modules
     * @param components the Lodestar components (only when asked for)
     * @param checks health check results
     */
    public record Report(String status, String instanceName, Instant startedAt, Duration uptime,
            List<String> http, LodestarEnvironment environment, List<BundleView> bundles,
            List<ModuleManager.ModuleView> modules, List<ComponentView> components,
            List<HealthResult> checks) {

        /**
         * The report as a JSON-friendly map (for {@code /health}).
         *
         * @return the map
         */
        public Map<String, Object> toJson() {
            final Map<String, Object> json = new java.util.LinkedHashMap<>();
            json.put("status", status);
            json.put("instanceName", instanceName);
            json.put("startedAt", startedAt.toString());
            json.put("uptimeSeconds", uptime.toSeconds());
            json.put("bundles", bundles);
            json.put("modules", modules.stream().map(m -> {
                final Map<String, Object> module = new java.util.LinkedHashMap<>();
                module.put("name", m.name());
                module.put("enabled", m.enabled());
                module.put("status", m.status());
                return module;
            }).toList());
            json.put("checks", checks.stream().map(c -> {
                final Map<String, Object> check = new java.util.LinkedHashMap<>();
                check.put("name", c.name());
                check.put("severity", c.severity().name());
                check.put("message", c.message());
                check.put("details", c.details());
                check.put("checkedAt", c.checkedAt().toString());
                return check;
            }).toList());
            return json;
        }
    }
}
