package lodestar.provider.ollama.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import lodestar.api.chat.ChatChunk;
import lodestar.api.chat.ChatMessage;
import lodestar.api.chat.ChatRequest;
import lodestar.api.chat.ChatResponse;
import lodestar.api.chat.ToolCall;
import lodestar.api.chat.Usage;
import lodestar.provider.ollama.internal.OllamaSettings.ModelMeta;

/**
 * Translates between the canonical (OpenAI-shaped) chat model and Ollama's native
 * {@code /api/chat}: the request body, each NDJSON line of a stream, and a complete answer.
 */
final class OllamaTranslator {

    static final String CHUNK_OBJECT = "chat.completion.chunk";
    static final String RESPONSE_OBJECT = "chat.completion";

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final ObjectMapper mapper;
    private final LongSupplier nowSeconds;

    /**
     * Creates a translator.
     *
     * @param mapper the component's mapper
     * @param nowSeconds the clock, Unix seconds, for answers without {@code created_at}
     */
    OllamaTranslator(final ObjectMapper mapper, final LongSupplier nowSeconds) {
        this.mapper = mapper;
        this.nowSeconds = nowSeconds;
    }

    /** A request that Ollama cannot take. */
    static final class InvalidRequestException extends Exception {
        private static final long serialVersionUID = 1L;

        InvalidRequestException(final String message) {
            super(message);
        }
    }

    /**
     * Builds the native {@code /api/chat} body.
     *
     * @param request the canonical request
     * @param stream whether to stream
     * @param keepAlive Ollama's {@code keep_alive}, empty to leave it out
     * @param meta what the configuration says about the model
     * @return the body
     * @throws InvalidRequestException when the request holds something Ollama cannot take
     */
    ObjectNode request(final ChatRequest request, final boolean stream, final String keepAlive,
            final ModelMeta meta) throws InvalidRequestException {
        final ObjectNode body = NODES.objectNode();
        body.put("model", request.model());
        final ArrayNode messages = body.putArray("messages");
        final Map<String, String> toolNames = new HashMap<>();
        for (final ChatMessage message : request.messages()) {
            messages.add(message(message, toolNames));
        }
        if (request.hasTools()) {
            body.set("tools", mapper.valueToTree(request.tools()));
        }
        body.put("stream", stream);
        if (keepAlive != null && !keepAlive.isEmpty()) {
            if (keepAlive.matches("-?\\d+")) {
                body.put("keep_alive", Long.parseLong(keepAlive));
            } else {
                body.put("keep_alive", keepAlive);
            }
        }
        final ObjectNode options = options(request, meta);
        if (!options.isEmpty()) {
            body.set("options", options);
        }
        final JsonNode format = format(request.extra().get("response_format"));
        if (format != null) {
            body.set("format", format);
        }
        return body;
    }

    private ObjectNode message(final ChatMessage message, final Map<String, String> toolNames)
            throws InvalidRequestException {
        final ObjectNode out = NODES.objectNode();
        final String role = message.role() == null ? "user"
                : "developer".equals(message.role()) ? "system" : message.role();
        out.put("role", role);
        out.put("content", message.text());
        final List<String> images = images(message.content());
        if (!images.isEmpty()) {
            final ArrayNode array = out.putArray("images");
            images.forEach(array::add);
        }
        if (message.toolCalls() != null && !message.toolCalls().isEmpty()) {
            final ArrayNode calls = out.putArray("tool_calls");
            for (final ToolCall call : message.toolCalls()) {
                final String name = call.function() == null ? null : call.function().name();
                if (name == null || name.isBlank()) {
                    throw new InvalidRequestException("a tool call has no function name");
                }
                final ObjectNode function = calls.addObject().putObject("function");
                function.put("name", name);
                function.set("arguments", arguments(name, call.function().arguments()));
                if (call.id() != null) {
                    toolNames.put(call.id(), name);
                }
            }
        }
        if ("tool".equals(role)) {
            final String name = message.name() != null ? message.name()
                    : toolNames.get(message.toolCallId());
            if (name != null) {
                out.put("tool_name", name);
            }
        }
        return out;
    }

    private JsonNode arguments(final String name, final String arguments)
            throws InvalidRequestException {
        if (arguments == null || arguments.isBlank()) {
            return NODES.objectNode();
        }
        try {
            final JsonNode parsed = mapper.readTree(arguments);
            if (parsed != null && parsed.isObject()) {
                return parsed;
            }
        } catch (final JsonProcessingException e) {
            // reported below
        }
        throw new InvalidRequestException("the arguments of tool call '" + name
                + "' are not a JSON object");
    }

