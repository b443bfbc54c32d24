package lodestar.router.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Translates an Anthropic Messages request ({@code POST /v1/messages}) into the canonical
 * (OpenAI Chat Completions) shape: system prompt, text and image blocks, tool definitions and
 * choice, tool_use and tool_result blocks, stop sequences, limits. What cannot be expressed is
 * refused with a clear 400, never dropped silently; extended-thinking settings and prompt-cache
 * markers, which only an Anthropic upstream understands, are left out of the translation (they
 * reach an Anthropic upstream untouched through the pass-through path).
 */
final class AnthropicIn {

    private AnthropicIn() {
    }

    /**
     * The canonical request as a JSON tree.
     *
     * @param in the Anthropic request
     * @param mapper JSON
     * @return the canonical request
     * @throws ChatCompletionsServlet.InvalidRequest when a field is missing, of the wrong type or
     *     cannot be translated
     */
    static ObjectNode toCanonical(final JsonNode in, final ObjectMapper mapper)
            throws ChatCompletionsServlet.InvalidRequest {
        return toCanonical(in, mapper, true);
    }

    /**
     * The canonical request as a JSON tree.
     *
     * @param in the Anthropic request
     * @param mapper JSON
     * @param requireMaxTokens whether {@code max_tokens} is required (not for count_tokens)
     * @return the canonical request
     * @throws ChatCompletionsServlet.InvalidRequest when it cannot be translated
     */
    static ObjectNode toCanonical(final JsonNode in, final ObjectMapper mapper,
            final boolean requireMaxTokens) throws ChatCompletionsServlet.InvalidRequest {
        if (in == null || !in.isObject()) {
            throw invalid("The request body must be a JSON object.", null);
        }
        if (!in.path("model").isTextual() || in.path("model").asText().isBlank()) {
            throw invalid("model: Field required (a string).", "model");
        }
        if (!in.path("messages").isArray()) {
            throw invalid("messages: Field required (an array).", "messages");
        }
        if (requireMaxTokens && !in.path("max_tokens").canConvertToInt()) {
            throw invalid("max_tokens: Field required (an integer).", "max_tokens");
        }
        final ObjectNode out = mapper.createObjectNode();
        out.put("model", in.path("model").asText());
        final ArrayNode messages = out.putArray("messages");
        final JsonNode system = in.get("system");
        if (system != null && !system.isNull()) {
            final String text = system.isTextual() ? system.asText() : joinText(system,
                    "system");
            messages.addObject().put("role", "system").put("content", text);
        }
        int index = 0;
        for (final JsonNode message : in.path("messages")) {
            translateMessage(message, "messages[" + index++ + "]", messages, mapper);
        }
        if (in.path("max_tokens").canConvertToInt()) {
            out.put("max_tokens", in.path("max_tokens").asInt());
        }
        if (in.path("stream").asBoolean(false)) {
            out.put("stream", true);
        }
        copyNumber(in, "temperature", out, "temperature");
        copyNumber(in, "top_p", out, "top_p");
        if (in.path("stop_sequences").isArray() && !in.path("stop_sequences").isEmpty()) {
            out.set("stop", in.get("stop_sequences"));
        }
        if (in.path("metadata").path("user_id").isTextual()) {
            out.put("user", in.path("metadata").path("user_id").asText());
        }
        if (in.path("tools").isArray() && !in.path("tools").isEmpty()) {
            final ArrayNode tools = out.putArray("tools");
            int t = 0;
            for (final JsonNode tool : in.path("tools")) {
                final String where = "tools[" + t++ + "]";
                if (!tool.has("input_schema")) {
                    throw invalid(where + ": the Anthropic server tool '" + tool.path("type")
                            .asText(tool.path("name").asText()) + "' can only run on an "
                            + "Anthropic model; route this request to one", where);
                }
                final ObjectNode function = tools.addObject().put("type", "function")
                        .putObject("function");
                function.put("name", tool.path("name").asText());
                if (tool.hasNonNull("description")) {
                    function.put("description", tool.path("description").asText());
                }
                function.set("parameters", tool.get("input_schema"));
            }
        }
        final JsonNode choice = in.get("tool_choice");
        if (choice != null && choice.isObject()) {
            switch (choice.path("type").asText()) {
                case "auto" -> out.put("tool_choice", "auto");
                case "any" -> out.put("tool_choice", "required");
                case "none" -> out.put("tool_choice", "none");
                case "tool" -> out.putObject("tool_choice").put("type", "function")
                        .putObject("function").put("name", choice.path("name").asText());
                default -> throw invalid("tool_choice.type: unknown value '"
                        + choice.path("type").asText() + "'", "tool_choice");
            }
            if (choice.path("disable_parallel_tool_use").asBoolean(false)) {
                out.put("parallel_tool_calls", false);
            }
        }
        return out;
    }

