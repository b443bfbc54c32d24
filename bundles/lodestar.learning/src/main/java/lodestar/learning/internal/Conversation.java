package lodestar.learning.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * One exchange as a training conversation: the request's messages (Chat Completions shape,
 * content flattened to text) followed by the answer's assistant message.
 *
 * @param messages the messages, the answer last, in the chat fine-tuning format
 * @param lastUserText the text of the last user message
 * @param promptChars characters of every request message
 * @param answerText the answer's text (its tool calls as JSON when it has no text)
 * @param dedupText the text compared for duplicates: every non-system message and the answer
 * @param tools the request's tool definitions, or {@code null}
 */
record Conversation(ArrayNode messages, String lastUserText, int promptChars,
        String answerText, String dedupText, JsonNode tools) {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final List<String> ROLES = List.of("system", "developer", "user",
            "assistant", "tool");

    /** The exchange cannot be turned into text messages. */
    static final class Unsupported extends Exception {
        private static final long serialVersionUID = 1L;

        Unsupported(final String message) {
            super(message);
        }
    }

    /**
     * Reads an exchange.
     *
     * @param request the canonical request
     * @param answer the canonical answer ({@code chat.completion})
     * @return the conversation
     * @throws Unsupported when a message carries non-text content (images, audio) or an
     *     unknown role, or there is no message
     */
    static Conversation of(final JsonNode request, final JsonNode answer) throws Unsupported {
        final JsonNode in = request.path("messages");
        if (!in.isArray() || in.isEmpty()) {
            throw new Unsupported("no messages");
        }
        final ArrayNode messages = NODES.arrayNode();
        final StringBuilder dedup = new StringBuilder();
        String lastUser = "";
        int promptChars = 0;
        for (final JsonNode message : in) {
            final String role = message.path("role").asText("");
            if (!ROLES.contains(role)) {
                throw new Unsupported("role '" + role + "'");
            }
            final String text = text(message.get("content"));
            promptChars += text.length();
            final ObjectNode out = copy(message, "developer".equals(role) ? "system" : role,
                    text);
            messages.add(out);
            if ("user".equals(role)) {
                lastUser = text;
            }
            if (!"system".equals(out.path("role").asText())) {
                dedup.append(role).append(": ").append(text).append('\n');
                if (message.has("tool_calls")) {
                    dedup.append(message.get("tool_calls").toString()).append('\n');
                }
            }
        }
        final JsonNode reply = answer.path("choices").path(0).path("message");
        final String answerText = text(reply.get("content"));
        final ObjectNode last = copy(reply, "assistant", answerText);
        messages.add(last);
        final String shown = answerText.isEmpty() && reply.has("tool_calls")
                ? reply.get("tool_calls").toString() : answerText;
        dedup.append("assistant: ").append(shown);
        final JsonNode tools = request.get("tools");
        return new Conversation(messages, lastUser, promptChars, shown, dedup.toString(),
                tools != null && tools.isArray() && !tools.isEmpty() ? tools : null);
    }

    private static ObjectNode copy(final JsonNode message, final String role,
            final String text) {
        final ObjectNode out = NODES.objectNode();
        out.put("role", role);
        if (message.has("tool_calls") && message.get("tool_calls").isArray()
                && !message.get("tool_calls").isEmpty()) {
            if (!text.isEmpty()) {
                out.put("content", text);
            }
            out.set("tool_calls", message.get("tool_calls"));
        } else {
            out.put("content", text);
        }
        for (final String field : new String[] {"tool_call_id", "name"}) {
            if (message.hasNonNull(field)) {
                out.put(field, message.get(field).asText());
            }
        }
        return out;
    }

    /**
     * The text of a message's content: a string, or the text parts of an array.
     *
     * @param content the content, may be {@code null}
     * @return the text, {@code ""} for none
     * @throws Unsupported on a non-text part
     */
    static String text(final JsonNode content) throws Unsupported {
        if (content == null || content.isNull() || content.isMissingNode()) {
            return "";
        }
        if (content.isTextual()) {
            return content.asText();
        }
        if (content.isArray()) {
            final StringBuilder out = new StringBuilder();
            for (final JsonNode part : content) {
                final String type = part.path("type").asText("text");
                if (!"text".equals(type)) {
                    throw new Unsupported("content part '" + type + "'");
                }
                out.append(out.length() == 0 ? "" : "\n").append(part.path("text").asText(""));
            }
            return out.toString();
        }
        throw new Unsupported("content of type " + content.getNodeType());
    }
}
