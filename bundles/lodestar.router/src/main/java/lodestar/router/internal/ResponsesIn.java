package lodestar.router.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Translates an OpenAI Responses request ({@code POST /v1/responses}, Codex CLI) into the
 * canonical Chat Completions shape: {@code instructions}, {@code input} as a string or items
 * (messages with input_text / input_image / output_text parts, function_call and
 * function_call_output items), function tools (those grouped in a {@code namespace} too) and
 * tool choice, limits. Lodestar keeps no conversation state, so {@code previous_response_id} is
 * refused with a clear 400. Built-in tools (web search, file search, computer use), which only
 * OpenAI's own servers run, are left out and named in {@code ignored} so that the client can be
 * told ({@code x-lodestar-ignored-tools}); a request that forces one is refused.
 */
final class ResponsesIn {

    private ResponsesIn() {
    }

    static ObjectNode toCanonical(final JsonNode in, final ObjectMapper mapper)
            throws ChatCompletionsServlet.InvalidRequest {
        return toCanonical(in, mapper, new java.util.ArrayList<>());
    }

    static ObjectNode toCanonical(final JsonNode in, final ObjectMapper mapper,
            final java.util.List<String> ignored) throws ChatCompletionsServlet.InvalidRequest {
        if (in == null || !in.isObject()) {
            throw invalid("The request body must be a JSON object.", null);
        }
        if (!in.path("model").isTextual() || in.path("model").asText().isBlank()) {
            throw invalid("'model' is required and must be a string.", "model");
        }
        if (in.hasNonNull("previous_response_id")) {
            throw invalid("previous_response_id is not supported: Lodestar does not store "
                    + "responses; send the whole conversation in 'input' (store=false)",
                    "previous_response_id");
        }
        final ObjectNode out = mapper.createObjectNode();
        out.put("model", in.path("model").asText());
        final ArrayNode messages = out.putArray("messages");
        if (in.path("instructions").isTextual()) {
            messages.addObject().put("role", "system").put("content",
                    in.path("instructions").asText());
        }
        final JsonNode input = in.get("input");
        if (input == null || input.isNull()) {
            throw invalid("'input' is required: a string or an array of items.", "input");
        }
        if (input.isTextual()) {
            messages.addObject().put("role", "user").put("content", input.asText());
        } else if (input.isArray()) {
            int i = 0;
            for (final JsonNode item : input) {
                item(item, "input[" + i++ + "]", messages, mapper);
            }
        } else {
            throw invalid("'input' must be a string or an array of items.", "input");
        }
        if (in.path("stream").asBoolean(false)) {
            out.put("stream", true);
        }
        if (in.path("max_output_tokens").canConvertToInt()) {
            out.put("max_completion_tokens", in.path("max_output_tokens").asInt());
        }
        for (final String field : new String[] {"temperature", "top_p", "parallel_tool_calls",
            "user", "metadata"}) {
            if (in.has(field) && !in.get(field).isNull()) {
                out.set(field, in.get(field));
            }
        }
        if (in.path("text").path("format").path("type").asText().equals("json_schema")) {
            final JsonNode format = in.path("text").path("format");
            final ObjectNode schema = mapper.createObjectNode();
            schema.put("name", format.path("name").asText("schema"));
            schema.set("schema", format.get("schema"));
            if (format.has("strict")) {
                schema.set("strict", format.get("strict"));
            }
            out.putObject("response_format").put("type", "json_schema")
                    .set("json_schema", schema);
        } else if (in.path("text").path("format").path("type").asText()
                .equals("json_object")) {
            out.putObject("response_format").put("type", "json_object");
        }
        if (in.path("tools").isArray() && !in.path("tools").isEmpty()) {
            final ArrayNode tools = mapper.createArrayNode();
            int t = 0;
            for (final JsonNode tool : in.path("tools")) {
                tool(tool, "tools[" + t++ + "]", tools, ignored);
            }
            if (!tools.isEmpty()) {
                out.set("tools", tools);
            }
        }
        final JsonNode choice = in.get("tool_choice");
        if (choice != null && choice.isObject() && !"function".equals(choice.path("type")
                .asText())) {
            throw invalid("tool_choice: the built-in tool '" + choice.path("type").asText()
                    + "' is not supported through Lodestar; use function tools", "tool_choice");
        }
        if (choice != null && choice.isTextual()) {
            out.put("tool_choice", choice.asText());
        } else if (choice != null && choice.isObject()
                && "function".equals(choice.path("type").asText())) {
            out.putObject("tool_choice").put("type", "function").putObject("function")
                    .put("name", choice.path("name").asText());
        }
        return out;
    }

