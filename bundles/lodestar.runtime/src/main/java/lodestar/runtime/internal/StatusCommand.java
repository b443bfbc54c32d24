package lodestar.runtime.internal;

import java.util.List;
import java.util.Locale;
import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** Gogo command {@code lodestar:status}. */
@Component(service = StatusCommand.class,
        property = {"osgi.command.scope=lodestar", "osgi.command.function=status"})
public final class StatusCommand {

    private final RuntimeReporter reporter;

    /**
     * Activates.
     *
     * @param reporter builds the report
     */
    @Activate
    public StatusCommand(@Reference final RuntimeReporter reporter) {
        this.reporter = reporter;
    }

    /**
     * Prints the Lodestar bundles with their state, the modules, the components with missing
     * references, the HTTP address and the folders.
     *
     * @return the report as text
     */
    @Descriptor("Lodestar bundles, modules, components, HTTP address and folders")
    public String status() {
        return format(reporter.report(true));
    }

    static String format(final RuntimeReporter.Report report) {
        final StringBuilder out = new StringBuilder();
        final LodestarEnvironment env = report.environment();
        out.append(String.format(Locale.ROOT, "Lodestar '%s': %s, up %s%n", report.instanceName(),
                report.status(), human(report.uptime().toSeconds())));
        out.append(String.format(Locale.ROOT, "  HTTP        %s%n",
                String.join(", ", report.http())));
        out.append(String.format(Locale.ROOT, "  Config dir  %s%n", env.configDir()));
        out.append(String.format(Locale.ROOT, "  Deploy dir  %s%n", env.deployDir()));
        out.append(String.format(Locale.ROOT, "  Data dir    %s%n%n", env.dataDir()));

        out.append("Bundles\n");
        out.append(String.format(Locale.ROOT, "  %4s  %-11s  %-16s  %-12s  %s%n", "ID", "STATE",
                "VERSION", "MODULE", "SYMBOLIC NAME"));
        for (final BundleView bundle : report.bundles()) {
            out.append(String.format(Locale.ROOT, "  %4d  %-11s  %-16s  %-12s  %s%n",
                    bundle.id(), bundle.state(), bundle.version(),
                    bundle.module() == null ? "-" : bundle.module(), bundle.symbolicName()));
        }
        out.append("\nModules (config/lodestar.modules.cfg)\n");
        for (final ModuleManager.ModuleView module : report.modules()) {
            final String detail = module.bundles().isEmpty()
                    ? (module.enabled() ? "enabled, no bundle installed" : "disabled")
                    : module.bundles().size() + " bundle(s)";
            out.append(String.format(Locale.ROOT, "  %-12s %-9s %s%n", module.name(),
                    module.status(), detail));
        }
        out.append("\nComponents\n");
        if (report.components().isEmpty()) {
            out.append("  (Service Component Runtime not available)\n");
        }
        for (final RuntimeReporter.ComponentView component : report.components()) {
            out.append(String.format(Locale.ROOT, "  %-27s %s%n", component.state(),
                    component.name()));
            for (final String missing : component.missing()) {
                out.append("      missing reference: ").append(missing).append('\n');
            }
        }
        if (!report.checks().isEmpty()) {
            out.append("\nChecks\n");
            report.checks().forEach(check -> out.append(String.format(Locale.ROOT,
                    "  %-8s %-24s %s%n", check.severity(), check.name(), check.message())));
        }
        return out.toString();
    }

    static String human(final long seconds) {
        if (seconds < 60) {
            return seconds + " s";
        }
        if (seconds < 3600) {
            return seconds / 60 + " min " + seconds % 60 + " s";
        }
        final List<String> parts = List.of(seconds / 86_400 + " d",
                seconds % 86_400 / 3600 + " h", seconds % 3600 / 60 + " min");
        return seconds >= 86_400 ? String.join(" ", parts) : String.join(" ", parts.subList(1, 3));
    }
}
