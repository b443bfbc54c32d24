package lodestar.api.chat;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A tool call made by the assistant. In a streamed delta, {@code index} says which call a
 * fragment belongs to and {@code function.arguments} arrives in pieces.
 *
 * @param index position of the call in a streamed delta, or {@code null}
 * @param id call id, present in the first fragment
 * @param type always {@code function} today
 * @param function the function name and (partial) arguments
 * @param extra unknown fields, kept
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ToolCall(
        @JsonProperty("index") Integer index,
        @JsonProperty("id") String id,
        @JsonProperty("type") String type,
        @JsonProperty("function") FunctionCall function,
        @JsonAnySetter Map<String, JsonNode> extra) {

    /** Normalises {@code extra}. */
    public ToolCall {
        extra = extra == null ? new LinkedHashMap<>() : new LinkedHashMap<>(extra);
    }

    @Override
    @JsonAnyGetter
    public Map<String, JsonNode> extra() {
        return extra;
    }

    /**
     * The function part of a tool call.
     *
     * @param name function name
     * @param arguments JSON-encoded arguments (a fragment of them when streamed)
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record FunctionCall(
            @JsonProperty("name") String name,
            @JsonProperty("arguments") String arguments) {
    }
}
