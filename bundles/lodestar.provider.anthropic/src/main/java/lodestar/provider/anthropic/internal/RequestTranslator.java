package lodestar.provider.anthropic.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import lodestar.api.chat.ChatMessage;
import lodestar.api.chat.ChatRequest;
import lodestar.api.chat.ToolCall;
import lodestar.api.chat.ToolDefinition;

/**
 * Translates a canonical (OpenAI Chat Completions shaped) {@link ChatRequest} into the body of
 * an Anthropic {@code POST /v1/messages}.
 *
 * <ul>
 *   <li>{@code system} and {@code developer} messages, wherever they are, become the top-level
 *       {@code system} (a string, or text blocks when a part carries {@code cache_control}).</li>
 *   <li>{@code user} content: strings stay strings; parts become blocks ({@code text},
 *       {@code image_url} data URLs and http(s) URLs become {@code image} blocks with a
 *       {@code base64} or {@code url} source, PDF {@code file} data URLs become
 *       {@code document} blocks); {@code cache_control} on a part is kept; parts already in
 *       Anthropic's shape pass unchanged.</li>
 *   <li>{@code assistant} text and {@code tool_calls} become {@code text} and {@code tool_use}
 *       blocks (arguments parsed into {@code input}); {@code tool} messages become
 *       {@code tool_result} blocks of a user turn. Consecutive turns of one role are merged, so
 *       consecutive tool results form one user turn.</li>
 *   <li>{@code tools}, {@code tool_choice} ({@code auto}, {@code none}, {@code required} to
 *       {@code any}, a named function to {@code tool}; {@code parallel_tool_calls: false} to
 *       {@code disable_parallel_tool_use}), {@code temperature} (clamped to 0..1),
 *       {@code top_p} (only without {@code temperature}: recent Claude models reject both),
 *       {@code stop} to {@code stop_sequences}, {@code max_completion_tokens} or
 *       {@code max_tokens} (else the configured default), {@code user} to
 *       {@code metadata.user_id}.</li>
 *   <li>Anthropic's own fields found in {@code extra} ({@code top_k}, {@code thinking},
 *       {@code metadata}, {@code stop_sequences}, {@code system}, {@code service_tier},
 *       {@code container}, {@code mcp_servers}, {@code context_management}) pass through.</li>
 *   <li>Fields that change the shape of the answer the client expects ({@code n} other than 1,
 *       {@code logprobs}, {@code top_logprobs}, {@code response_format} other than text,
 *       {@code audio}, non-text {@code modalities}, legacy {@code functions}/{@code function_call},
 *       {@code web_search_options}) fail the call with {@link TranslationException}; every
 *       other field (sampling hints such as {@code seed}, {@code frequency_penalty},
 *       {@code logit_bias}, {@code stream_options}, {@code store}, vendor extensions) is dropped,
 *       because the Messages API rejects fields it does not know.</li>
 * </ul>
 */
final class RequestTranslator {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final Pattern DATA_URL = Pattern.compile(
            "data:([^;,]+)((?:;[^;,]*)*);base64,(.*)", Pattern.DOTALL);
    private static final Set<String> IMAGE_TYPES = Set.of("image/jpeg", "image/png",
            "image/gif", "image/webp");
    /** Block types of Anthropic's own, passed unchanged. */
    private static final Set<String> NATIVE_BLOCKS = Set.of("image", "document", "tool_use",
            "tool_result", "thinking", "redacted_thinking", "search_result", "server_tool_use",
            "web_search_tool_result", "container_upload");
    /** Anthropic fields passed through from {@code extra}. */
    private static final List<String> NATIVE_FIELDS = List.of("top_k", "thinking",
            "container", "mcp_servers", "context_management");
    private static final Set<String> TOOL_CHOICES = Set.of("auto", "any", "tool", "none");

    private RequestTranslator() {
    }

