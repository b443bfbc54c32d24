package lodestar.provider.gemini.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import lodestar.api.chat.ChatChunk;
import lodestar.api.chat.ChatMessage;
import lodestar.api.chat.ChatResponse;
import lodestar.api.chat.ToolCall;
import lodestar.api.chat.Usage;

/**
 * Translates Gemini answers ({@code GenerateContentResponse}) into canonical (OpenAI Chat
 * Completions) answers: whole responses, and stream events into chunks ({@link Stream}).
 *
 * <ul>
 *   <li>Each candidate is a choice (its {@code index}); the text of its parts is joined;
 *       {@code thought} parts go to the vendor field {@code reasoning_content}.</li>
 *   <li>Each {@code functionCall} part is a tool call: id from the part, else generated
 *       ({@code call_...}), arguments the {@code args} object as a JSON string, and a
 *       {@code thoughtSignature} kept in {@code extra_content.google.thought_signature} so that
 *       it goes back to Gemini on the next turn.</li>
 *   <li>{@code finishReason}: {@code STOP} → {@code stop} ({@code tool_calls} when the candidate
 *       called a tool), {@code MAX_TOKENS} → {@code length}, {@code SAFETY}, {@code RECITATION},
 *       {@code BLOCKLIST}, {@code PROHIBITED_CONTENT}, {@code SPII}, {@code IMAGE_SAFETY},
 *       {@code LANGUAGE} → {@code content_filter}, anything else → {@code stop}.</li>
 *   <li>{@code usageMetadata}: {@code promptTokenCount} (+ {@code toolUsePromptTokenCount}) →
 *       {@code prompt_tokens}; {@code candidatesTokenCount} + {@code thoughtsTokenCount} →
 *       {@code completion_tokens} (thinking is billed as output; also in
 *       {@code completion_tokens_details.reasoning_tokens}); {@code totalTokenCount} →
 *       {@code total_tokens}; {@code cachedContentTokenCount} →
 *       {@code prompt_tokens_details.cached_tokens}.</li>
 * </ul>
 */
final class GeminiResponses {

    /** Vendor field of a message that carries thought summaries. */
    static final String REASONING = "reasoning_content";

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private GeminiResponses() {
    }

    /**
     * The message for a prompt Gemini refused to answer ({@code promptFeedback.blockReason}
     * without candidates).
     *
     * @param answer a response or stream event
     * @return the message, or {@code null} when the prompt was not blocked
     */
    static String blocked(final JsonNode answer) {
        final JsonNode reason = answer.path("promptFeedback").path("blockReason");
        if (!reason.isTextual() || answer.path("candidates").size() > 0) {
            return null;
        }
        final String detail = answer.path("promptFeedback").path("blockReasonMessage")
                .asText("");
        return "Gemini blocked the prompt (blockReason " + reason.asText() + ")"
                + (detail.isEmpty() ? "" : ": " + detail);
    }

    /**
     * Translates a whole answer.
     *
     * @param answer the {@code GenerateContentResponse}
     * @param model the model id to report (the one asked for)
     * @param created the creation time, Unix seconds
     * @param callIds makes ids for tool calls that come without one
     * @return the canonical answer
     */
    static ChatResponse response(final JsonNode answer, final String model, final long created,
            final Supplier<String> callIds) {
        final List<ChatResponse.Choice> choices = new ArrayList<>();
        for (final JsonNode candidate : answer.path("candidates")) {
            final Parts parts = parts(candidate, callIds, null);
            final ChatMessage message = new ChatMessage("assistant",
                    parts.calls.isEmpty() || !parts.text.isEmpty()
                            ? TextNode.valueOf(parts.text) : NODES.nullNode(),
                    null, parts.calls.isEmpty() ? null : parts.calls, null,
                    parts.thoughts.isEmpty() ? null
                            : Map.of(REASONING, TextNode.valueOf(parts.thoughts)));
            choices.add(new ChatResponse.Choice(candidate.path("index").asInt(0), message,
                    finishReason(candidate.path("finishReason").asText(""),
                            !parts.calls.isEmpty()), null));
        }
        if (choices.isEmpty()) {
            choices.add(new ChatResponse.Choice(0, new ChatMessage("assistant",
                    TextNode.valueOf(""), null, null, null, null), "stop", null));
        }
        return new ChatResponse(id(answer), "chat.completion", created, model, choices,
                usage(answer.path("usageMetadata")), null);
    }

