package lodestar.test.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * The Anthropic Messages side of {@link FakeUpstream}: {@code POST /v1/messages} (JSON, or
 * server-sent events with named events in the real order: {@code message_start},
 * {@code content_block_start}, {@code ping}, {@code content_block_delta}...,
 * {@code content_block_stop}, {@code message_delta}, {@code message_stop}),
 * {@code POST /v1/messages/count_tokens}, and {@code GET /v1/models} in Anthropic's shape for
 * requests that carry {@code anthropic-version}.
 *
 * <p>Like the real API it answers 401 {@code authentication_error} without {@code x-api-key},
 * 400 {@code invalid_request_error} without {@code anthropic-version}, without
 * {@code max_tokens}, and for top-level fields the Messages API does not know ("Extra inputs
 * are not permitted"). Tokens are counted as words. Blocks up to the last {@code cache_control}
 * mark are a cache prefix: the first request with a prefix reports its words as
 * {@code cache_creation_input_tokens}, later ones as {@code cache_read_input_tokens}.
 *
 * <p>A request whose last user turn contains {@value FakeUpstream#TOOL_TRIGGER} and that offers
 * tools is answered with a text block and a {@code tool_use} block for the first tool, whose
 * input is streamed as {@code input_json_delta} fragments. The {@link Fault} queue of the fake
 * applies to {@code /v1/messages}: a status fault answers Anthropic's error shape
 * ({@code {"type":"error","error":{"type","message"}}}) with {@code retry-after}; a status-200
 * fault with a body answers that body, and for a streamed request sends it as an {@code error}
 * event after {@code message_start} (an error in mid-stream); a reset cuts the stream after the
 * given number of events; malformed JSON is sent as JSON or, streamed, as a broken event.
 */
final class AnthropicWire {

    /** The tool input the fake's {@code tool_use} block carries. */
    static final String TOOL_INPUT = "{\"path\":\"src/Main.java\",\"line\":42}";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final Set<String> FIELDS = Set.of("model", "messages", "max_tokens", "system",
            "stop_sequences", "stream", "temperature", "top_p", "top_k", "tools", "tool_choice",
            "metadata", "thinking", "service_tier", "container", "mcp_servers",
            "context_management");
    private static final Set<String> COUNT_FIELDS = Set.of("model", "messages", "system",
            "tools", "tool_choice", "thinking", "mcp_servers", "context_management");

    private final Queue<Fault> faults;
    private final AtomicInteger served;
    private final AtomicReference<String> reply;
    private final AtomicReference<List<String>> models;
    private final Supplier<RuntimeException> reset;
    private final Set<String> cached = ConcurrentHashMap.newKeySet();

    /**
     * Shares the state of the fake.
     *
     * @param faults the fake's fault queue
     * @param served the fake's count of completion requests
     * @param reply the fake's reply text, {@code null} for the default
     * @param models the fake's model list
     * @param reset makes the exception that cuts the connection
     */
    AnthropicWire(final Queue<Fault> faults, final AtomicInteger served,
            final AtomicReference<String> reply, final AtomicReference<List<String>> models,
            final Supplier<RuntimeException> reset) {
        this.faults = faults;
        this.served = served;
        this.reply = reply;
        this.models = models;
        this.reset = reset;
    }

    /**
     * Whether a request speaks Anthropic (carries {@code anthropic-version}).
     *
     * @param exchange the request
     * @return {@code true} for Anthropic clients
     */
    static boolean isAnthropic(final HttpExchange exchange) {
        return exchange.getRequestHeaders().containsKey("anthropic-version");
    }

    /**
     * The model list in Anthropic's shape ({@code GET /v1/models}).
     *
     * @return the JSON
     */
    String models() {
        final ObjectNode list = NODES.objectNode();
        final ArrayNode data = list.putArray("data");
        for (final String id : models.get()) {
            data.addObject().put("type", "model").put("id", id).put("display_name", id)
                    .put("created_at", "2025-09-29T00:00:00Z");
        }
        final List<String> ids = models.get();
        list.put("has_more", false);
        list.put("first_id", ids.isEmpty() ? null : ids.get(0));
        list.put("last_id", ids.isEmpty() ? null : ids.get(ids.size() - 1));
        return list.toString();
    }

    /**
     * Answers {@code POST /v1/messages} or {@code POST /v1/messages/count_tokens}.
     *
     * @param exchange the exchange
     * @param path the request path
     * @param body the request body
     * @throws IOException when the client went away
     */
    void handle(final HttpExchange exchange, final String path, final byte[] body)
            throws IOException {
        exchange.getResponseHeaders().set("request-id", "req_fake_" + served.get());
        if (!exchange.getRequestHeaders().containsKey("x-api-key")) {
            send(exchange, 401, error("authentication_error", "x-api-key header is required"));
            return;
        }
        if (!isAnthropic(exchange)) {
            send(exchange, 400, error("invalid_request_error",
                    "anthropic-version: header is required"));
            return;
        }
        final boolean count = path.endsWith("/count_tokens");
        final Fault fault = count ? null : faults.poll();
        if (!count) {
            served.incrementAndGet();
        }
        if (fault != null && fault.kind() == Fault.Kind.STATUS && fault.status() != 200) {
            if (fault.retryAfter() != null) {
                exchange.getResponseHeaders().set("retry-after", fault.retryAfter());
            }
            send(exchange, fault.status(), fault.body() != null ? fault.body()
                    : error(errorType(fault.status()), "fake upstream error " + fault.status()));
            return;
        }
        if (fault != null && fault.kind() == Fault.Kind.SLOW_FIRST_BYTE) {
            sleep(fault.delay().toMillis());
        }
        final JsonNode request;
        try {
            request = JSON.readTree(body);
        } catch (final IOException e) {
            send(exchange, 400, error("invalid_request_error", "invalid JSON: "
                    + e.getMessage()));
            return;
        }
        final String problem = validate(request, count);
        if (problem != null) {
            send(exchange, 400, error("invalid_request_error", problem));
            return;
        }
        if (count) {
            final int[] tokens = tokens(request, false);
            send(exchange, 200, NODES.objectNode().put("input_tokens", tokens[0] + tokens[1])
                    .toString());
            return;
        }
        final boolean stream = request.path("stream").asBoolean(false);
        if (fault != null && fault.kind() == Fault.Kind.MALFORMED_JSON) {
            if (stream) {
                startStream(exchange);
                final OutputStream out = exchange.getResponseBody();
                out.write("event: message_start\ndata: {\"type\": \"message_start\", \"mess\n\n"
                        .getBytes(StandardCharsets.UTF_8));
                out.close();
            } else {
                send(exchange, 200, "{\"id\": \"msg_broken\", \"content\": [");
            }
            return;
        }
        final String inlineError = fault != null && fault.kind() == Fault.Kind.STATUS
                ? fault.body() : null;
        if (inlineError != null && !stream) {
            send(exchange, 200, inlineError);
            return;
        }
        final Answer answer = answer(request);
        if (!stream) {
            send(exchange, 200, answer.message().toString());
            return;
        }
        final long pause = fault != null && fault.kind() == Fault.Kind.SLOW_STREAM
                ? fault.delay().toMillis() : 0;
        final int cutAfter = fault != null && fault.kind() == Fault.Kind.RESET_MID_STREAM
                ? fault.afterChunks() : -1;
        stream(exchange, answer, pause, cutAfter, inlineError);
    }

    private static String validate(final JsonNode request, final boolean count) {
        if (!request.isObject()) {
            return "body must be a JSON object";
        }
        final Iterator<String> names = request.fieldNames();
        while (names.hasNext()) {
            final String name = names.next();
            if (!(count ? COUNT_FIELDS : FIELDS).contains(name)) {
                return name + ": Extra inputs are not permitted";
            }
        }
        if (!request.path("model").isTextual()) {
            return "model: Field required";
        }
        if (!request.path("messages").isArray()) {
            return "messages: Field required";
        }
        if (!count && !request.path("max_tokens").canConvertToInt()) {
            return "max_tokens: Field required";
        }
        for (final JsonNode message : request.path("messages")) {
            final String role = message.path("role").asText();
            if (!role.equals("user") && !role.equals("assistant")) {
                return "messages: Unexpected role \"" + role + "\". Allowed roles are \"user\" "
                        + "and \"assistant\". For instructions to the model, use the top-level "
                        + "system parameter.";
            }
        }
        return null;
    }

    /** The answer to a request, with everything the stream needs. */
    private record Answer(String id, String model, String text, String tool, int input,
            int cacheCreation, int cacheRead, int output) {

        ObjectNode usage(final boolean withOutput) {
            final ObjectNode usage = NODES.objectNode().put("input_tokens", input)
                    .put("cache_creation_input_tokens", cacheCreation)
                    .put("cache_read_input_tokens", cacheRead);
            usage.put("output_tokens", withOutput ? output : 1);
            return usage;
        }

        String stopReason() {
            return tool != null ? "tool_use" : "end_turn";
        }

        ObjectNode message() {
            final ObjectNode message = NODES.objectNode().put("id", id).put("type", "message")
                    .put("role", "assistant").put("model", model);
            final ArrayNode content = message.putArray("content");
            content.addObject().put("type", "text").put("text", text);
            if (tool != null) {
                final ObjectNode use = content.addObject().put("type", "tool_use")
                        .put("id", "toolu_fake_1").put("name", tool);
                try {
                    use.set("input", JSON.readTree(TOOL_INPUT));
                } catch (final IOException e) {
                    throw new IllegalStateException(e);
                }
            }
            message.put("stop_reason", stopReason()).putNull("stop_sequence");
            message.set("usage", usage(true));
            return message;
        }
    }

    private Answer answer(final JsonNode request) {
        final String model = request.path("model").asText();
        final String tool = wantsTool(request)
                ? request.path("tools").get(0).path("name").asText() : null;
        final String configured = reply.get();
        final String text = tool != null ? "Let me look at that file."
                : configured != null ? configured : "Hello from " + model;
        final int[] tokens = tokens(request, true);
        final int output = pieces(text).size() + (tool != null ? 12 : 0);
        final boolean seen = tokens[1] > 0 && !cached.add(cacheKey(request));
        return new Answer("msg_fake_" + served.get(), model, text, tool, tokens[0],
                seen ? 0 : tokens[1], seen ? tokens[1] : 0, output);
    }

    private static boolean wantsTool(final JsonNode request) {
        if (!request.path("tools").isArray() || request.path("tools").isEmpty()) {
            return false;
        }
        final JsonNode messages = request.path("messages");
        for (int i = messages.size() - 1; i >= 0; i--) {
            final JsonNode message = messages.get(i);
            if ("user".equals(message.path("role").asText())) {
                return text(message.path("content")).toLowerCase(Locale.ROOT)
                        .contains(FakeUpstream.TOOL_TRIGGER);
            }
        }
        return false;
    }

    /** The text of a content value: a string, or the text of its blocks. */
    private static String text(final JsonNode content) {
        if (content.isTextual()) {
            return content.asText();
        }
        final StringBuilder text = new StringBuilder();
        for (final JsonNode block : content) {
            if (block.path("text").isTextual()) {
                text.append(block.path("text").asText()).append(' ');
            } else if (block.has("content")) {
                text.append(text(block.path("content"))).append(' ');
            }
        }
        return text.toString();
    }

    /**
     * Counts words: {uncached input, cache prefix}. The prefix ends with the last block that
     * carries {@code cache_control}, in the order tools, system, messages.
     */
    private static int[] tokens(final JsonNode request, final boolean split) {
        final List<JsonNode> blocks = new ArrayList<>();
        request.path("tools").forEach(blocks::add);
        final JsonNode system = request.path("system");
        if (system.isTextual()) {
            blocks.add(NODES.objectNode().put("text", system.asText()));
        } else {
            system.forEach(blocks::add);
        }
        for (final JsonNode message : request.path("messages")) {
            if (message.path("content").isTextual()) {
                blocks.add(NODES.objectNode().put("text", message.path("content").asText()));
            } else {
                message.path("content").forEach(blocks::add);
            }
        }
        int total = 0;
        int prefix = 0;
        for (final JsonNode block : blocks) {
            total += words(block.has("description") ? block.path("description").asText()
                    : text(NODES.arrayNode().add(block)));
            if (block.has("cache_control")) {
                prefix = total;
            }
        }
        if (!split) {
            return new int[] {Math.max(total, 1), 0};
        }
        return new int[] {Math.max(total - prefix, 1), prefix};
    }

    private static String cacheKey(final JsonNode request) {
        return request.path("model").asText() + request.path("tools") + request.path("system")
                + request.path("messages").path(0);
    }

    private static int words(final String text) {
        final String trimmed = text.trim();
        return trimmed.isEmpty() ? 0 : trimmed.split("\\s+").length;
    }

    private static List<String> pieces(final String text) {
        final List<String> parts = new ArrayList<>();
        final String[] split = text.split(" ");
        for (int i = 0; i < split.length; i++) {
            parts.add(i == 0 ? split[i] : " " + split[i]);
        }
        return parts;
    }

    private void stream(final HttpExchange exchange, final Answer answer, final long pause,
            final int cutAfter, final String inlineError) throws IOException {
        startStream(exchange);
        final OutputStream out = exchange.getResponseBody();
        final List<ObjectNode> events = new ArrayList<>();
        final ObjectNode start = NODES.objectNode().put("type", "message_start");
        final ObjectNode message = start.putObject("message").put("id", answer.id())
                .put("type", "message").put("role", "assistant").put("model", answer.model());
        message.putArray("content");
        message.putNull("stop_reason").putNull("stop_sequence");
        message.set("usage", answer.usage(false));
        events.add(start);
        if (inlineError != null) {
            sendEvents(out, events, pause, cutAfter);
            out.write(("event: error\ndata: " + inlineError + "\n\n")
                    .getBytes(StandardCharsets.UTF_8));
            out.close();
            return;
        }
        events.add(blockStart(0, NODES.objectNode().put("type", "text").put("text", "")));
        events.add(NODES.objectNode().put("type", "ping"));
        for (final String piece : pieces(answer.text())) {
            events.add(delta(0, NODES.objectNode().put("type", "text_delta").put("text", piece)));
        }
        events.add(NODES.objectNode().put("type", "content_block_stop").put("index", 0));
        if (answer.tool() != null) {
            final ObjectNode use = NODES.objectNode().put("type", "tool_use")
                    .put("id", "toolu_fake_1").put("name", answer.tool());
            use.putObject("input");
            events.add(blockStart(1, use));
            for (final String fragment : List.of("", TOOL_INPUT.substring(0, 9),
                    TOOL_INPUT.substring(9, 25), TOOL_INPUT.substring(25))) {
                events.add(delta(1, NODES.objectNode().put("type", "input_json_delta")
                        .put("partial_json", fragment)));
            }
            events.add(NODES.objectNode().put("type", "content_block_stop").put("index", 1));
        }
        final ObjectNode end = NODES.objectNode().put("type", "message_delta");
        end.putObject("delta").put("stop_reason", answer.stopReason()).putNull("stop_sequence");
        end.putObject("usage").put("output_tokens", answer.output());
        events.add(end);
        events.add(NODES.objectNode().put("type", "message_stop"));
        sendEvents(out, events, pause, cutAfter);
        out.close();
    }

    private void sendEvents(final OutputStream out, final List<ObjectNode> events,
            final long pause, final int cutAfter) throws IOException {
        int sent = 0;
        for (final ObjectNode event : events) {
            if (sent == cutAfter) {
                throw reset.get();
            }
            if (pause > 0) {
                sleep(pause);
            }
            out.write(("event: " + event.path("type").asText() + "\ndata: " + event + "\n\n")
                    .getBytes(StandardCharsets.UTF_8));
            out.flush();
            sent++;
        }
    }

    private static ObjectNode blockStart(final int index, final ObjectNode block) {
        final ObjectNode event = NODES.objectNode().put("type", "content_block_start")
                .put("index", index);
        event.set("content_block", block);
        return event;
    }

    private static ObjectNode delta(final int index, final ObjectNode delta) {
        final ObjectNode event = NODES.objectNode().put("type", "content_block_delta")
                .put("index", index);
        event.set("delta", delta);
        return event;
    }

    private static void startStream(final HttpExchange exchange) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        exchange.getResponseHeaders().set("Cache-Control", "no-cache");
        exchange.sendResponseHeaders(200, 0);
    }

    /**
     * The Anthropic error type of an HTTP status.
     *
     * @param status the status
     * @return the type
     */
    static String errorType(final int status) {
        return switch (status) {
            case 400 -> "invalid_request_error";
            case 401 -> "authentication_error";
            case 402 -> "billing_error";
            case 403 -> "permission_error";
            case 404 -> "not_found_error";
            case 413 -> "request_too_large";
            case 429 -> "rate_limit_error";
            case 504 -> "timeout_error";
            case 529 -> "overloaded_error";
            default -> "api_error";
        };
    }

    /**
     * An error body in Anthropic's shape.
     *
     * @param type the error type
     * @param message the message
     * @return the JSON
     */
    static String error(final String type, final String message) {
        final ObjectNode error = NODES.objectNode().put("type", "error");
        error.putObject("error").put("type", type).put("message", message);
        return error.toString();
    }

    private static void send(final HttpExchange exchange, final int status, final String body)
            throws IOException {
        final byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static void sleep(final long millis) {
        try {
            Thread.sleep(millis);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
