package lodestar.api.chat;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code stream_options} object of a chat request.
 *
 * @param includeUsage whether a final chunk with {@code usage} is wanted
 * @param extra unknown fields, kept
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record StreamOptions(
        @JsonProperty("include_usage") Boolean includeUsage,
        @JsonAnySetter Map<String, JsonNode> extra) {

    /** Normalises {@code extra}. */
    public StreamOptions {
        extra = extra == null ? new LinkedHashMap<>() : new LinkedHashMap<>(extra);
    }

    /**
     * Stream options asking for usage.
     *
     * @param includeUsage whether usage is wanted
     * @return the options
     */
    public static StreamOptions of(final boolean includeUsage) {
        return new StreamOptions(includeUsage, null);
    }

    @Override
    @JsonAnyGetter
    public Map<String, JsonNode> extra() {
        return extra;
    }
}