    /**
     * The canonical id of an answer: {@code chatcmpl-<responseId>}, or a generated one.
     *
     * @param answer a response or the first stream event
     * @return the id
     */
    static String id(final JsonNode answer) {
        final String responseId = answer.path("responseId").asText("");
        return "chatcmpl-" + (responseId.isEmpty()
                ? Long.toHexString(Double.doubleToLongBits(Math.random())) : responseId);
    }

    /**
     * Translates {@code usageMetadata}.
     *
     * @param metadata the {@code usageMetadata} object, possibly missing
     * @return the usage, or {@code null} when there is none
     */
    static Usage usage(final JsonNode metadata) {
        if (metadata == null || !metadata.isObject()) {
            return null;
        }
        final long prompt = metadata.path("promptTokenCount").asLong(0)
                + metadata.path("toolUsePromptTokenCount").asLong(0);
        final long thoughts = metadata.path("thoughtsTokenCount").asLong(0);
        final long completion = metadata.path("candidatesTokenCount").asLong(0) + thoughts;
        final long total = metadata.has("totalTokenCount")
                ? metadata.path("totalTokenCount").asLong() : prompt + completion;
        final Usage.PromptTokensDetails details = metadata.has("cachedContentTokenCount")
                ? new Usage.PromptTokensDetails(metadata.path("cachedContentTokenCount")
                        .asLong(), null) : null;
        final Map<String, JsonNode> extra = new HashMap<>();
        if (thoughts > 0) {
            extra.put("completion_tokens_details", NODES.objectNode()
                    .put("reasoning_tokens", thoughts));
        }
        return new Usage(prompt, completion, total, details, extra);
    }

    /**
     * Maps a Gemini finish reason.
     *
     * @param reason the {@code finishReason}
     * @param calledTools whether the candidate called a tool
     * @return the canonical finish reason
     */
    static String finishReason(final String reason, final boolean calledTools) {
        return switch (reason) {
            case "MAX_TOKENS" -> "length";
            case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII",
                    "IMAGE_SAFETY", "LANGUAGE" -> "content_filter";
            default -> calledTools ? "tool_calls" : "stop";
        };
    }

    /** What the parts of one candidate (or one event of it) say. */
    private static final class Parts {
        private final StringBuilder textBuilder = new StringBuilder();
        private final StringBuilder thoughtBuilder = new StringBuilder();
        private final List<ToolCall> calls = new ArrayList<>();
        private String text;
        private String thoughts;
    }

    /**
     * Reads the parts of a candidate.
     *
     * @param candidate the candidate
     * @param callIds makes ids for tool calls that come without one
     * @param firstCall in a stream, the index of its first tool call (calls made before);
     *     {@code null} for a whole answer, whose tool calls have no index
     * @return the parts
     */
    private static Parts parts(final JsonNode candidate, final Supplier<String> callIds,
            final Integer firstCall) {
        final Parts parts = new Parts();
        for (final JsonNode part : candidate.path("content").path("parts")) {
            if (part.has("functionCall")) {
                final JsonNode call = part.get("functionCall");
                final JsonNode args = call.path("args");
                final String id = call.path("id").asText("");
                Map<String, JsonNode> extra = null;
                if (part.path("thoughtSignature").isTextual()) {
                    final ObjectNode google = NODES.objectNode();
                    google.putObject("google").set("thought_signature",
                            part.get("thoughtSignature"));
                    extra = Map.of(GeminiRequests.EXTRA_CONTENT, google);
                }
                parts.calls.add(new ToolCall(firstCall == null ? null
                        : firstCall + parts.calls.size(),
                        id.isEmpty() ? callIds.get() : id, "function",
                        new ToolCall.FunctionCall(call.path("name").asText(),
                                args.isObject() ? args.toString() : "{}"), extra));
            } else if (part.path("text").isTextual()) {
                (part.path("thought").asBoolean(false) ? parts.thoughtBuilder
                        : parts.textBuilder).append(part.get("text").asText());
            }
        }
        parts.text = parts.textBuilder.toString();
        parts.thoughts = parts.thoughtBuilder.toString();
        return parts;
    }