    private static List<String> images(final JsonNode content) throws InvalidRequestException {
        final List<String> images = new ArrayList<>();
        if (content == null || !content.isArray()) {
            return images;
        }
        for (final JsonNode part : content) {
            if (!"image_url".equals(part.path("type").asText())) {
                continue;
            }
            final JsonNode image = part.path("image_url");
            final String url = image.isTextual() ? image.asText() : image.path("url").asText("");
            final int comma = url.indexOf(',');
            if (!url.startsWith("data:") || comma < 0
                    || !url.substring(0, comma).endsWith(";base64")) {
                throw new InvalidRequestException("Ollama takes images only as base64 data: URLs "
                        + "(data:image/png;base64,...)");
            }
            images.add(url.substring(comma + 1));
        }
        return images;
    }

    private static ObjectNode options(final ChatRequest request, final ModelMeta meta) {
        final ObjectNode options = NODES.objectNode();
        if (request.temperature() != null) {
            options.put("temperature", request.temperature());
        }
        if (request.seed() != null) {
            options.put("seed", request.seed());
        }
        final Integer max = request.maxCompletionTokens() != null
                ? request.maxCompletionTokens() : request.maxTokens();
        if (max != null) {
            options.put("num_predict", max);
        }
        final JsonNode stop = request.extra().get("stop");
        if (stop != null && stop.isTextual()) {
            options.putArray("stop").add(stop.asText());
        } else if (stop != null && stop.isArray() && !stop.isEmpty()) {
            options.set("stop", stop.deepCopy());
        }
        for (final String name : List.of("top_p", "frequency_penalty", "presence_penalty")) {
            final JsonNode value = request.extra().get(name);
            if (value != null && value.isNumber()) {
                options.set(name, value);
            }
        }
        if (meta.numCtx() > 0) {
            options.put("num_ctx", meta.numCtx());
        }
        return options;
    }

    private static JsonNode format(final JsonNode responseFormat) {
        if (responseFormat == null || !responseFormat.isObject()) {
            return null;
        }
        final String type = responseFormat.path("type").asText();
        if ("json_object".equals(type)) {
            return TextNode.valueOf("json");
        }
        if ("json_schema".equals(type)) {
            final JsonNode schema = responseFormat.path("json_schema").path("schema");
            return schema.isObject() ? schema.deepCopy() : TextNode.valueOf("json");
        }
        return null;
    }

    /**
     * The error text of an {@code {"error": ...}} line, else {@code null}.
     *
     * @param line a parsed line
     * @return the error text
     */
    static String error(final JsonNode line) {
        final JsonNode error = line.get("error");
        if (error == null || error.isNull()) {
            return null;
        }
        if (error.isTextual()) {
            return error.asText();
        }
        final JsonNode message = error.get("message");
        return message != null && message.isTextual() ? message.asText() : error.toString();
    }

    /**
     * The usage of a final line, or {@code null} when it reports none.
     *
     * @param line the {@code done: true} line
     * @return the usage
     */
    static Usage usage(final JsonNode line) {
        final JsonNode prompt = line.get("prompt_eval_count");
        final JsonNode eval = line.get("eval_count");
        if (prompt == null && eval == null) {
            return null;
        }
        return Usage.of(prompt == null ? 0 : prompt.asLong(), eval == null ? 0 : eval.asLong());
    }

    /**
     * Translates a complete (non-streamed) native answer.
     *
     * @param answer the answer object
     * @param id the completion id to give it
     * @param requestModel the model asked for, used when the answer names none
     * @return the canonical answer
     */
    ChatResponse response(final JsonNode answer, final String id, final String requestModel) {
        final JsonNode message = answer.path("message");
        final List<ToolCall> calls = toolCalls(message.path("tool_calls"), id, 0, false);
        final String content = message.path("content").asText("");
        final Map<String, JsonNode> extra = new LinkedHashMap<>();
        thinking(message, extra);
        final ChatMessage out = new ChatMessage("assistant",
                content.isEmpty() && !calls.isEmpty() ? null : TextNode.valueOf(content), null,
                calls.isEmpty() ? null : calls, null, extra);
        final String finish = finishReason(answer, !calls.isEmpty());
        return new ChatResponse(id, RESPONSE_OBJECT, created(answer),
                answer.path("model").asText(requestModel),
                List.of(new ChatResponse.Choice(0, out, finish, null)), usage(answer), null);
    }

    /**
     * Translation state of one stream.
     *
     * @param id the completion id of every chunk
     * @param requestModel the model asked for, used when a line names none
     * @return the state
     */
    Stream stream(final String id, final String requestModel) {
        return new Stream(id, requestModel);
    }