    /**
     * Translates a request.
     *
     * @param request the canonical request, its {@code model} the upstream model id
     * @param maxTokensDefault {@code max_tokens} when the request sets none
     * @param mapper JSON mapper, to read tool-call arguments
     * @return the Anthropic request body
     * @throws TranslationException when the request cannot be expressed for Anthropic
     */
    static ObjectNode toNative(final ChatRequest request, final int maxTokensDefault,
            final ObjectMapper mapper) {
        final Map<String, JsonNode> extra = request.extra();
        reject(extra);
        final ObjectNode body = NODES.objectNode();
        body.put("model", request.model());
        final Integer asked = request.maxCompletionTokens() != null
                ? request.maxCompletionTokens() : request.maxTokens();
        if (asked != null && asked <= 0) {
            throw new TranslationException("max_tokens must be positive (is " + asked + ")");
        }
        body.put("max_tokens", asked != null ? asked : maxTokensDefault);

        final ArrayNode system = NODES.arrayNode();
        final JsonNode nativeSystem = extra.get("system");
        if (nativeSystem != null && nativeSystem.isTextual()) {
            system.add(text(nativeSystem.asText()));
        } else if (nativeSystem != null && nativeSystem.isArray()) {
            nativeSystem.forEach(system::add);
        }
        final List<ObjectNode> turns = new ArrayList<>();
        for (final ChatMessage message : request.messages()) {
            final String role = message.role() == null ? "" : message.role();
            switch (role) {
                case "system", "developer" -> system(message, system);
                case "user" -> add(turns, "user", userContent(message.content(), "user"));
                case "assistant" -> add(turns, "assistant", assistantContent(message, mapper));
                case "tool" -> add(turns, "user", toolResult(message));
                default -> throw new TranslationException("message role '" + role
                        + "' has no Anthropic equivalent (use system, user, assistant or tool)");
            }
        }
        if (!system.isEmpty()) {
            body.set("system", systemValue(system));
        }
        final ArrayNode messages = body.putArray("messages");
        turns.forEach(messages::add);

        if (request.isStreaming()) {
            body.put("stream", true);
        }
        if (request.temperature() != null) {
            body.put("temperature", Math.max(0.0, Math.min(1.0, request.temperature())));
        }
        final JsonNode topP = extra.get("top_p");
        if (topP != null && topP.isNumber() && request.temperature() == null) {
            body.set("top_p", topP);
        }
        stopSequences(extra, body);
        metadata(extra, body);
        final JsonNode tier = extra.get("service_tier");
        if (tier != null && (tier.asText().equals("auto")
                || tier.asText().equals("standard_only"))) {
            body.set("service_tier", tier);
        }
        for (final String name : NATIVE_FIELDS) {
            final JsonNode value = extra.get(name);
            if (value != null && !value.isNull()) {
                body.set(name, value);
            }
        }
        if (request.hasTools()) {
            final ArrayNode tools = body.putArray("tools");
            for (final ToolDefinition tool : request.tools()) {
                tools.add(tool(tool));
            }
            final ObjectNode choice = toolChoice(extra.get("tool_choice"));
            final JsonNode parallel = extra.get("parallel_tool_calls");
            final boolean serial = parallel != null && parallel.isBoolean()
                    && !parallel.asBoolean();
            if (serial && (choice == null || !"none".equals(choice.path("type").asText()))) {
                final ObjectNode withSerial = choice != null ? choice
                        : NODES.objectNode().put("type", "auto");
                withSerial.put("disable_parallel_tool_use", true);
                body.set("tool_choice", withSerial);
            } else if (choice != null) {
                body.set("tool_choice", choice);
            }
        }
        return body;
    }

    /** Fails for fields whose loss would change the answer the client expects. */
    private static void reject(final Map<String, JsonNode> extra) {
        final JsonNode n = extra.get("n");
        if (n != null && !n.isNull() && n.asInt(1) != 1) {
            throw new TranslationException("n=" + n.asText() + " is not supported by Anthropic: "
                    + "it returns one answer per request");
        }
        if (extra.containsKey("logprobs") && extra.get("logprobs").asBoolean(false)
                || extra.containsKey("top_logprobs") && extra.get("top_logprobs").asInt(0) > 0) {
            throw new TranslationException("logprobs are not available from Anthropic");
        }
        final JsonNode format = extra.get("response_format");
        if (format != null && !format.isNull()
                && !"text".equals(format.path("type").asText("text"))) {
            throw new TranslationException("response_format '" + format.path("type").asText()
                    + "' is not supported by Anthropic; describe the JSON in the prompt or "
                    + "use a tool");
        }
        boolean audio = extra.containsKey("audio") && !extra.get("audio").isNull();
        final JsonNode modalities = extra.get("modalities");
        if (modalities != null && modalities.isArray()) {
            for (final JsonNode modality : modalities) {
                audio |= !"text".equals(modality.asText());
            }
        }
        if (audio) {
            throw new TranslationException("audio output is not available from Anthropic");
        }
        if (extra.containsKey("functions") || extra.containsKey("function_call")) {
            throw new TranslationException("legacy functions/function_call are not translated; "
                    + "use tools and tool_choice");
        }
        if (extra.containsKey("web_search_options")) {
            throw new TranslationException("web_search_options is not translated; offer "
                    + "Anthropic's web_search tool instead");
        }
    }

