package lodestar.router.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import lodestar.api.chat.ChatChunk;
import lodestar.api.chat.ChatMessage;
import lodestar.api.chat.ChatResponse;
import lodestar.api.chat.ToolCall;
import lodestar.api.chat.Usage;

/**
 * Anthropic Messages answers from canonical ones: a {@code message} object, or the named SSE
 * events in order ({@code message_start}, {@code content_block_start}, {@code content_block_delta}
 * with {@code text_delta} or {@code input_json_delta}, {@code content_block_stop},
 * {@code message_delta} with the stop reason and usage, {@code message_stop}); errors as
 * {@code {"type":"error","error":{"type","message"}}}. Stateful: one instance per request.
 */
final class AnthropicDialect implements ClientDialect {

    private final String messageId;
    private final String model;
    private boolean started;
    /** Anthropic index of the open block, -1 when none is open. */
    private int open = -1;
    private String openType;
    private int blocks;
    private final Map<Integer, Integer> toolBlocks = new HashMap<>();
    private String stopReason;

    AnthropicDialect(final String requestId, final String model) {
        this.messageId = "msg_" + requestId.replace("-", "");
        this.model = model;
    }

    @Override
    public String endpoint() {
        return "/v1/messages";
    }

    static String stopReason(final String finishReason) {
        if (finishReason == null) {
            return null;
        }
        return switch (finishReason) {
            case "length" -> "max_tokens";
            case "tool_calls", "function_call" -> "tool_use";
            case "content_filter" -> "refusal";
            default -> "end_turn";
        };
    }

    static ObjectNode usage(final ObjectMapper mapper, final Usage usage) {
        final ObjectNode out = mapper.createObjectNode();
        if (usage == null) {
            return out.put("input_tokens", 0).put("output_tokens", 0);
        }
        final long cached = usage.cachedTokens();
        final long created = usage.cacheCreationTokens();
        out.put("input_tokens", Math.max(0, usage.promptTokens() - cached - created));
        out.put("cache_creation_input_tokens", created);
        out.put("cache_read_input_tokens", cached);
        out.put("output_tokens", usage.completionTokens());
        return out;
    }

    private static void event(final ByteArrayOutputStream out, final ObjectMapper mapper,
            final String name, final JsonNode data) throws IOException {
        out.write(("event: " + name + "\ndata: " + mapper.writeValueAsString(data) + "\n\n")
                .getBytes(StandardCharsets.UTF_8));
    }

    private void start(final ByteArrayOutputStream out, final ObjectMapper mapper)
            throws IOException {
        if (started) {
            return;
        }
        started = true;
        final ObjectNode message = mapper.createObjectNode();
        message.put("id", messageId).put("type", "message").put("role", "assistant")
                .put("model", model);
        message.putArray("content");
        message.putNull("stop_reason");
        message.putNull("stop_sequence");
        message.set("usage", usage(mapper, null));
        final ObjectNode data = mapper.createObjectNode().put("type", "message_start");
        data.set("message", message);
        event(out, mapper, "message_start", data);
    }

    private void close(final ByteArrayOutputStream out, final ObjectMapper mapper)
            throws IOException {
        if (open >= 0) {
            event(out, mapper, "content_block_stop", mapper.createObjectNode()
                    .put("type", "content_block_stop").put("index", open));
            open = -1;
            openType = null;
        }
    }

    private void openBlock(final ByteArrayOutputStream out, final ObjectMapper mapper,
            final ObjectNode block) throws IOException {
        close(out, mapper);
        open = blocks++;
        openType = block.path("type").asText();
        final ObjectNode data = mapper.createObjectNode().put("type", "content_block_start")
                .put("index", open);
        data.set("content_block", block);
        event(out, mapper, "content_block_start", data);
    }

    @Override
    public byte[] chunk(final ChatChunk chunk, final ObjectMapper mapper) throws IOException {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        start(out, mapper);
        for (final ChatChunk.ChunkChoice choice : chunk.choices()) {
            final ChatMessage delta = choice.delta();
            if (delta != null) {
                final String text = delta.content() != null && delta.content().isTextual()
                        ? delta.content().asText() : "";
                if (!text.isEmpty()) {
                    if (!"text".equals(openType)) {
                        final ObjectNode block = mapper.createObjectNode().put("type", "text")
                                .put("text", "");
                        openBlock(out, mapper, block);
                    }
                    final ObjectNode data = mapper.createObjectNode()
                            .put("type", "content_block_delta").put("index", open);
                    data.putObject("delta").put("type", "text_delta").put("text", text);
                    event(out, mapper, "content_block_delta", data);
                }
                if (delta.toolCalls() != null) {
                    for (final ToolCall call : delta.toolCalls()) {
                        tool(out, mapper, call);
                    }
                }
            }
            if (choice.finishReason() != null) {
                stopReason = stopReason(choice.finishReason());
            }
        }
        return out.toByteArray();
    }

