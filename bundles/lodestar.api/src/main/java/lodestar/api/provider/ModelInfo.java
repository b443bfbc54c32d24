package lodestar.api.provider;

/**
 * A model a provider serves, with what routing needs to know about it.
 *
 * @param id the model id clients and the upstream use, e.g. {@code gpt-4o-mini}
 * @param providerId the serving provider's id
 * @param contextWindow maximum input tokens, 0 when unknown
 * @param supportsTools whether it accepts tool definitions
 * @param supportsVision whether it accepts image parts
 * @param local whether it runs locally at no per-token cost (e.g. Ollama)
 * @param inputCostPerToken USD per input token, 0 for local models
 * @param outputCostPerToken USD per output token, 0 for local models
 */
public record ModelInfo(
        String id,
        String providerId,
        int contextWindow,
        boolean supportsTools,
        boolean supportsVision,
        boolean local,
        double inputCostPerToken,
        double outputCostPerToken) {

    /** Checks the invariants. */
    public ModelInfo {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("model id must not be blank");
        }
        if (providerId == null || providerId.isBlank()) {
            throw new IllegalArgumentException("provider id must not be blank");
        }
        if (contextWindow < 0 || inputCostPerToken < 0 || outputCostPerToken < 0) {
            throw new IllegalArgumentException("context window and prices must not be negative");
        }
    }

    /**
     * The qualified name {@code providerId/id}, unique across providers.
     *
     * @return the qualified model name
     */
    public String qualifiedName() {
        return providerId + "/" + id;
    }

    /**
     * Estimated price of a call.
     *
     * @param inputTokens input tokens
     * @param outputTokens output tokens
     * @return USD
     */
    public double cost(final long inputTokens, final long outputTokens) {
        return inputTokens * inputCostPerToken + outputTokens * outputCostPerToken;
    }
}
