package lodestar.provider.gemini.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import lodestar.api.chat.ChatMessage;
import lodestar.api.chat.ChatRequest;
import lodestar.api.chat.ToolCall;
import lodestar.api.chat.ToolDefinition;

/**
 * Translates a canonical (OpenAI Chat Completions) request into a Gemini
 * {@code GenerateContentRequest}.
 *
 * <ul>
 *   <li>{@code system}/{@code developer} messages → {@code systemInstruction.parts}.</li>
 *   <li>{@code user} → {@code contents} role {@code user}; text parts → {@code text},
 *       {@code image_url} with a {@code data:} URL, {@code input_audio} and {@code file} with
 *       {@code file_data} → {@code inlineData}. Image URLs ({@code http(s)}) and other parts are
 *       refused.</li>
 *   <li>{@code assistant} → role {@code model}: its text, then one {@code functionCall} part per
 *       tool call ({@code arguments} parsed; a {@code thoughtSignature} given back from
 *       {@code extra_content.google.thought_signature}).</li>
 *   <li>{@code tool} → role {@code user} with a {@code functionResponse} part, named after the
 *       call with that id in an earlier assistant message. Consecutive contents of one role are
 *       merged (parallel tool results become one turn).</li>
 *   <li>{@code tools} → {@code tools[{functionDeclarations}]} (schemas by {@link Schemas});
 *       {@code tool_choice} → {@code toolConfig.functionCallingConfig}.</li>
 *   <li>{@code temperature, top_p, max_completion_tokens | max_tokens, stop, seed, n,
 *       presence_penalty, frequency_penalty, response_format} → {@code generationConfig}.</li>
 * </ul>
 * Other fields ({@code user}, {@code stream_options}, {@code parallel_tool_calls},
 * {@code logprobs}, {@code reasoning_effort}, vendor extensions) have no Gemini equivalent and are
 * not sent.
 */
final class GeminiRequests {

    /** Where a tool call keeps Gemini's thought signature (Google's OpenAI-compatible name). */
    static final String EXTRA_CONTENT = "extra_content";

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final ObjectMapper JSON = new ObjectMapper();

    private GeminiRequests() {
    }

    /**
     * Translates a request.
     *
     * @param request the canonical request
     * @return the Gemini request body
     * @throws UnsupportedRequestException when something cannot be said in the Gemini dialect
     */
    static ObjectNode translate(final ChatRequest request) {
        final ObjectNode body = NODES.objectNode();
        final ArrayNode contents = body.putArray("contents");
        final ArrayNode system = NODES.arrayNode();
        final List<ChatMessage> messages = request.messages();
        for (int i = 0; i < messages.size(); i++) {
            final ChatMessage message = messages.get(i);
            final String role = message.role() == null ? "" : message.role();
            final String where = "messages[" + i + "]";
            switch (role) {
                case "system", "developer" -> system.addAll(textParts(message.content(), where));
                case "user" -> add(contents, "user", userParts(message.content(), where));
                case "assistant" -> add(contents, "model", modelParts(message, where));
                case "tool", "function" -> add(contents, "user",
                        NODES.arrayNode().add(functionResponse(messages, i, where)));
                default -> throw new UnsupportedRequestException(where + ": role '" + role
                        + "' is not supported by the gemini dialect");
            }
        }
        if (contents.isEmpty()) {
            throw new UnsupportedRequestException("the request has no user or assistant "
                    + "message: Gemini needs at least one");
        }
        if (!system.isEmpty()) {
            body.putObject("systemInstruction").set("parts", system);
        }
        if (request.hasTools()) {
            body.putArray("tools").addObject().set("functionDeclarations",
                    declarations(request.tools()));
            final JsonNode choice = request.extra().get("tool_choice");
            if (choice != null && !choice.isNull()) {
                body.putObject("toolConfig").set("functionCallingConfig", toolChoice(choice));
            }
        }
        final ObjectNode config = generationConfig(request);
        if (!config.isEmpty()) {
            body.set("generationConfig", config);
        }
        return body;
    }

