package lodestar.provider.ollama.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Configuration of one Ollama provider, factory PID {@code lodestar.provider.ollama}
 * ({@code config/lodestar.provider.ollama-<name>.cfg}). Per-model metadata uses dynamic keys
 * {@code model.<name>} that an OCD cannot declare; {@link OllamaSettings} reads them.
 */
@ObjectClassDefinition(name = "Lodestar Ollama provider",
        description = "Free local models served by an Ollama instance (native API).")
@interface OllamaConfig {

    /**
     * The provider id.
     *
     * @return the id; empty means {@code ollama-<factory configuration name>}
     */
    @AttributeDefinition(name = "Provider id", required = false,
            description = "Unique among providers; letters, digits, '.', '_' and '-'. Empty means "
                    + "'ollama-' + the configuration name (the part after '-' in the file name).")
    String id() default "";

    /**
     * Where Ollama listens.
     *
     * @return the base URL
     */
    @AttributeDefinition(name = "Base URL", description = "http(s) URL of the Ollama server.")
    String baseUrl() default OllamaSettings.DEFAULT_BASE_URL;

    /**
     * The models this provider serves.
     *
     * @return comma-separated Ollama model names
     */
    @AttributeDefinition(name = "Models", required = false,
            description = "Comma-separated Ollama model names, e.g. "
                    + "deepseek-coder:1.3b,llama3.2:3b. Per model, optional key "
                    + "model.<name>=context=16384,tools=false,vision=false,numCtx=8192.")
    String models() default "";

    /**
     * Whether installed models are listed from {@code /api/tags} too.
     *
     * @return {@code true} to discover models
     */
    @AttributeDefinition(name = "Discover models",
            description = "Also serve every model installed in Ollama (/api/tags) and watch the "
                    + "loaded models (/api/ps), refreshed in the background.")
    boolean discoverModels() default false;

    /**
     * Seconds between two discovery refreshes.
     *
     * @return the period
     */
    @AttributeDefinition(name = "Refresh period (s)", min = "1", max = "86400")
    int refreshSeconds() default OllamaSettings.DEFAULT_REFRESH_SECONDS;

    /**
     * Ollama's {@code keep_alive}.
     *
     * @return a duration such as {@code 5m}, {@code -1} (forever), {@code 0}; empty = Ollama's
     */
    @AttributeDefinition(name = "Keep alive", required = false,
            description = "How long Ollama keeps a model loaded after a call: 5m, 1h, 0, -1 "
                    + "(forever); empty leaves Ollama's default.")
    String keepAlive() default OllamaSettings.DEFAULT_KEEP_ALIVE;

    /**
     * Connect timeout.
     *
     * @return milliseconds
     */
    @AttributeDefinition(name = "Connect timeout (ms)", min = "1")
    int connectTimeoutMs() default OllamaSettings.DEFAULT_CONNECT_TIMEOUT_MS;

    /**
     * Longest wait for the first byte of an answer (a model that is loading answers late).
     *
     * @return milliseconds
     */
    @AttributeDefinition(name = "First-byte timeout (ms)", min = "1")
    int firstByteTimeoutMs() default OllamaSettings.DEFAULT_FIRST_BYTE_TIMEOUT_MS;

    /**
     * Longest duration of a whole call.
     *
     * @return milliseconds
     */
    @AttributeDefinition(name = "Total timeout (ms)", min = "1")
    int totalTimeoutMs() default OllamaSettings.DEFAULT_TOTAL_TIMEOUT_MS;
}
