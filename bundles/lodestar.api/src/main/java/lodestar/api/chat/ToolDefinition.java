package lodestar.api.chat;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A tool offered to the model.
 *
 * @param type {@code function}
 * @param function name, description and JSON-schema parameters
 * @param extra unknown fields, kept
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ToolDefinition(
        @JsonProperty("type") String type,
        @JsonProperty("function") Function function,
        @JsonAnySetter Map<String, JsonNode> extra) {

    /** Normalises {@code extra}. */
    public ToolDefinition {
        extra = extra == null ? new LinkedHashMap<>() : new LinkedHashMap<>(extra);
    }

    @Override
    @JsonAnyGetter
    public Map<String, JsonNode> extra() {
        return extra;
    }

    /**
     * The function a tool exposes.
     *
     * @param name function name
     * @param description what it does, or {@code null}
     * @param parameters JSON schema of its arguments, or {@code null}
     * @param strict OpenAI structured-output flag, or {@code null}
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Function(
            @JsonProperty("name") String name,
            @JsonProperty("description") String description,
            @JsonProperty("parameters") JsonNode parameters,
            @JsonProperty("strict") Boolean strict) {
    }
}
