package lodestar.api.chat;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A complete (non-streamed) chat completion, OpenAI shape ({@code object: chat.completion}).
 *
 * @param id completion id
 * @param object {@code chat.completion}
 * @param created creation time, Unix seconds
 * @param model the model that answered
 * @param choices the answers
 * @param usage token usage, or {@code null} when the upstream gave none
 * @param extra unknown fields (e.g. {@code system_fingerprint}), kept
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ChatResponse(
        @JsonProperty("id") String id,
        @JsonProperty("object") String object,
        @JsonProperty("created") long created,
        @JsonProperty("model") String model,
        @JsonProperty("choices") List<Choice> choices,
        @JsonProperty("usage") Usage usage,
        @JsonAnySetter Map<String, JsonNode> extra) {

    /** Normalises the collections. */
    public ChatResponse {
        choices = choices == null ? List.of() : List.copyOf(choices);
        extra = extra == null ? new LinkedHashMap<>() : new LinkedHashMap<>(extra);
    }

    @Override
    @JsonAnyGetter
    public Map<String, JsonNode> extra() {
        return extra;
    }

    /**
     * One answer of a completion.
     *
     * @param index position among the choices
     * @param message the assistant message
     * @param finishReason {@code stop}, {@code length}, {@code tool_calls}, {@code content_filter}
     * @param extra unknown fields (e.g. {@code logprobs}), kept
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Choice(
            @JsonProperty("index") int index,
            @JsonProperty("message") ChatMessage message,
            @JsonProperty("finish_reason") String finishReason,
            @JsonAnySetter Map<String, JsonNode> extra) {

        /** Normalises {@code extra}. */
        public Choice {
            extra = extra == null ? new LinkedHashMap<>() : new LinkedHashMap<>(extra);
        }

        @Override
        @JsonAnyGetter
        public Map<String, JsonNode> extra() {
            return extra;
        }
    }
}
