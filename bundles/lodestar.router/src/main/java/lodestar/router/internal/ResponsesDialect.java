package lodestar.router.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import lodestar.api.chat.ChatChunk;
import lodestar.api.chat.ChatMessage;
import lodestar.api.chat.ChatResponse;
import lodestar.api.chat.ToolCall;
import lodestar.api.chat.Usage;

/**
 * OpenAI Responses answers from canonical ones: a {@code response} object, or the stream of
 * {@code response.*} events ({@code response.created}, {@code response.in_progress},
 * {@code response.output_item.added}, {@code response.content_part.added},
 * {@code response.output_text.delta}/{@code .done}, {@code response.function_call_arguments.delta}
 * /{@code .done}, {@code response.output_item.done}, {@code response.completed} with usage), each
 * with its {@code sequence_number}. Stateful: one instance per request.
 */
final class ResponsesDialect implements ClientDialect {

    private final String responseId;
    private final String model;
    private final long createdAt = Instant.now().getEpochSecond();
    private int sequence;
    private boolean started;
    /** Output items in order: a message item and function-call items. */
    private final List<ObjectNode> items = new ArrayList<>();
    private ObjectNode messageItem;
    private final StringBuilder text = new StringBuilder();
    private final Map<Integer, ObjectNode> calls = new LinkedHashMap<>();
    private final Map<Integer, StringBuilder> arguments = new LinkedHashMap<>();
    private ObjectNode openItem;
    private String finish;

    ResponsesDialect(final String requestId, final String model) {
        this.responseId = "resp_" + requestId.replace("-", "");
        this.model = model;
    }

    @Override
    public String endpoint() {
        return "/v1/responses";
    }

    private void event(final ByteArrayOutputStream out, final ObjectMapper mapper,
            final String type, final ObjectNode data) throws IOException {
        data.put("type", type).put("sequence_number", sequence++);
        out.write(("event: " + type + "\ndata: " + mapper.writeValueAsString(data) + "\n\n")
                .getBytes(StandardCharsets.UTF_8));
    }

    private ObjectNode response(final ObjectMapper mapper, final String status,
            final Usage usage) {
        final ObjectNode response = mapper.createObjectNode();
        response.put("id", responseId).put("object", "response").put("created_at", createdAt)
                .put("status", status).put("model", model);
        final ArrayNode output = response.putArray("output");
        items.forEach(output::add);
        if ("length".equals(finish)) {
            response.putObject("incomplete_details").put("reason", "max_output_tokens");
        } else {
            response.putNull("incomplete_details");
        }
        response.putNull("error");
        if (usage != null) {
            response.set("usage", usage(mapper, usage));
        } else {
            response.putNull("usage");
        }
        return response;
    }

    static ObjectNode usage(final ObjectMapper mapper, final Usage usage) {
        final ObjectNode out = mapper.createObjectNode();
        out.put("input_tokens", usage.promptTokens());
        out.putObject("input_tokens_details").put("cached_tokens", usage.cachedTokens());
        out.put("output_tokens", usage.completionTokens());
        out.putObject("output_tokens_details").put("reasoning_tokens", 0);
        out.put("total_tokens", usage.promptTokens() + usage.completionTokens());
        return out;
    }

    private void start(final ByteArrayOutputStream out, final ObjectMapper mapper)
            throws IOException {
        if (started) {
            return;
        }
        started = true;
        final ObjectNode created = mapper.createObjectNode();
        created.set("response", response(mapper, "in_progress", null));
        event(out, mapper, "response.created", created);
        final ObjectNode progress = mapper.createObjectNode();
        progress.set("response", response(mapper, "in_progress", null));
        event(out, mapper, "response.in_progress", progress);
    }

    private int indexOf(final ObjectNode item) {
        for (int i = 0; i < items.size(); i++) {
            if (items.get(i) == item) {
                return i;
            }
        }
        return -1;
    }

    private void closeOpen(final ByteArrayOutputStream out, final ObjectMapper mapper)
            throws IOException {
        if (openItem == null) {
            return;
        }
        final int index = indexOf(openItem);
        if (openItem == messageItem) {
            final ObjectNode done = mapper.createObjectNode().put("item_id", openItem.path("id")
                    .asText()).put("output_index", index).put("content_index", 0)
                    .put("text", text.toString());
            event(out, mapper, "response.output_text.done", done);
            final ObjectNode part = mapper.createObjectNode().put("type", "output_text")
                    .put("text", text.toString());
            part.putArray("annotations");
            ((ArrayNode) openItem.get("content")).removeAll().add(part);
            final ObjectNode partDone = mapper.createObjectNode().put("item_id", openItem
                    .path("id").asText()).put("output_index", index).put("content_index", 0);
            partDone.set("part", part);
            event(out, mapper, "response.content_part.done", partDone);
        } else {
            for (final Map.Entry<Integer, ObjectNode> entry : calls.entrySet()) {
                if (entry.getValue() == openItem) {
                    final String args = arguments.get(entry.getKey()).toString();
                    openItem.put("arguments", args);
                    event(out, mapper, "response.function_call_arguments.done", mapper
                            .createObjectNode().put("item_id", openItem.path("id").asText())
                            .put("output_index", index).put("arguments", args));
                }
            }
        }
        openItem.put("status", "completed");
        final ObjectNode done = mapper.createObjectNode().put("output_index", index);
        done.set("item", openItem);
        event(out, mapper, "response.output_item.done", done);
        openItem = null;
    }