    /** Appends parts, to the last content when it has the same role. */
    private static void add(final ArrayNode contents, final String role, final ArrayNode parts) {
        if (parts.isEmpty()) {
            return;
        }
        final JsonNode last = contents.isEmpty() ? null : contents.get(contents.size() - 1);
        if (last != null && role.equals(last.path("role").asText())) {
            ((ArrayNode) last.get("parts")).addAll(parts);
            return;
        }
        contents.addObject().put("role", role).set("parts", parts);
    }

    private static ObjectNode text(final String text) {
        return NODES.objectNode().put("text", text);
    }

    /** Text parts only (system messages, tool results). */
    private static ArrayNode textParts(final JsonNode content, final String where) {
        final ArrayNode parts = NODES.arrayNode();
        if (content == null || content.isNull()) {
            return parts;
        }
        if (content.isTextual()) {
            if (!content.asText().isEmpty()) {
                parts.add(text(content.asText()));
            }
            return parts;
        }
        if (!content.isArray()) {
            throw new UnsupportedRequestException(where + ": content must be a string or an "
                    + "array of parts");
        }
        for (final JsonNode part : content) {
            final String type = part.path("type").asText("");
            if (!type.equals("text")) {
                throw new UnsupportedRequestException(where + ": content part '" + type
                        + "' is not allowed here (text only)");
            }
            final String value = part.path("text").asText("");
            if (!value.isEmpty()) {
                parts.add(text(value));
            }
        }
        return parts;
    }

    private static ArrayNode userParts(final JsonNode content, final String where) {
        if (content == null || content.isNull() || content.isTextual()) {
            return textParts(content, where);
        }
        if (!content.isArray()) {
            throw new UnsupportedRequestException(where + ": content must be a string or an "
                    + "array of parts");
        }
        final ArrayNode parts = NODES.arrayNode();
        int index = 0;
        for (final JsonNode part : content) {
            final String at = where + ".content[" + index++ + "]";
            final String type = part.path("type").asText("");
            switch (type) {
                case "text" -> {
                    if (!part.path("text").asText("").isEmpty()) {
                        parts.add(text(part.path("text").asText()));
                    }
                }
                case "image_url" -> {
                    final JsonNode image = part.path("image_url");
                    parts.add(dataUrl(image.isTextual() ? image.asText()
                            : image.path("url").asText(""), at));
                }
                case "input_audio" -> {
                    final JsonNode audio = part.path("input_audio");
                    final String format = audio.path("format").asText("wav");
                    parts.add(inline("audio/" + (format.equals("mp3") ? "mpeg" : format),
                            audio.path("data").asText("")));
                }
                case "file" -> {
                    final JsonNode file = part.path("file");
                    if (!file.path("file_data").isTextual()) {
                        throw new UnsupportedRequestException(at + ": file parts need "
                                + "file_data (a data: URL); file_id is not supported by the "
                                + "gemini dialect");
                    }
                    parts.add(dataUrl(file.path("file_data").asText(), at));
                }
                default -> throw new UnsupportedRequestException(at + ": content part type '"
                        + type + "' is not supported by the gemini dialect");
            }
        }
        return parts;
    }

    private static ObjectNode inline(final String mimeType, final String data) {
        final ObjectNode part = NODES.objectNode();
        part.putObject("inlineData").put("mimeType", mimeType).put("data", data);
        return part;
    }

    /** A {@code data:<mime>;base64,<data>} URL as an {@code inlineData} part. */
    private static ObjectNode dataUrl(final String url, final String where) {
        final String lower = url.toLowerCase(Locale.ROOT);
        if (lower.startsWith("http://") || lower.startsWith("https://")) {
            throw new UnsupportedRequestException(where + ": image URLs are not supported by "
                    + "the gemini dialect; send the image inline as a data: URL "
                    + "(data:image/png;base64,...)");
        }
        final int comma = url.indexOf(',');
        if (!lower.startsWith("data:") || comma < 0) {
            throw new UnsupportedRequestException(where + ": expected a data: URL "
                    + "(data:<mime type>;base64,<data>)");
        }
        final String header = url.substring("data:".length(), comma);
        if (!header.toLowerCase(Locale.ROOT).endsWith(";base64")) {
            throw new UnsupportedRequestException(where + ": only base64 data: URLs are "
                    + "supported");
        }
        final String mime = header.substring(0, header.length() - ";base64".length());
        return inline(mime.isEmpty() ? "application/octet-stream" : mime,
                url.substring(comma + 1));
    }

