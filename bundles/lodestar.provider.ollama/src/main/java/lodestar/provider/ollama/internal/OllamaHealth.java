package lodestar.provider.ollama.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import lodestar.api.health.HealthContributor;
import lodestar.api.health.HealthResult;
import lodestar.api.health.Severity;

/**
 * The provider's health checks, answered from the background refresh ({@code /api/tags} and
 * {@code /api/ps}, which cost nothing): {@code provider.<id>} (Ollama answers or not) and
 * {@code provider.<id>.model.<name>} per configured model (not pulled, or spilled onto the
 * CPU). A result with detail {@code down=true} tells routing to skip the target.
 */
final class OllamaHealth implements HealthContributor {

    private final OllamaProvider provider;

    OllamaHealth(final OllamaProvider provider) {
        this.provider = provider;
    }

    @Override
    public String name() {
        return "provider." + provider.id();
    }

    @Override
    public List<HealthResult> check() {
        final OllamaSettings settings = provider.settings();
        final OllamaStatus status = provider.status();
        final String name = "provider." + settings.id();
        final List<HealthResult> results = new ArrayList<>();
        if (status.checkedAt() == null) {
            results.add(new HealthResult(name, Severity.INFO, "Ollama at " + settings.baseUrl()
                    + " not checked yet", Map.of("down", false), null));
            return results;
        }
        if (!status.reachable()) {
            results.add(new HealthResult(name, Severity.WARNING, "Ollama at "
                    + settings.baseUrl() + " does not answer: " + status.error()
                    + " (is `ollama serve` running?); its models are skipped",
                    Map.of("down", true, "baseUrl", settings.baseUrl()), status.checkedAt()));
            return results;
        }
        final Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("down", false);
        figures.put("installed", status.installed().size());
        figures.put("loaded", status.loaded().stream().map(OllamaStatus.LoadedModel::name)
                .toList());
        results.add(new HealthResult(name, Severity.OK, "Ollama at " + settings.baseUrl()
                + " answers; " + status.installed().size() + " model(s) installed, "
                + status.loaded().size() + " loaded", figures, status.checkedAt()));
        for (final String model : settings.models()) {
            final String check = name + ".model." + model;
            if (!installed(status.installed(), model)) {
                results.add(new HealthResult(check, Severity.WARNING, "model " + model
                        + " is not installed in Ollama (run: ollama pull " + model
                        + "); skipped", Map.of("down", true), status.checkedAt()));
                continue;
            }
            final OllamaStatus.LoadedModel loaded = status.loaded().stream()
                    .filter(m -> same(m.name(), model)).findFirst().orElse(null);
            if (loaded != null && loaded.spilledToCpu()) {
                results.add(new HealthResult(check, Severity.WARNING, "model " + model
                        + " does not fit into GPU memory: " + (loaded.sizeVram() >> 20)
                        + " of " + (loaded.size() >> 20) + " MiB in VRAM, the rest runs on "
                        + "the CPU (slow); choose a smaller model or quantization",
                        Map.of("down", false, "sizeBytes", loaded.size(), "vramBytes",
                                loaded.sizeVram()), status.checkedAt()));
            } else {
                results.add(new HealthResult(check, Severity.OK, "model " + model
                        + (loaded == null ? " installed" : " loaded on the GPU"),
                        Map.of("down", false), status.checkedAt()));
            }
        }
        return results;
    }

    private static boolean installed(final List<String> names, final String model) {
        return names.stream().anyMatch(n -> same(n, model));
    }

    /** Ollama names {@code llama3.2} and {@code llama3.2:latest} the same model. */
    static boolean same(final String a, final String b) {
        return untag(a).equals(untag(b));
    }

    private static String untag(final String name) {
        return name.endsWith(":latest") ? name.substring(0, name.length() - 7) : name;
    }
}
