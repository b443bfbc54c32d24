package lodestar.api.chat;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Token usage of one completion, OpenAI shape. Cached input tokens are in
 * {@code prompt_tokens_details.cached_tokens}; prompt-cache writes (Anthropic's
 * {@code cache_creation_input_tokens}) are kept in {@link PromptTokensDetails#cacheCreationTokens}.
 *
 * @param promptTokens input tokens, cached ones included
 * @param completionTokens output tokens
 * @param totalTokens sum of both
 * @param promptTokensDetails cached-token breakdown, or {@code null}
 * @param extra unknown fields (e.g. {@code completion_tokens_details}), kept
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Usage(
        @JsonProperty("prompt_tokens") long promptTokens,
        @JsonProperty("completion_tokens") long completionTokens,
        @JsonProperty("total_tokens") long totalTokens,
        @JsonProperty("prompt_tokens_details") PromptTokensDetails promptTokensDetails,
        @JsonAnySetter Map<String, JsonNode> extra) {

    /** Normalises {@code extra}. */
    public Usage {
        extra = extra == null ? new LinkedHashMap<>() : new LinkedHashMap<>(extra);
    }

    /**
     * Usage without cache details.
     *
     * @param prompt input tokens
     * @param completion output tokens
     * @return the usage, with the total computed
     */
    public static Usage of(final long prompt, final long completion) {
        return new Usage(prompt, completion, prompt + completion, null, null);
    }

    @Override
    @JsonAnyGetter
    public Map<String, JsonNode> extra() {
        return extra;
    }

    /**
     * Input tokens read from a prompt cache.
     *
     * @return cached input tokens, 0 when unknown
     */
    @JsonIgnore
    public long cachedTokens() {
        return promptTokensDetails == null || promptTokensDetails.cachedTokens() == null
                ? 0 : promptTokensDetails.cachedTokens();
    }

    /**
     * Input tokens written to a prompt cache.
     *
     * @return cache-creation tokens, 0 when unknown
     */
    @JsonIgnore
    public long cacheCreationTokens() {
        return promptTokensDetails == null || promptTokensDetails.cacheCreationTokens() == null
                ? 0 : promptTokensDetails.cacheCreationTokens();
    }

    /**
     * Breakdown of the prompt tokens.
     *
     * @param cachedTokens tokens read from a prompt cache
     * @param cacheCreationTokens tokens written to a prompt cache (Anthropic), or {@code null}
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record PromptTokensDetails(
            @JsonProperty("cached_tokens") Long cachedTokens,
            @JsonProperty("cache_creation_tokens") Long cacheCreationTokens) {
    }
}