    private void tool(final ByteArrayOutputStream out, final ObjectMapper mapper,
            final ToolCall call) throws IOException {
        final int index = call.index() == null ? 0 : call.index();
        Integer block = toolBlocks.get(index);
        if (block == null) {
            final ObjectNode start = mapper.createObjectNode().put("type", "tool_use")
                    .put("id", call.id() == null ? "toolu_" + messageId + "_" + index
                            : call.id())
                    .put("name", call.function() == null ? "" : call.function().name());
            start.putObject("input");
            openBlock(out, mapper, start);
            block = open;
            toolBlocks.put(index, block);
        } else if (block != open) {
            // Anthropic blocks do not interleave: a fragment for an earlier call after another
            // block started cannot be expressed; the canonical stream never does this
            return;
        }
        final String fragment = call.function() == null || call.function().arguments() == null
                ? "" : call.function().arguments();
        if (!fragment.isEmpty()) {
            final ObjectNode data = mapper.createObjectNode().put("type", "content_block_delta")
                    .put("index", block);
            data.putObject("delta").put("type", "input_json_delta")
                    .put("partial_json", fragment);
            event(out, mapper, "content_block_delta", data);
        }
    }

    @Override
    public byte[] end(final Usage usage, final ObjectMapper mapper) throws IOException {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        start(out, mapper);
        close(out, mapper);
        final ObjectNode delta = mapper.createObjectNode().put("type", "message_delta");
        delta.putObject("delta").put("stop_reason", stopReason == null ? "end_turn"
                : stopReason).putNull("stop_sequence");
        delta.set("usage", usage(mapper, usage));
        event(out, mapper, "message_delta", delta);
        event(out, mapper, "message_stop", mapper.createObjectNode().put("type",
                "message_stop"));
        return out.toByteArray();
    }

    @Override
    public byte[] response(final ChatResponse answer, final ObjectMapper mapper)
            throws IOException {
        final ObjectNode message = mapper.createObjectNode();
        message.put("id", messageId).put("type", "message").put("role", "assistant")
                .put("model", model);
        final ArrayNode content = message.putArray("content");
        String finish = null;
        if (!answer.choices().isEmpty()) {
            final ChatResponse.Choice choice = answer.choices().get(0);
            finish = choice.finishReason();
            final ChatMessage reply = choice.message();
            if (reply != null) {
                final String text = reply.text();
                if (text != null && !text.isEmpty()) {
                    content.addObject().put("type", "text").put("text", text);
                }
                if (reply.toolCalls() != null) {
                    for (final ToolCall call : reply.toolCalls()) {
                        final ObjectNode use = content.addObject().put("type", "tool_use")
                                .put("id", call.id()).put("name", call.function().name());
                        final String arguments = call.function().arguments();
                        JsonNode input;
                        try {
                            input = arguments == null || arguments.isBlank()
                                    ? mapper.createObjectNode() : mapper.readTree(arguments);
                        } catch (final IOException e) {
                            input = mapper.createObjectNode().put("_raw", arguments);
                        }
                        use.set("input", input);
                    }
                }
            }
        }
        message.put("stop_reason", finish == null ? "end_turn" : stopReason(finish));
        message.putNull("stop_sequence");
        message.set("usage", usage(mapper, answer.usage()));
        return mapper.writeValueAsBytes(message);
    }

    @Override
    public byte[] streamError(final ApiError error, final ObjectMapper mapper)
            throws IOException {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        event(out, mapper, "error", json(mapper, error));
        return out.toByteArray();
    }

    /** Anthropic's error type for an HTTP status. */
    static String errorType(final ApiError error) {
        return switch (error.status()) {
            case 400 -> "invalid_request_error";
            case 401 -> "authentication_error";
            case 403 -> "permission_error";
            case 404 -> "not_found_error";
            case 413 -> "request_too_large";
            case 429 -> "rate_limit_error";
            case 503, 529 -> "overloaded_error";
            default -> "api_error";
        };
    }

    static ObjectNode json(final ObjectMapper mapper, final ApiError error) {
        final ObjectNode root = mapper.createObjectNode().put("type", "error");
        root.putObject("error").put("type", errorType(error)).put("message", error.message());
        return root;
    }

    @Override
    public void error(final HttpServletResponse response, final ObjectMapper mapper,
            final ApiError error, final String requestId) throws IOException {
        write(response, mapper, error, requestId);
    }

    static void write(final HttpServletResponse response, final ObjectMapper mapper,
            final ApiError error, final String requestId) throws IOException {
        if (response.isCommitted()) {
            return;
        }
        response.resetBuffer();
        response.setStatus(error.status());
        if (error.status() == 413) {
            response.setHeader("Connection", "close");
        }
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        if (requestId != null) {
            response.setHeader("x-lodestar-request-id", requestId);
            response.setHeader("request-id", requestId);
        }
        if (error.retryAfterSeconds() > 0) {
            response.setHeader("Retry-After", Long.toString(error.retryAfterSeconds()));
        }
        mapper.writeValue(response.getOutputStream(), json(mapper, error));
    }
}