    /**
     * Turns the events of a {@code streamGenerateContent?alt=sse} stream (each a whole
     * {@code GenerateContentResponse} with the next piece of each candidate) into canonical
     * chunks. Not thread-safe: one exchange feeds it, one event at a time.
     */
    static final class Stream {

        private final String model;
        private final long created;
        private final Supplier<String> callIds;
        private final Map<Integer, Integer> callsMade = new HashMap<>();
        private final Map<Integer, Boolean> finished = new HashMap<>();
        private String id;
        private Usage usage;

        /**
         * A new stream.
         *
         * @param model the model id to report
         * @param created the creation time, Unix seconds
         * @param callIds makes ids for tool calls that come without one
         */
        Stream(final String model, final long created, final Supplier<String> callIds) {
            this.model = model;
            this.created = created;
            this.callIds = callIds;
        }

        /**
         * Translates one event.
         *
         * @param event the event's {@code GenerateContentResponse}
         * @return the chunks to deliver, in order (possibly none)
         */
        List<ChatChunk> onEvent(final JsonNode event) {
            if (id == null) {
                id = GeminiResponses.id(event);
            }
            final Usage reported = GeminiResponses.usage(event.path("usageMetadata"));
            if (reported != null) {
                usage = reported;
            }
            final List<ChatChunk> chunks = new ArrayList<>();
            for (final JsonNode candidate : event.path("candidates")) {
                final int index = candidate.path("index").asInt(0);
                final boolean first = !callsMade.containsKey(index);
                final int before = callsMade.getOrDefault(index, 0);
                final Parts parts = parts(candidate, callIds, before);
                callsMade.put(index, before + parts.calls.size());
                if (first || !parts.text.isEmpty() || !parts.calls.isEmpty()
                        || !parts.thoughts.isEmpty()) {
                    final ChatMessage delta = new ChatMessage(first ? "assistant" : null,
                            first || !parts.text.isEmpty() ? TextNode.valueOf(parts.text) : null,
                            null, parts.calls.isEmpty() ? null : parts.calls, null,
                            parts.thoughts.isEmpty() ? null
                                    : Map.of(REASONING, TextNode.valueOf(parts.thoughts)));
                    chunks.add(chunk(index, delta, null));
                }
                final String reason = candidate.path("finishReason").asText("");
                if (!reason.isEmpty() && !finished.containsKey(index)) {
                    finished.put(index, true);
                    chunks.add(chunk(index, new ChatMessage(null, null, null, null, null, null),
                            finishReason(reason, callsMade.get(index) > 0)));
                }
            }
            return chunks;
        }

        private ChatChunk chunk(final int index, final ChatMessage delta, final String reason) {
            return new ChatChunk(id, "chat.completion.chunk", created, model,
                    List.of(new ChatChunk.ChunkChoice(index, delta, reason, null)), null, null);
        }

        /**
         * Whether every candidate seen has finished (and at least one was seen).
         *
         * @return {@code true} when the stream is complete
         */
        boolean finished() {
            return !callsMade.isEmpty() && finished.size() == callsMade.size();
        }

        /**
         * The last usage reported.
         *
         * @return the usage, or {@code null}
         */
        Usage usage() {
            return usage;
        }

        /**
         * The usage-only chunk that ends a stream when usage was asked for.
         *
         * @return the chunk, or {@code null} when no usage was reported
         */
        ChatChunk usageChunk() {
            return usage == null ? null : new ChatChunk(id, "chat.completion.chunk", created,
                    model, List.of(), usage, null);
        }
    }
}