    @Override
    public byte[] chunk(final ChatChunk chunk, final ObjectMapper mapper) throws IOException {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        start(out, mapper);
        for (final ChatChunk.ChunkChoice choice : chunk.choices()) {
            final ChatMessage delta = choice.delta();
            if (delta != null) {
                final String piece = delta.content() != null && delta.content().isTextual()
                        ? delta.content().asText() : "";
                if (!piece.isEmpty()) {
                    textDelta(out, mapper, piece);
                }
                if (delta.toolCalls() != null) {
                    for (final ToolCall call : delta.toolCalls()) {
                        callDelta(out, mapper, call);
                    }
                }
            }
            if (choice.finishReason() != null) {
                finish = choice.finishReason();
            }
        }
        return out.toByteArray();
    }

    private void textDelta(final ByteArrayOutputStream out, final ObjectMapper mapper,
            final String piece) throws IOException {
        if (messageItem == null) {
            closeOpen(out, mapper);
            messageItem = mapper.createObjectNode().put("type", "message")
                    .put("id", "msg_" + responseId.substring(5)).put("status", "in_progress")
                    .put("role", "assistant");
            messageItem.putArray("content");
            items.add(messageItem);
            openItem = messageItem;
            final int index = items.size() - 1;
            final ObjectNode added = mapper.createObjectNode().put("output_index", index);
            added.set("item", messageItem.deepCopy());
            event(out, mapper, "response.output_item.added", added);
            final ObjectNode part = mapper.createObjectNode().put("item_id", messageItem
                    .path("id").asText()).put("output_index", index).put("content_index", 0);
            part.putObject("part").put("type", "output_text").put("text", "")
                    .putArray("annotations");
            event(out, mapper, "response.content_part.added", part);
        }
        text.append(piece);
        event(out, mapper, "response.output_text.delta", mapper.createObjectNode()
                .put("item_id", messageItem.path("id").asText())
                .put("output_index", indexOf(messageItem)).put("content_index", 0)
                .put("delta", piece));
    }

    private void callDelta(final ByteArrayOutputStream out, final ObjectMapper mapper,
            final ToolCall call) throws IOException {
        final int index = call.index() == null ? 0 : call.index();
        ObjectNode item = calls.get(index);
        if (item == null) {
            closeOpen(out, mapper);
            final String callId = call.id() == null ? "call_" + index : call.id();
            item = mapper.createObjectNode().put("type", "function_call")
                    .put("id", "fc_" + callId).put("call_id", callId)
                    .put("name", call.function() == null ? "" : call.function().name())
                    .put("arguments", "").put("status", "in_progress");
            calls.put(index, item);
            arguments.put(index, new StringBuilder());
            items.add(item);
            openItem = item;
            final ObjectNode added = mapper.createObjectNode().put("output_index",
                    items.size() - 1);
            added.set("item", item.deepCopy());
            event(out, mapper, "response.output_item.added", added);
        }
        final String fragment = call.function() == null || call.function().arguments() == null
                ? "" : call.function().arguments();
        if (!fragment.isEmpty()) {
            arguments.get(index).append(fragment);
            event(out, mapper, "response.function_call_arguments.delta", mapper
                    .createObjectNode().put("item_id", item.path("id").asText())
                    .put("output_index", indexOf(item)).put("delta", fragment));
        }
    }

    @Override
    public byte[] end(final Usage usage, final ObjectMapper mapper) throws IOException {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        start(out, mapper);
        closeOpen(out, mapper);
        final ObjectNode completed = mapper.createObjectNode();
        completed.set("response", response(mapper, "length".equals(finish) ? "incomplete"
                : "completed", usage));
        event(out, mapper, "length".equals(finish) ? "response.incomplete"
                : "response.completed", completed);
        return out.toByteArray();
    }

    @Override
    public byte[] response(final ChatResponse answer, final ObjectMapper mapper)
            throws IOException {
        if (!answer.choices().isEmpty()) {
            final ChatResponse.Choice choice = answer.choices().get(0);
            finish = choice.finishReason();
            final ChatMessage reply = choice.message();
            if (reply != null && reply.text() != null && !reply.text().isEmpty()) {
                final ObjectNode message = mapper.createObjectNode().put("type", "message")
                        .put("id", "msg_" + responseId.substring(5)).put("status", "completed")
                        .put("role", "assistant");
                final ObjectNode part = message.putArray("content").addObject()
                        .put("type", "output_text").put("text", reply.text());
                part.putArray("annotations");
                items.add(message);
            }
            if (reply != null && reply.toolCalls() != null) {
                for (final ToolCall call : reply.toolCalls()) {
                    items.add(mapper.createObjectNode().put("type", "function_call")
                            .put("id", "fc_" + call.id()).put("call_id", call.id())
                            .put("name", call.function().name())
                            .put("arguments", call.function().arguments())
                            .put("status", "completed"));
                }
            }
        }
        return mapper.writeValueAsBytes(response(mapper, "length".equals(finish)
                ? "incomplete" : "completed", answer.usage()));
    }

    @Override
    public byte[] streamError(final ApiError error, final ObjectMapper mapper)
            throws IOException {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ObjectNode failed = mapper.createObjectNode();
        final ObjectNode response = response(mapper, "failed", null);
        response.putObject("error").put("code", error.code() == null ? "server_error"
                : error.code()).put("message", error.message());
        failed.set("response", response);
        event(out, mapper, "response.failed", failed);
        return out.toByteArray();
    }

    @Override
    public void error(final HttpServletResponse response, final ObjectMapper mapper,
            final ApiError error, final String requestId) throws IOException {
        Responses.error(response, mapper, error, requestId);
    }
}
