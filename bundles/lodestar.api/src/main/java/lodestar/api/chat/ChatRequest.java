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
 * A chat completion request in the OpenAI Chat Completions shape.
 *
 * <p>Only the fields Lodestar acts on are typed; every other field ({@code tool_choice},
 * {@code response_format}, {@code stop}, {@code n}, {@code user}, vendor extensions, ...) is kept
 * in {@link #extra()} and written back unchanged.
 *
 * @param model requested model: a concrete model id, an alias or a virtual routing model
 * @param messages the conversation, oldest first
 * @param stream whether the client asked for server-sent events
 * @param streamOptions streaming options, or {@code null}
 * @param tools tool definitions offered to the model, or {@code null}
 * @param maxTokens legacy {@code max_tokens}, or {@code null}
 * @param maxCompletionTokens {@code max_completion_tokens}, or {@code null}
 * @param temperature sampling temperature, or {@code null}
 * @param seed sampling seed, or {@code null}
 * @param extra every other field of the request, in arrival order
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ChatRequest(
        @JsonProperty("model") String model,
        @JsonProperty("messages") List<ChatMessage> messages,
        @JsonProperty("stream") Boolean stream,
        @JsonProperty("stream_options") StreamOptions streamOptions,
        @JsonProperty("tools") List<ToolDefinition> tools,
        @JsonProperty("max_tokens") Integer maxTokens,
        @JsonProperty("max_completion_tokens") Integer maxCompletionTokens,
        @JsonProperty("temperature") Double temperature,
        @JsonProperty("seed") Long seed,
        @JsonAnySetter Map<String, JsonNode> extra) {

    /** Normalises the collections so that they are never {@code null} and never shared. */
    public ChatRequest {
        messages = messages == null ? List.of() : List.copyOf(messages);
        tools = tools == null ? null : List.copyOf(tools);
        extra = extra == null ? new LinkedHashMap<>() : new LinkedHashMap<>(extra);
    }

    /**
     * Unknown fields, written back at the top level of the JSON object.
     *
     * @return a mutable copy-safe view of the unknown fields
     */
    @Override
    @JsonAnyGetter
    public Map<String, JsonNode> extra() {
        return extra;
    }

    /**
     * Whether the client asked for a streamed answer.
     *
     * @return {@code true} when {@code stream} is {@code true}
     */
    @JsonIgnore
    public boolean isStreaming() {
        return Boolean.TRUE.equals(stream);
    }

    /**
     * Whether the request offers tools to the model.
     *
     * @return {@code true} when at least one tool is defined
     */
    public boolean hasTools() {
        return tools != null && !tools.isEmpty();
    }

    /**
     * Whether any message carries an image part.
     *
     * @return {@code true} when an {@code image_url} content part is present
     */
    public boolean hasImages() {
        return messages.stream().anyMatch(ChatMessage::hasImages);
    }

    /**
     * A copy of this request for another model.
     *
     * @param newModel the concrete model id to ask for
     * @return the same request with {@code model} replaced
     */
    public ChatRequest withModel(final String newModel) {
        return new ChatRequest(newModel, messages, stream, streamOptions, tools, maxTokens,
                maxCompletionTokens, temperature, seed, extra);
    }

    /**
     * A copy of this request with other stream options.
     *
     * @param options the stream options to send
     * @return the same request with {@code stream_options} replaced
     */
    public ChatRequest withStreamOptions(final StreamOptions options) {
        return new ChatRequest(model, messages, stream, options, tools, maxTokens,
                maxCompletionTokens, temperature, seed, extra);
    }
}
