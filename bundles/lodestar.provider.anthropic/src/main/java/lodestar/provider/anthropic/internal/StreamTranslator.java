package lodestar.provider.anthropic.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import lodestar.api.chat.ChatChunk;
import lodestar.api.chat.ChatMessage;
import lodestar.api.chat.ToolCall;
import lodestar.api.chat.Usage;

/**
 * Translates the events of one Anthropic stream into canonical chunks, as they arrive.
 *
 * <ul>
 *   <li>{@code message_start}: remembers id, model and input usage; one chunk with
 *       {@code role: assistant} and empty content.</li>
 *   <li>{@code content_block_start}: a {@code tool_use} block opens tool call number
 *       <i>n</i> (counting tool blocks from 0): a chunk with its {@code index}, {@code id},
 *       {@code type: function}, {@code name} and empty {@code arguments}. Text and thinking
 *       blocks send their initial text, if any.</li>
 *   <li>{@code content_block_delta}: {@code text_delta} to {@code content},
 *       {@code input_json_delta} to an {@code arguments} fragment of that block's tool call,
 *       {@code thinking_delta} to {@code reasoning_content}; empty fragments and other deltas
 *       ({@code signature_delta}, {@code citations_delta}) send nothing.</li>
 *   <li>{@code message_delta}: takes the cumulative usage; with a {@code stop_reason}, a chunk
 *       with an empty delta and the {@code finish_reason}.</li>
 *   <li>{@code message_stop}: the usage-only chunk ({@code choices: []}); the stream is
 *       done.</li>
 *   <li>{@code ping}, {@code content_block_stop} and unknown events send nothing. {@code error}
 *       events are the caller's business.</li>
 * </ul>
 *
 * <p>Not thread-safe: one exchange feeds it, one event at a time.
 */
final class StreamTranslator {

    /** The canonical object type of a streamed chunk. */
    static final String CHUNK = "chat.completion.chunk";

    private final long created;
    private final UsageCounter usage = new UsageCounter();
    private final Map<Integer, Integer> toolIndexByBlock = new HashMap<>();
    private String id;
    private String model;
    private boolean done;

    /**
     * A translator for one stream.
     *
     * @param created the creation time every chunk carries, Unix seconds
     */
    StreamTranslator(final long created) {
        this.created = created;
    }

    /**
     * Translates one event.
     *
     * @param type the event type ({@code data.type}, else the SSE {@code event} name)
     * @param data the event's JSON
     * @return the chunks to deliver, in order; often none
     */
    List<ChatChunk> onEvent(final String type, final JsonNode data) {
        switch (type) {
            case "message_start" -> {
                final JsonNode message = data.path("message");
                id = ResponseTranslator.textOrNull(message.get("id"));
                model = ResponseTranslator.textOrNull(message.get("model"));
                usage.merge(message.get("usage"));
                return List.of(chunk(new ChatMessage("assistant", TextNode.valueOf(""), null,
                        null, null, null), null));
            }
            case "content_block_start" -> {
                return blockStart(data.path("index").asInt(), data.path("content_block"));
            }
            case "content_block_delta" -> {
                return blockDelta(data.path("index").asInt(), data.path("delta"));
            }
            case "message_delta" -> {
                usage.merge(data.get("usage"));
                final String stop = ResponseTranslator.textOrNull(
                        data.path("delta").get("stop_reason"));
                return stop == null ? List.of() : List.of(chunk(empty(),
                        ResponseTranslator.finishReason(stop)));
            }
            case "message_stop" -> {
                done = true;
                final Usage total = usage.toUsage();
                return total == null ? List.of() : List.of(new ChatChunk(id, CHUNK, created,
                        model, List.of(), total, null));
            }
            default -> {
                return List.of();
            }
        }
    }

    private List<ChatChunk> blockStart(final int index, final JsonNode block) {
        switch (block.path("type").asText()) {
            case "tool_use" -> {
                final int tool = toolIndexByBlock.size();
                toolIndexByBlock.put(index, tool);
                final ToolCall call = new ToolCall(tool, block.path("id").asText(), "function",
                        new ToolCall.FunctionCall(block.path("name").asText(), ""), null);
                return List.of(chunk(new ChatMessage(null, null, null, List.of(call), null,
                        null), null));
            }
            case "text" -> {
                return text(block.path("text").asText(""));
            }
            case "thinking" -> {
                return thinking(block.path("thinking").asText(""));
            }
            default -> {
                return List.of();
            }
        }
    }

    private List<ChatChunk> blockDelta(final int index, final JsonNode delta) {
        switch (delta.path("type").asText()) {
            case "text_delta" -> {
                return text(delta.path("text").asText(""));
            }
            case "thinking_delta" -> {
                return thinking(delta.path("thinking").asText(""));
            }
            case "input_json_delta" -> {
                final Integer tool = toolIndexByBlock.get(index);
                final String fragment = delta.path("partial_json").asText("");
                if (tool == null || fragment.isEmpty()) {
                    return List.of();
                }
                final ToolCall call = new ToolCall(tool, null, null,
                        new ToolCall.FunctionCall(null, fragment), null);
                return List.of(chunk(new ChatMessage(null, null, null, List.of(call), null,
                        null), null));
            }
            default -> {
                return List.of();
            }
        }
    }

    private List<ChatChunk> text(final String text) {
        return text.isEmpty() ? List.of() : List.of(chunk(new ChatMessage(null,
                TextNode.valueOf(text), null, null, null, null), null));
    }

    private List<ChatChunk> thinking(final String text) {
        if (text.isEmpty()) {
            return List.of();
        }
        final Map<String, JsonNode> extra = new HashMap<>();
        extra.put(ResponseTranslator.REASONING, TextNode.valueOf(text));
        return List.of(chunk(new ChatMessage(null, null, null, null, null, extra), null));
    }

    private static ChatMessage empty() {
        return new ChatMessage(null, null, null, null, null, null);
    }

    private ChatChunk chunk(final ChatMessage delta, final String finishReason) {
        return new ChatChunk(id, CHUNK, created, model,
                List.of(new ChatChunk.ChunkChoice(0, delta, finishReason, null)), null, null);
    }

    /**
     * Whether {@code message_stop} arrived.
     *
     * @return {@code true} once the stream is complete
     */
    boolean done() {
        return done;
    }

    /**
     * The usage seen so far.
     *
     * @return the usage, or {@code null}
     */
    Usage usage() {
        return usage.toUsage();
    }
}