    private static void tool(final JsonNode tool, final String where, final ArrayNode tools,
            final java.util.List<String> ignored) throws ChatCompletionsServlet.InvalidRequest {
        final String type = tool.path("type").asText();
        if ("namespace".equals(type)) {
            int n = 0;
            for (final JsonNode inner : tool.path("tools")) {
                tool(inner, where + ".tools[" + n++ + "]", tools, ignored);
            }
            return;
        }
        if (!"function".equals(type)) {
            ignored.add(type.isEmpty() ? where : type);
            return;
        }
        if (!tool.path("name").isTextual()) {
            throw invalid(where + ".name: required for a function tool", where + ".name");
        }
        final ObjectNode function = tools.addObject().put("type", "function")
                .putObject("function");
        function.put("name", tool.path("name").asText());
        if (tool.hasNonNull("description")) {
            function.put("description", tool.path("description").asText());
        }
        if (tool.has("parameters")) {
            function.set("parameters", tool.get("parameters"));
        }
        if (tool.has("strict")) {
            function.set("strict", tool.get("strict"));
        }
    }

    private static void item(final JsonNode item, final String where, final ArrayNode messages,
            final ObjectMapper mapper) throws ChatCompletionsServlet.InvalidRequest {
        final String type = item.path("type").asText("message");
        switch (type) {
            case "message" -> message(item, where, messages, mapper);
            case "function_call" -> {
                final ObjectNode call = mapper.createObjectNode();
                call.put("id", item.path("call_id").asText()).put("type", "function");
                call.putObject("function").put("name", item.path("name").asText())
                        .put("arguments", item.path("arguments").asText("{}"));
                final JsonNode last = messages.isEmpty() ? null
                        : messages.get(messages.size() - 1);
                if (last != null && "assistant".equals(last.path("role").asText())) {
                    final ObjectNode assistant = (ObjectNode) last;
                    if (!assistant.path("tool_calls").isArray()) {
                        assistant.putArray("tool_calls");
                    }
                    ((ArrayNode) assistant.get("tool_calls")).add(call);
                } else {
                    final ObjectNode assistant = messages.addObject().put("role", "assistant");
                    assistant.putNull("content");
                    assistant.putArray("tool_calls").add(call);
                }
            }
            case "function_call_output" -> messages.addObject().put("role", "tool")
                    .put("tool_call_id", item.path("call_id").asText())
                    .put("content", item.path("output").isTextual()
                            ? item.path("output").asText() : item.path("output").toString());
            case "reasoning" -> {
                // a model's reasoning summary: not part of the canonical conversation
            }
            default -> throw invalid(where + ".type: unsupported input item '" + type + "'",
                    where + ".type");
        }
    }

    private static void message(final JsonNode item, final String where,
            final ArrayNode messages, final ObjectMapper mapper)
            throws ChatCompletionsServlet.InvalidRequest {
        String role = item.path("role").asText();
        if ("developer".equals(role)) {
            role = "system";
        }
        if (!"user".equals(role) && !"assistant".equals(role) && !"system".equals(role)) {
            throw invalid(where + ".role: must be user, assistant, system or developer",
                    where + ".role");
        }
        final JsonNode content = item.get("content");
        if (content != null && content.isTextual()) {
            messages.addObject().put("role", role).put("content", content.asText());
            return;
        }
        if (content == null || !content.isArray()) {
            throw invalid(where + ".content: must be a string or an array of parts",
                    where + ".content");
        }
        final ArrayNode parts = mapper.createArrayNode();
        final StringBuilder text = new StringBuilder();
        boolean images = false;
        int p = 0;
        for (final JsonNode part : content) {
            final String at = where + ".content[" + p++ + "]";
            switch (part.path("type").asText()) {
                case "input_text", "output_text", "text" -> {
                    parts.addObject().put("type", "text").put("text", part.path("text")
                            .asText());
                    text.append(part.path("text").asText());
                }
                case "input_image" -> {
                    final String url = part.path("image_url").asText("");
                    if (url.isEmpty()) {
                        throw invalid(at + ": only input_image with an image_url is "
                                + "supported (no file_id)", at);
                    }
                    parts.addObject().put("type", "image_url").putObject("image_url")
                            .put("url", url);
                    images = true;
                }
                case "refusal" -> text.append(part.path("refusal").asText());
                default -> throw invalid(at + ".type: unsupported content part '"
                        + part.path("type").asText() + "'", at + ".type");
            }
        }
        final ObjectNode out = messages.addObject().put("role", role);
        if (images) {
            out.set("content", parts);
        } else {
            out.put("content", text.toString());
        }
    }

    private static ChatCompletionsServlet.InvalidRequest invalid(final String message,
            final String param) {
        return new ChatCompletionsServlet.InvalidRequest(ApiError.invalid(message, param));
    }
}