    private static void translateMessage(final JsonNode message, final String where,
            final ArrayNode messages, final ObjectMapper mapper)
            throws ChatCompletionsServlet.InvalidRequest {
        final String role = message.path("role").asText();
        final JsonNode content = message.get("content");
        if ("system".equals(role)) {
            // Claude Code sends system turns mid-conversation (beta mid-conversation-system)
            messages.addObject().put("role", "system").put("content", content != null
                    && content.isTextual() ? content.asText() : joinText(content == null
                            ? mapper.createArrayNode() : content, where + ".content"));
            return;
        }
        if (!"user".equals(role) && !"assistant".equals(role)) {
            throw invalid(where + ".role: must be 'user', 'assistant' or 'system'",
                    where + ".role");
        }
        if (content != null && content.isTextual()) {
            messages.addObject().put("role", role).put("content", content.asText());
            return;
        }
        if (content == null || !content.isArray()) {
            throw invalid(where + ".content: must be a string or an array of content blocks",
                    where + ".content");
        }
        final ArrayNode parts = mapper.createArrayNode();
        final ArrayNode calls = mapper.createArrayNode();
        final StringBuilder text = new StringBuilder();
        boolean images = false;
        int b = 0;
        for (final JsonNode block : content) {
            final String at = where + ".content[" + b++ + "]";
            switch (block.path("type").asText()) {
                case "text" -> {
                    parts.addObject().put("type", "text").put("text", block.path("text")
                            .asText());
                    text.append(text.length() == 0 ? "" : "\n").append(block.path("text")
                            .asText());
                }
                case "image" -> {
                    if (!"user".equals(role)) {
                        throw invalid(at + ": images are only accepted in user turns", at);
                    }
                    parts.addObject().put("type", "image_url").putObject("image_url")
                            .put("url", imageUrl(block.path("source"), at));
                    images = true;
                }
                case "tool_use" -> {
                    final ObjectNode call = calls.addObject();
                    call.put("id", block.path("id").asText()).put("type", "function");
                    call.putObject("function").put("name", block.path("name").asText())
                            .put("arguments", json(mapper, block.has("input")
                                    ? block.get("input") : mapper.createObjectNode()));
                }
                case "tool_result" -> {
                    final JsonNode result = block.get("content");
                    String output = result == null || result.isNull() ? ""
                            : result.isTextual() ? result.asText() : joinText(result, at);
                    if (block.path("is_error").asBoolean(false)) {
                        output = "Error: " + output;
                    }
                    messages.addObject().put("role", "tool")
                            .put("tool_call_id", block.path("tool_use_id").asText())
                            .put("content", output);
                }
                case "thinking", "redacted_thinking" -> {
                    // only meaningful to an Anthropic model; not part of the canonical turn
                }
                default -> throw invalid(at + ".type: unsupported content block '"
                        + block.path("type").asText() + "'", at + ".type");
            }
        }
        if ("assistant".equals(role)) {
            if (text.length() == 0 && calls.isEmpty()) {
                return;
            }
            final ObjectNode out = messages.addObject().put("role", "assistant");
            if (text.length() == 0) {
                out.putNull("content");
            } else {
                out.put("content", text.toString());
            }
            if (!calls.isEmpty()) {
                out.set("tool_calls", calls);
            }
        } else if (!parts.isEmpty()) {
            final ObjectNode out = messages.addObject().put("role", "user");
            if (images) {
                out.set("content", parts);
            } else {
                out.put("content", text.toString());
            }
        }
    }

    private static String imageUrl(final JsonNode source, final String at)
            throws ChatCompletionsServlet.InvalidRequest {
        return switch (source.path("type").asText()) {
            case "base64" -> "data:" + source.path("media_type").asText("image/png")
                    + ";base64," + source.path("data").asText();
            case "url" -> source.path("url").asText();
            default -> throw invalid(at + ".source.type: must be 'base64' or 'url'",
                    at + ".source");
        };
    }

    private static String joinText(final JsonNode blocks, final String where)
            throws ChatCompletionsServlet.InvalidRequest {
        if (!blocks.isArray()) {
            throw invalid(where + ": must be a string or an array of text blocks", where);
        }
        final StringBuilder text = new StringBuilder();
        for (final JsonNode block : blocks) {
            if (!"text".equals(block.path("type").asText())) {
                throw invalid(where + ": only text blocks can be translated for a "
                        + "non-Anthropic model (found '" + block.path("type").asText() + "')",
                        where);
            }
            text.append(text.length() == 0 ? "" : "\n").append(block.path("text").asText());
        }
        return text.toString();
    }

    private static String json(final ObjectMapper mapper, final JsonNode node) {
        try {
            return mapper.writeValueAsString(node);
        } catch (final JsonProcessingException e) {
            return "{}";
        }
    }

    private static void copyNumber(final JsonNode in, final String from, final ObjectNode out,
            final String to) {
        if (in.path(from).isNumber()) {
            out.set(to, in.get(from));
        }
    }

    private static ChatCompletionsServlet.InvalidRequest invalid(final String message,
            final String param) {
        return new ChatCompletionsServlet.InvalidRequest(ApiError.invalid(message, param));
    }
}
