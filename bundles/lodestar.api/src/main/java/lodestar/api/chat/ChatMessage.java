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
 * One message of a conversation, or the delta of a streamed message.
 *
 * <p>{@code content} is kept as JSON because OpenAI allows a string, an array of content parts
 * ({@code text}, {@code image_url}, ...) or {@code null}; {@link #text()} gives the plain text.
 *
 * @param role {@code system}, {@code developer}, {@code user}, {@code assistant} or {@code tool}
 * @param content a JSON string, an array of content parts, or {@code null}
 * @param name optional participant name
 * @param toolCalls tool calls made by the assistant, or {@code null}
 * @param toolCallId for {@code tool} messages: the call this message answers
 * @param extra unknown fields (e.g. {@code refusal}, {@code reasoning_content}), kept
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ChatMessage(
        @JsonProperty("role") String role,
        @JsonProperty("content") JsonNode content,
        @JsonProperty("name") String name,
        @JsonProperty("tool_calls") List<ToolCall> toolCalls,
        @JsonProperty("tool_call_id") String toolCallId,
        @JsonAnySetter Map<String, JsonNode> extra) {

    /** Normalises the collections. */
    public ChatMessage {
        toolCalls = toolCalls == null ? null : List.copyOf(toolCalls);
        extra = extra == null ? new LinkedHashMap<>() : new LinkedHashMap<>(extra);
    }

    @Override
    @JsonAnyGetter
    public Map<String, JsonNode> extra() {
        return extra;
    }

    /**
     * The plain text of the content: the string itself, or the {@code text} parts joined by a
     * newline. Non-text parts are skipped.
     *
     * @return the text, empty when there is none
     */
    public String text() {
        if (content == null || content.isNull()) {
            return "";
        }
        if (content.isTextual()) {
            return content.asText();
        }
        final StringBuilder text = new StringBuilder();
        if (content.isArray()) {
            for (final JsonNode part : content) {
                if ("text".equals(part.path("type").asText()) && part.has("text")) {
                    if (text.length() > 0) {
                        text.append('\n');
                    }
                    text.append(part.get("text").asText());
                }
            }
        }
        return text.toString();
    }

    /**
     * Whether the content holds an image part.
     *
     * @return {@code true} when a part of type {@code image_url} (or {@code image}) is present
     */
    public boolean hasImages() {
        if (content == null || !content.isArray()) {
            return false;
        }
        for (final JsonNode part : content) {
            final String type = part.path("type").asText();
            if ("image_url".equals(type) || "image".equals(type)) {
                return true;
            }
        }
        return false;
    }
}
