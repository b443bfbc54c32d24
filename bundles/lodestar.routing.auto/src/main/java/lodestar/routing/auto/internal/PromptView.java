package lodestar.routing.auto.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import lodestar.api.chat.ChatMessage;
import lodestar.api.chat.ChatRequest;

/**
 * What the features read of a request: the last user turn, the one before it, and counts.
 *
 * @param lastUser text of the last user message (or of the last message when no user spoke)
 * @param previousUser text of the user message before it, empty when none
 * @param depth number of messages that are not system or developer messages
 * @param totalChars characters of all message texts, the system prompt included
 * @param tools whether the request offers tools
 * @param images whether a message carries an image
 */
record PromptView(String lastUser, String previousUser, int depth, long totalChars,
        boolean tools, boolean images) {

    /** Normalises {@code null} texts. */
    PromptView {
        lastUser = lastUser == null ? "" : lastUser;
        previousUser = previousUser == null ? "" : previousUser;
    }

    /**
     * A single-turn prompt, as in the training data.
     *
     * @param prompt the prompt
     * @return the view
     */
    static PromptView of(final String prompt) {
        final String text = prompt == null ? "" : prompt;
        return new PromptView(text, "", 1, text.length(), false, false);
    }

    /**
     * The view of a chat request.
     *
     * @param request the request, may be {@code null}
     * @return the view
     */
    static PromptView of(final ChatRequest request) {
        if (request == null) {
            return of("");
        }
        final List<ChatMessage> messages = request.messages();
        int last = -1;
        int previous = -1;
        int depth = 0;
        long chars = 0;
        for (int i = 0; i < messages.size(); i++) {
            final ChatMessage message = messages.get(i);
            chars += length(message);
            final String role = message.role() == null ? "" : message.role();
            if (!"system".equals(role) && !"developer".equals(role)) {
                depth++;
            }
            if ("user".equals(role)) {
                previous = last;
                last = i;
            }
        }
        if (last < 0) {
            last = messages.size() - 1;
        }
        return new PromptView(last < 0 ? "" : messages.get(last).text(),
                previous < 0 ? "" : messages.get(previous).text(), depth, chars,
                request.hasTools(), request.hasImages());
    }

    /** The text length of a message, without copying a plain string content. */
    private static int length(final ChatMessage message) {
        final JsonNode content = message.content();
        if (content != null && content.isTextual()) {
            return content.textValue().length();
        }
        return message.text().length();
    }

    /**
     * Rough token estimate for context-window checks: 4 characters a token, as the router's
     * {@code cheapest} strategy counts.
     *
     * @return estimated input tokens
     */
    long estimatedTokens() {
        return totalChars / 4 + 1;
    }
}