    private static ObjectNode text(final String text) {
        return NODES.objectNode().put("type", "text").put("text", text);
    }

    private static void system(final ChatMessage message, final ArrayNode system) {
        final JsonNode content = message.content();
        if (content == null || content.isNull()) {
            return;
        }
        if (content.isTextual()) {
            if (!content.asText().isEmpty()) {
                system.add(text(content.asText()));
            }
            return;
        }
        if (!content.isArray()) {
            throw new TranslationException("system message content must be a string or parts");
        }
        for (final JsonNode part : content) {
            if (!"text".equals(part.path("type").asText())) {
                throw new TranslationException("system messages can only hold text parts for "
                        + "Anthropic (found '" + part.path("type").asText() + "')");
            }
            if (!part.path("text").asText().isEmpty()) {
                system.add(textBlock(part));
            }
        }
    }

    /** A string when no block carries more than its text, else the blocks. */
    private static JsonNode systemValue(final ArrayNode blocks) {
        final StringBuilder joined = new StringBuilder();
        for (final JsonNode block : blocks) {
            if (block.size() != 2 || !"text".equals(block.path("type").asText())) {
                return blocks;
            }
            if (joined.length() > 0) {
                joined.append("\n\n");
            }
            joined.append(block.path("text").asText());
        }
        return TextNode.valueOf(joined.toString());
    }

    /** Appends a turn, merging it into the previous one of the same role. */
    private static void add(final List<ObjectNode> turns, final String role,
            final JsonNode content) {
        if (content == null) {
            return;
        }
        final ObjectNode last = turns.isEmpty() ? null : turns.get(turns.size() - 1);
        if (last != null && role.equals(last.path("role").asText())) {
            final ArrayNode blocks = blocks(last.get("content"));
            blocks.addAll(blocks(content));
            last.set("content", blocks);
            return;
        }
        final ObjectNode turn = NODES.objectNode().put("role", role);
        turn.set("content", content);
        turns.add(turn);
    }

    private static ArrayNode blocks(final JsonNode content) {
        if (content.isArray()) {
            return ((ArrayNode) content).deepCopy();
        }
        return NODES.arrayNode().add(text(content.asText()));
    }

    /** User (or tool result) content: a string, or blocks. */
    private static JsonNode userContent(final JsonNode content, final String where) {
        if (content == null || content.isNull()) {
            return TextNode.valueOf("");
        }
        if (content.isTextual()) {
            return content;
        }
        if (!content.isArray()) {
            throw new TranslationException(where + " message content must be a string or an "
                    + "array of parts");
        }
        final ArrayNode blocks = NODES.arrayNode();
        for (final JsonNode part : content) {
            final ObjectNode block = userBlock(part);
            if (block != null) {
                blocks.add(block);
            }
        }
        return blocks;
    }

    private static ObjectNode userBlock(final JsonNode part) {
        if (!part.isObject()) {
            throw new TranslationException("content parts must be objects");
        }
        final String type = part.path("type").asText();
        switch (type) {
            case "text" -> {
                return part.path("text").asText().isEmpty() ? null : textBlock(part);
            }
            case "image_url" -> {
                final JsonNode image = part.path("image_url");
                return withCache(image(image.isTextual() ? image.asText()
                        : image.path("url").asText()), part);
            }
            case "file" -> {
                return withCache(document(part.path("file")), part);
            }
            case "input_audio" -> throw new TranslationException(
                    "audio input has no Anthropic equivalent");
            default -> {
                if (NATIVE_BLOCKS.contains(type)) {
                    return (ObjectNode) part;
                }
                throw new TranslationException("content part type '" + type
                        + "' has no Anthropic equivalent");
            }
        }
    }

