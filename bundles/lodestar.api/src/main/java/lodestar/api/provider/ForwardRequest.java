package lodestar.api.provider;

/**
 * An OpenAI-shaped request that Lodestar forwards without translating it:
 * {@code POST /v1/embeddings} or {@code POST /v1/completions} (FIM autocomplete).
 *
 * @param endpoint the endpoint below {@code /v1/}: {@code embeddings} or {@code completions}
 * @param model the upstream model id (already written into {@code body})
 * @param body the JSON body to send
 * @param stream whether the answer is a server-sent event stream
 */
public record ForwardRequest(String endpoint, String model, byte[] body, boolean stream) {

    /** Checks the invariants. */
    public ForwardRequest {
        if (endpoint == null || body == null) {
            throw new IllegalArgumentException("endpoint and body are required");
        }
    }
}
