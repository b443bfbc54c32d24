package lodestar.provider.anthropic.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import lodestar.api.chat.ChatMessage;
import lodestar.api.chat.ChatResponse;
import lodestar.api.chat.ToolCall;

/**
 * Translates an Anthropic message ({@code type: message}) into a canonical
 * {@link ChatResponse}: {@code text} blocks joined into {@code content} ({@code null} when there
 * are only tool calls), {@code tool_use} blocks into {@code tool_calls} with JSON-string
 * arguments, {@code thinking} blocks into {@code reasoning_content}, {@code stop_reason} into
 * {@code finish_reason} ({@link #finishReason}) and usage through {@link UsageCounter}.
 */
final class ResponseTranslator {

    /** The canonical object type of a complete answer. */
    static final String COMPLETION = "chat.completion";
    /** The extra field carrying thinking text. */
    static final String REASONING = "reasoning_content";

    private ResponseTranslator() {
    }

    /**
     * Translates a message.
     *
     * @param mapper JSON mapper, to write tool arguments
     * @param message the Anthropic message
     * @param created the creation time to report, Unix seconds
     * @return the response
     * @throws JsonProcessingException when a tool input cannot be written
     */
    static ChatResponse toResponse(final ObjectMapper mapper, final JsonNode message,
            final long created) throws JsonProcessingException {
        final StringBuilder text = new StringBuilder();
        final StringBuilder thinking = new StringBuilder();
        final List<ToolCall> calls = new ArrayList<>();
        for (final JsonNode block : message.path("content")) {
            switch (block.path("type").asText()) {
                case "text" -> text.append(block.path("text").asText());
                case "thinking" -> thinking.append(block.path("thinking").asText());
                case "tool_use" -> calls.add(new ToolCall(null, block.path("id").asText(),
                        "function", new ToolCall.FunctionCall(block.path("name").asText(),
                                arguments(mapper, block.get("input"))), null));
                default -> {
                    // server tool blocks, redacted thinking: nothing canonical to say
                }
            }
        }
        final Map<String, JsonNode> extra = new LinkedHashMap<>();
        if (thinking.length() > 0) {
            extra.put(REASONING, TextNode.valueOf(thinking.toString()));
        }
        final JsonNode content = text.length() == 0 && !calls.isEmpty() ? NullNode.instance
                : TextNode.valueOf(text.toString());
        final ChatMessage answer = new ChatMessage("assistant", content, null,
                calls.isEmpty() ? null : calls, null, extra);
        final ChatResponse.Choice choice = new ChatResponse.Choice(0, answer,
                finishReason(textOrNull(message.get("stop_reason"))), null);
        return new ChatResponse(message.path("id").asText(null), COMPLETION, created,
                message.path("model").asText(null), List.of(choice),
                new UsageCounter().merge(message.get("usage")).toUsage(), null);
    }

    /**
     * Tool input as the JSON string OpenAI puts in {@code arguments}.
     *
     * @param mapper JSON mapper
     * @param input the {@code input} object, or {@code null}
     * @return the JSON text, {@code {}} when absent
     * @throws JsonProcessingException when it cannot be written
     */
    static String arguments(final ObjectMapper mapper, final JsonNode input)
            throws JsonProcessingException {
        return input == null || input.isNull() ? "{}" : mapper.writeValueAsString(input);
    }

    /**
     * Maps a stop reason: {@code end_turn}, {@code stop_sequence}, {@code pause_turn} to
     * {@code stop}; {@code max_tokens}, {@code model_context_window_exceeded} to
     * {@code length}; {@code tool_use} to {@code tool_calls}; {@code refusal} to
     * {@code content_filter}; unknown ones to {@code stop}.
     *
     * @param stopReason the Anthropic stop reason, or {@code null}
     * @return the finish reason, or {@code null} for {@code null}
     */
    static String finishReason(final String stopReason) {
        if (stopReason == null) {
            return null;
        }
        return switch (stopReason) {
            case "max_tokens", "model_context_window_exceeded" -> "length";
            case "tool_use" -> "tool_calls";
            case "refusal" -> "content_filter";
            default -> "stop";
        };
    }

    /**
     * The text of a node.
     *
     * @param node a node, possibly {@code null} or JSON null
     * @return its text, or {@code null} when it is not a string
     */
    static String textOrNull(final JsonNode node) {
        return node != null && node.isTextual() ? node.asText() : null;
    }
}
