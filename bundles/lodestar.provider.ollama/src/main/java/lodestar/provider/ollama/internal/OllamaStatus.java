package lodestar.provider.ollama.internal;

import java.time.Instant;
import java.util.List;

/**
 * What the last background refresh saw of an Ollama server: whether it answered, which models
 * are installed ({@code GET /api/tags}) and which are loaded ({@code GET /api/ps}). Refreshed
 * every {@code refreshSeconds}, whether or not {@code discoverModels} is on.
 *
 * @param checkedAt when the refresh ran, or {@code null} when it never ran
 * @param reachable whether Ollama answered
 * @param error why it did not, or {@code null}
 * @param loaded the loaded models, empty when unknown
 * @param installed the installed model names, empty when unknown
 */
public record OllamaStatus(Instant checkedAt, boolean reachable, String error,
        List<LoadedModel> loaded, List<String> installed) {

    /** Copies the lists. */
    public OllamaStatus {
        loaded = loaded == null ? List.of() : List.copyOf(loaded);
        installed = installed == null ? List.of() : List.copyOf(installed);
    }

    /**
     * The status before any refresh.
     *
     * @return an unknown status
     */
    public static OllamaStatus unknown() {
        return new OllamaStatus(null, false, null, List.of(), List.of());
    }

    /**
     * Whether some loaded model does not fit into GPU memory.
     *
     * @return {@code true} when a loaded model spilled onto the CPU
     */
    public boolean anySpilled() {
        return loaded.stream().anyMatch(LoadedModel::spilledToCpu);
    }

    /**
     * A model Ollama holds in memory.
     *
     * @param name the model name
     * @param size bytes in memory, GPU and CPU together
     * @param sizeVram bytes in GPU memory
     * @param spilledToCpu whether part of it runs on the CPU ({@code sizeVram < size}): slow
     */
    public record LoadedModel(String name, long size, long sizeVram, boolean spilledToCpu) {
    }
}