    /** Translates the lines of one stream, in order. Not thread-safe (one reader). */
    final class Stream {
        private final String id;
        private final String requestModel;
        private long created = -1;
        private boolean first = true;
        private int toolIndex;
        private boolean sawToolCalls;
        private boolean done;
        private Usage usage;

        private Stream(final String id, final String requestModel) {
            this.id = id;
            this.requestModel = requestModel;
        }

        /**
         * Translates one line (not an error line) into the chunks to deliver: a delta when it
         * carries content, tool calls or reasoning; on the final line also the chunk with
         * {@code finish_reason} and, when Ollama reported counts, the usage-only chunk.
         *
         * @param line the parsed line
         * @return the chunks, possibly none
         */
        List<ChatChunk> next(final JsonNode line) {
            if (created < 0) {
                created = created(line);
            }
            final String model = line.path("model").asText(requestModel);
            final List<ChatChunk> chunks = new ArrayList<>();
            final JsonNode message = line.path("message");
            final String content = message.path("content").asText("");
            final List<ToolCall> calls = toolCalls(message.path("tool_calls"), id, toolIndex,
                    true);
            toolIndex += calls.size();
            sawToolCalls |= !calls.isEmpty();
            final Map<String, JsonNode> extra = new LinkedHashMap<>();
            thinking(message, extra);
            final boolean isDone = line.path("done").asBoolean(false);
            if (!content.isEmpty() || !calls.isEmpty() || !extra.isEmpty()
                    || first && !isDone) {
                final ChatMessage delta = new ChatMessage(first ? "assistant" : null,
                        content.isEmpty() && !calls.isEmpty() ? null : TextNode.valueOf(content),
                        null, calls.isEmpty() ? null : calls, null, extra);
                first = false;
                chunks.add(chunk(model, delta, null, null));
            }
            if (isDone) {
                done = true;
                usage = OllamaTranslator.usage(line);
                final ChatMessage empty = new ChatMessage(first ? "assistant" : null, null, null,
                        null, null, null);
                chunks.add(chunk(model, empty, finishReason(line, sawToolCalls), null));
                if (usage != null) {
                    chunks.add(new ChatChunk(id, CHUNK_OBJECT, created, model, List.of(), usage,
                            null));
                }
            }
            return chunks;
        }

        private ChatChunk chunk(final String model, final ChatMessage delta,
                final String finish, final Usage chunkUsage) {
            return new ChatChunk(id, CHUNK_OBJECT, created, model,
                    List.of(new ChatChunk.ChunkChoice(0, delta, finish, null)), chunkUsage, null);
        }

        /**
         * Whether the final line has been seen.
         *
         * @return {@code true} after the {@code done: true} line
         */
        boolean done() {
            return done;
        }

        /**
         * The usage of the final line.
         *
         * @return the usage, or {@code null}
         */
        Usage usage() {
            return usage;
        }
    }

    private static List<ToolCall> toolCalls(final JsonNode calls, final String id,
            final int start, final boolean indexed) {
        final List<ToolCall> out = new ArrayList<>();
        if (!calls.isArray()) {
            return out;
        }
        int index = start;
        for (final JsonNode call : calls) {
            final JsonNode function = call.path("function");
            final JsonNode arguments = function.get("arguments");
            final String argumentsText = arguments == null || arguments.isNull() ? "{}"
                    : arguments.isTextual() ? arguments.asText() : arguments.toString();
            final String callId = call.hasNonNull("id") ? call.get("id").asText()
                    : "call_" + id + "_" + index;
            out.add(new ToolCall(indexed ? index : null, callId, "function",
                    new ToolCall.FunctionCall(function.path("name").asText(), argumentsText),
                    null));
            index++;
        }
        return out;
    }

    private static void thinking(final JsonNode message, final Map<String, JsonNode> extra) {
        final String thinking = message.path("thinking").asText("");
        if (!thinking.isEmpty()) {
            extra.put("reasoning_content", TextNode.valueOf(thinking));
        }
    }

    private static String finishReason(final JsonNode line, final boolean toolCalls) {
        if (toolCalls) {
            return "tool_calls";
        }
        return "length".equals(line.path("done_reason").asText()) ? "length" : "stop";
    }

    private long created(final JsonNode line) {
        final String text = line.path("created_at").asText("");
        if (!text.isEmpty()) {
            try {
                return OffsetDateTime.parse(text).toEpochSecond();
            } catch (final DateTimeParseException ignored) {
                // fall through to the clock
            }
        }
        return nowSeconds.getAsLong();
    }
}
