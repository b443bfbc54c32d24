package lodestar.api.chat;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One streamed chunk, OpenAI shape ({@code object: chat.completion.chunk}). The usage chunk
 * asked for with {@code stream_options.include_usage} has empty {@code choices} and a
 * {@code usage}.
 *
 * @param id completion id, the same in every chunk of a stream
 * @param object {@code chat.completion.chunk}
 * @param created creation time, Unix seconds
 * @param model the model that answers
 * @param choices deltas of the answers
 * @param usage token usage (final chunk only), or {@code null}
 * @param extra unknown fields, kept
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ChatChunk(
        @JsonProperty("id") String id,
        @JsonProperty("object") String object,
        @JsonProperty("created") long created,
        @JsonProperty("model") String model,
        @JsonProperty("choices") List<ChunkChoice> choices,
        @JsonProperty("usage") Usage usage,
        @JsonAnySetter Map<String, JsonNode> extra) {

    /** Normalises the collections. */
    public ChatChunk {
        choices = choices == null ? List.of() : List.copyOf(choices);
        extra = extra == null ? new LinkedHashMap<>() : new LinkedHashMap<>(extra);
    }

    @Override
    @JsonAnyGetter
    public Map<String, JsonNode> extra() {
        return extra;
    }

    /**
     * Whether this is the usage-only chunk that ends a stream.
     *
     * @return {@code true} when {@code choices} is empty and {@code usage} is set
     */
    @JsonIgnore
    public boolean isUsageOnly() {
        return choices.isEmpty() && usage != null;
    }

    /**
     * The delta of one answer.
     *
     * @param index position among the choices
     * @param delta the new part of the message
     * @param finishReason set on the last delta of an answer, else {@code null}
     * @param extra unknown fields, kept
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ChunkChoice(
            @JsonProperty("index") int index,
            @JsonProperty("delta") ChatMessage delta,
            @JsonProperty("finish_reason") String finishReason,
            @JsonAnySetter Map<String, JsonNode> extra) {

        /** Normalises {@code extra}. */
        public ChunkChoice {
            extra = extra == null ? new LinkedHashMap<>() : new LinkedHashMap<>(extra);
        }

        @Override
        @JsonAnyGetter
        public Map<String, JsonNode> extra() {
            return extra;
        }
    }
}