    private static ObjectNode textBlock(final JsonNode part) {
        return withCache(text(part.path("text").asText()), part);
    }

    private static ObjectNode withCache(final ObjectNode block, final JsonNode part) {
        final JsonNode cache = part.get("cache_control");
        if (cache != null && !cache.isNull()) {
            block.set("cache_control", cache);
        }
        return block;
    }

    private static ObjectNode image(final String url) {
        final ObjectNode block = NODES.objectNode().put("type", "image");
        final Matcher data = DATA_URL.matcher(url);
        if (data.matches()) {
            final String mediaType = data.group(1).trim().toLowerCase(Locale.ROOT);
            if (!IMAGE_TYPES.contains(mediaType)) {
                throw new TranslationException("image type '" + mediaType + "' is not supported "
                        + "by Anthropic (jpeg, png, gif, webp)");
            }
            block.putObject("source").put("type", "base64").put("media_type", mediaType)
                    .put("data", data.group(3));
            return block;
        }
        final String lower = url.toLowerCase(Locale.ROOT);
        if (lower.startsWith("https://") || lower.startsWith("http://")) {
            block.putObject("source").put("type", "url").put("url", url);
            return block;
        }
        throw new TranslationException("image_url must be a base64 data URL or an http(s) URL");
    }

    private static ObjectNode document(final JsonNode file) {
        final Matcher data = DATA_URL.matcher(file.path("file_data").asText());
        if (!data.matches() || !"application/pdf".equalsIgnoreCase(data.group(1).trim())) {
            throw new TranslationException("file parts are translated only as PDF data "
                    + "(file_data: data:application/pdf;base64,...); file_id is not supported");
        }
        final ObjectNode block = NODES.objectNode().put("type", "document");
        block.putObject("source").put("type", "base64").put("media_type", "application/pdf")
                .put("data", data.group(3));
        if (file.path("filename").isTextual()) {
            block.put("title", file.path("filename").asText());
        }
        return block;
    }

    /** Assistant text and tool calls as blocks; {@code null} when there is nothing. */
    private static JsonNode assistantContent(final ChatMessage message,
            final ObjectMapper mapper) {
        final ArrayNode blocks = NODES.arrayNode();
        final JsonNode content = message.content();
        if (content != null && content.isTextual()) {
            if (!content.asText().isEmpty()) {
                blocks.add(text(content.asText()));
            }
        } else if (content != null && content.isArray()) {
            for (final JsonNode part : content) {
                final String type = part.path("type").asText();
                if (type.equals("text") || type.equals("refusal")) {
                    final String text = part.path(type).asText();
                    if (!text.isEmpty()) {
                        blocks.add(withCache(text(text), part));
                    }
                } else if (NATIVE_BLOCKS.contains(type)) {
                    blocks.add(part);
                } else {
                    throw new TranslationException("assistant content part type '" + type
                            + "' has no Anthropic equivalent");
                }
            }
        } else if (content != null && !content.isNull()) {
            throw new TranslationException("assistant message content must be a string or "
                    + "an array of parts");
        }
        if (message.toolCalls() != null) {
            for (final ToolCall call : message.toolCalls()) {
                blocks.add(toolUse(call, mapper));
            }
        }
        if (blocks.isEmpty()) {
            return null;
        }
        if (blocks.size() == 1 && blocks.get(0).size() == 2
                && "text".equals(blocks.get(0).path("type").asText())) {
            return blocks.get(0).get("text");
        }
        return blocks;
    }

    private static ObjectNode toolUse(final ToolCall call, final ObjectMapper mapper) {
        if (call.id() == null || call.id().isBlank() || call.function() == null
                || call.function().name() == null) {
            throw new TranslationException("an assistant tool call lacks its id or name");
        }
        final String arguments = call.function().arguments();
        JsonNode input;
        try {
            input = arguments == null || arguments.isBlank() ? NODES.objectNode()
                    : mapper.readTree(arguments);
        } catch (final JsonProcessingException e) {
            input = null;
        }
        if (input == null || !input.isObject()) {
            throw new TranslationException("the arguments of tool call " + call.id()
                    + " are not a JSON object");
        }
        final ObjectNode block = NODES.objectNode().put("type", "tool_use").put("id", call.id())
                .put("name", call.function().name());
        block.set("input", input);
        return block;
    }