    private static ArrayNode modelParts(final ChatMessage message, final String where) {
        final ArrayNode parts = NODES.arrayNode();
        final JsonNode content = message.content();
        if (content != null && content.isArray()) {
            for (final JsonNode part : content) {
                final String type = part.path("type").asText("");
                if (type.equals("text") || type.equals("refusal")) {
                    final String value = part.path(type).asText("");
                    if (!value.isEmpty()) {
                        parts.add(text(value));
                    }
                } else {
                    throw new UnsupportedRequestException(where + ": assistant content part '"
                            + type + "' is not supported by the gemini dialect");
                }
            }
        } else {
            parts.addAll(textParts(content, where));
        }
        if (message.toolCalls() != null) {
            int index = 0;
            for (final ToolCall call : message.toolCalls()) {
                parts.add(functionCall(call, where + ".tool_calls[" + index++ + "]"));
            }
        }
        return parts;
    }

    private static ObjectNode functionCall(final ToolCall call, final String where) {
        if (call.function() == null || call.function().name() == null) {
            throw new UnsupportedRequestException(where + ": a tool call needs a function name");
        }
        final String arguments = call.function().arguments();
        final JsonNode args;
        try {
            args = arguments == null || arguments.isBlank() ? NODES.objectNode()
                    : JSON.readTree(arguments);
        } catch (final JsonProcessingException e) {
            throw new UnsupportedRequestException(where + ": arguments are not valid JSON");
        }
        if (!args.isObject()) {
            throw new UnsupportedRequestException(where + ": arguments must be a JSON object");
        }
        final ObjectNode part = NODES.objectNode();
        part.putObject("functionCall").put("name", call.function().name()).set("args", args);
        final JsonNode signature = call.extra().getOrDefault(EXTRA_CONTENT,
                NODES.missingNode()).path("google").path("thought_signature");
        if (signature.isTextual()) {
            part.set("thoughtSignature", signature);
        }
        return part;
    }

    private static ObjectNode functionResponse(final List<ChatMessage> messages, final int index,
            final String where) {
        final ChatMessage message = messages.get(index);
        final String name = "function".equals(message.role()) ? message.name()
                : callName(messages, index, message);
        if (name == null) {
            throw new UnsupportedRequestException(where + ": tool message answers call id '"
                    + message.toolCallId() + "', which no earlier assistant message made");
        }
        String result = message.text();
        if (message.content() != null && !message.content().isNull()
                && !message.content().isTextual() && !message.content().isArray()) {
            result = message.content().toString();
        }
        JsonNode response;
        try {
            response = result.isBlank() ? null : JSON.readTree(result);
        } catch (final JsonProcessingException e) {
            response = null;
        }
        if (response == null || !response.isObject()) {
            // Gemini wants an object: "output" holds a function's output
            response = NODES.objectNode().put("output", result);
        }
        final ObjectNode part = NODES.objectNode();
        part.putObject("functionResponse").put("name", name).set("response", response);
        return part;
    }

    /** The function name of the call a tool message answers: the nearest earlier call. */
    private static String callName(final List<ChatMessage> messages, final int index,
            final ChatMessage message) {
        final String id = message.toolCallId();
        for (int i = index - 1; i >= 0 && id != null; i--) {
            final List<ToolCall> calls = messages.get(i).toolCalls();
            if (!"assistant".equals(messages.get(i).role()) || calls == null) {
                continue;
            }
            for (final ToolCall call : calls) {
                if (id.equals(call.id()) && call.function() != null) {
                    return call.function().name();
                }
            }
        }
        return message.name();
    }

    private static ArrayNode declarations(final List<ToolDefinition> tools) {
        final ArrayNode declarations = NODES.arrayNode();
        for (int i = 0; i < tools.size(); i++) {
            final ToolDefinition tool = tools.get(i);
            final String where = "tools[" + i + "]";
            if (tool.type() != null && !"function".equals(tool.type())) {
                throw new UnsupportedRequestException(where + ": tool type '" + tool.type()
                        + "' is not supported by the gemini dialect (function tools only)");
            }
            if (tool.function() == null || tool.function().name() == null) {
                throw new UnsupportedRequestException(where + ": a function tool needs a name");
            }
            final ObjectNode declaration = declarations.addObject()
                    .put("name", tool.function().name());
            if (tool.function().description() != null) {
                declaration.put("description", tool.function().description());
            }
            final JsonNode parameters = tool.function().parameters();
            if (parameters != null && !parameters.isNull()) {
                final ObjectNode schema = Schemas.toGemini(parameters,
                        where + ".function.parameters");
                if (!Schemas.isEmptyObject(schema)) {
                    declaration.set("parameters", schema);
                }
            }
        }
        return declarations;
    }

    private static ObjectNode toolChoice(final JsonNode choice) {
        final ObjectNode config = NODES.objectNode();
        if (choice.isTextual()) {
            switch (choice.asText()) {
                case "auto" -> config.put("mode", "AUTO");
                case "none" -> config.put("mode", "NONE");
                case "required", "any" -> config.put("mode", "ANY");
                default -> throw new UnsupportedRequestException("tool_choice '"
                        + choice.asText() + "' is not supported by the gemini dialect");
            }
            return config;
        }
        final String name = choice.path("function").path("name").asText("");
        if (!"function".equals(choice.path("type").asText()) || name.isEmpty()) {
            throw new UnsupportedRequestException("tool_choice must be auto, none, required or "
                    + "{\"type\":\"function\",\"function\":{\"name\":...}}");
        }
        config.put("mode", "ANY").putArray("allowedFunctionNames").add(name);
        return config;
    }

    private static ObjectNode generationConfig(final ChatRequest request) {
        final ObjectNode config = NODES.objectNode();
        final Map<String, JsonNode> extra = request.extra();
        if (request.temperature() != null) {
            config.put("temperature", request.temperature());
        }
        number(extra.get("top_p"), "top_p", "topP", config);
        final Integer max = request.maxCompletionTokens() != null
                ? request.maxCompletionTokens() : request.maxTokens();
        if (max != null) {
            config.put("maxOutputTokens", max);
        }
        final JsonNode stop = extra.get("stop");
        if (stop != null && stop.isTextual()) {
            config.putArray("stopSequences").add(stop.asText());
        } else if (stop != null && stop.isArray() && !stop.isEmpty()) {
            final ArrayNode sequences = config.putArray("stopSequences");
            stop.forEach(s -> sequences.add(s.asText()));
        }
        if (request.seed() != null) {
            if (request.seed() < Integer.MIN_VALUE || request.seed() > Integer.MAX_VALUE) {
                throw new UnsupportedRequestException("seed must fit in 32 bits for the gemini "
                        + "dialect");
            }
            config.put("seed", request.seed().intValue());
        }
        final JsonNode n = extra.get("n");
        if (n != null && n.canConvertToInt() && n.asInt() > 1) {
            config.put("candidateCount", n.asInt());
        }
        number(extra.get("presence_penalty"), "presence_penalty", "presencePenalty", config);
        number(extra.get("frequency_penalty"), "frequency_penalty", "frequencyPenalty", config);
        final JsonNode format = extra.get("response_format");
        final String type = format == null ? "" : format.path("type").asText("");
        if (type.equals("json_object")) {
            config.put("responseMimeType", "application/json");
        } else if (type.equals("json_schema")) {
            config.put("responseMimeType", "application/json");
            final JsonNode schema = format.path("json_schema").path("schema");
            if (schema.isObject()) {
                config.set("responseSchema", Schemas.toGemini(schema,
                        "response_format.json_schema.schema"));
            }
        } else if (!type.isEmpty() && !type.equals("text")) {
            throw new UnsupportedRequestException("response_format type '" + type
                    + "' is not supported by the gemini dialect");
        }
        return config;
    }

    private static void number(final JsonNode value, final String name, final String target,
            final ObjectNode config) {
        if (value == null || value.isNull()) {
            return;
        }
        if (!value.isNumber()) {
            throw new UnsupportedRequestException(name + " must be a number");
        }
        config.set(target, value);
    }
}