    private static JsonNode toolResult(final ChatMessage message) {
        if (message.toolCallId() == null || message.toolCallId().isBlank()) {
            throw new TranslationException("a tool message lacks tool_call_id");
        }
        final ObjectNode block = NODES.objectNode().put("type", "tool_result")
                .put("tool_use_id", message.toolCallId());
        final JsonNode content = userContent(message.content(), "tool");
        if (!(content.isTextual() && content.asText().isEmpty())) {
            block.set("content", content);
        }
        return NODES.arrayNode().add(block);
    }

    private static ObjectNode tool(final ToolDefinition tool) {
        if ("function".equals(tool.type()) || tool.type() == null && tool.function() != null) {
            final ToolDefinition.Function function = tool.function();
            if (function == null || function.name() == null || function.name().isBlank()) {
                throw new TranslationException("a tool definition lacks its function name");
            }
            final ObjectNode out = NODES.objectNode().put("name", function.name());
            if (function.description() != null) {
                out.put("description", function.description());
            }
            if (function.parameters() != null && function.parameters().isObject()) {
                out.set("input_schema", function.parameters());
            } else {
                out.putObject("input_schema").put("type", "object").putObject("properties");
            }
            final JsonNode cache = tool.extra().get("cache_control");
            if (cache != null) {
                out.set("cache_control", cache);
            }
            return out;
        }
        if (tool.extra().containsKey("name")) {
            final ObjectNode out = NODES.objectNode();
            if (tool.type() != null) {
                out.put("type", tool.type());
            }
            tool.extra().forEach(out::set);
            return out;
        }
        throw new TranslationException("tool type '" + tool.type() + "' has no Anthropic "
                + "equivalent");
    }

    private static ObjectNode toolChoice(final JsonNode choice) {
        if (choice == null || choice.isNull()) {
            return null;
        }
        if (choice.isTextual()) {
            return switch (choice.asText()) {
                case "auto" -> NODES.objectNode().put("type", "auto");
                case "none" -> NODES.objectNode().put("type", "none");
                case "required" -> NODES.objectNode().put("type", "any");
                default -> throw new TranslationException("tool_choice '" + choice.asText()
                        + "' is unknown (auto, none, required or a function)");
            };
        }
        final String type = choice.path("type").asText();
        if ("function".equals(type)) {
            final String name = choice.path("function").path("name").asText("");
            if (name.isEmpty()) {
                throw new TranslationException("tool_choice names no function");
            }
            return NODES.objectNode().put("type", "tool").put("name", name);
        }
        if (TOOL_CHOICES.contains(type)) {
            return ((ObjectNode) choice).deepCopy();
        }
        throw new TranslationException("tool_choice type '" + type + "' has no Anthropic "
                + "equivalent");
    }

    private static void stopSequences(final Map<String, JsonNode> extra, final ObjectNode body) {
        final ArrayNode sequences = NODES.arrayNode();
        for (final String name : List.of("stop_sequences", "stop")) {
            final JsonNode stop = extra.get(name);
            if (stop != null && stop.isTextual()) {
                sequences.add(stop.asText());
            } else if (stop != null && stop.isArray()) {
                stop.forEach(s -> sequences.add(s.asText()));
            }
        }
        if (!sequences.isEmpty()) {
            body.set("stop_sequences", sequences);
        }
    }

    /** Anthropic's {@code metadata} holds only {@code user_id}; OpenAI's maps are dropped. */
    private static void metadata(final Map<String, JsonNode> extra, final ObjectNode body) {
        final JsonNode metadata = extra.get("metadata");
        String user = metadata != null && metadata.path("user_id").isTextual()
                ? metadata.path("user_id").asText() : null;
        if (user == null && extra.get("user") != null && extra.get("user").isTextual()) {
            user = extra.get("user").asText();
        }
        if (user != null) {
            body.putObject("metadata").put("user_id", user);
        }
    }
}
