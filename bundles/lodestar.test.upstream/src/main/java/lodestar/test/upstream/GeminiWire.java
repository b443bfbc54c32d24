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
import java.util.List;
import java.util.Locale;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The Google Gemini API wire format of {@link FakeUpstream}, below {@value #PREFIX}:
 * {@code GET /v1beta/models}, {@code POST /v1beta/models/<model>:generateContent} and
 * {@code POST /v1beta/models/<model>:streamGenerateContent?alt=sse}.
 *
 * <p>The key must come in the {@code x-goog-api-key} header (else 403 {@code PERMISSION_DENIED},
 * as Google answers unregistered callers). Answers follow the fake's rules: the reply text one
 * word per stream event, prompt tokens counted as words, and a {@code functionCall} of the first
 * declared function when the last user turn contains {@value FakeUpstream#TOOL_TRIGGER} and tools
 * are offered. Every event carries {@code usageMetadata}; the last one the {@code finishReason}.
 * Faults from the fake's queue apply to generate calls, with Google's error body
 * ({@code {"error":{"code","message","status"}}}) for an error status.
 */
final class GeminiWire {

    /** The paths this wire answers start with this. */
    static final String PREFIX = "/v1beta/models";
    /** Arguments of the fake function call. */
    static final String ARGUMENTS = "{\"path\":\"src/Main.java\",\"line\":42}";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final Queue<Fault> faults;
    private final AtomicInteger served;
    private final Supplier<String> reply;
    private final Supplier<List<String>> models;

    /**
     * The wire, sharing the fake's state.
     *
     * @param faults the fake's fault queue
     * @param served the fake's count of completion requests
     * @param reply the configured reply text, or {@code null} for the default
     * @param models the model ids to list
     */
    GeminiWire(final Queue<Fault> faults, final AtomicInteger served,
            final Supplier<String> reply, final Supplier<List<String>> models) {
        this.faults = faults;
        this.served = served;
        this.reply = reply;
        this.models = models;
    }

    /**
     * Answers one request below {@value #PREFIX}.
     *
     * @param exchange the exchange
     * @param path the request path
     * @param body the request body
     * @throws IOException when the client went away
     */
    void handle(final HttpExchange exchange, final String path, final byte[] body)
            throws IOException {
        final String key = exchange.getRequestHeaders().getFirst("x-goog-api-key");
        if (key == null || key.isBlank()) {
            send(exchange, 403, error(403, "Method doesn't allow unregistered callers (callers "
                    + "without established identity). Please use API Key or other form of API "
                    + "consumer identity to call this API.", "PERMISSION_DENIED"));
            return;
        }
        if (path.equals(PREFIX) && "GET".equals(exchange.getRequestMethod())) {
            send(exchange, 200, list());
            return;
        }
        final int colon = path.lastIndexOf(':');
        final String method = colon < 0 ? "" : path.substring(colon + 1);
        final String model = colon < 0 ? "" : path.substring(PREFIX.length() + 1, colon);
        if (!"POST".equals(exchange.getRequestMethod()) || model.isEmpty()
                || !method.equals("generateContent") && !method.equals("streamGenerateContent")) {
            send(exchange, 404, error(404, "no route " + path, "NOT_FOUND"));
            return;
        }
        generate(exchange, model, method.equals("streamGenerateContent"), body);
    }

    private void generate(final HttpExchange exchange, final String model, final boolean stream,
            final byte[] body) throws IOException {
        served.incrementAndGet();
        final Fault fault = faults.poll();
        if (fault != null && fault.kind() == Fault.Kind.STATUS) {
            if (fault.retryAfter() != null) {
                exchange.getResponseHeaders().set("Retry-After", fault.retryAfter());
            }
            send(exchange, fault.status(), fault.body() != null ? fault.body()
                    : error(fault.status(), "fake upstream error " + fault.status(),
                            status(fault.status())));
            return;
        }
        if (fault != null && fault.kind() == Fault.Kind.SLOW_FIRST_BYTE) {
            sleep(fault.delay().toMillis());
        }
        if (fault != null && fault.kind() == Fault.Kind.MALFORMED_JSON) {
            if (stream) {
                exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
                exchange.sendResponseHeaders(200, 0);
                try (OutputStream out = exchange.getResponseBody()) {
                    sse(out, "{\"candidates\": [");
                }
            } else {
                send(exchange, 200, "{\"candidates\": [");
            }
            return;
        }
        final JsonNode request;
        try {
            request = JSON.readTree(body);
        } catch (final IOException e) {
            send(exchange, 400, error(400, "Invalid JSON payload received.",
                    "INVALID_ARGUMENT"));
            return;
        }
        final String query = exchange.getRequestURI().getRawQuery();
        if (stream && (query == null || !query.contains("alt=sse"))) {
            send(exchange, 400, error(400, "the fake streams with alt=sse only",
                    "INVALID_ARGUMENT"));
            return;
        }
        final int cutAfter = fault != null && fault.kind() == Fault.Kind.RESET_MID_STREAM
                ? fault.afterChunks() : -1;
        final long pause = fault != null && fault.kind() == Fault.Kind.SLOW_STREAM
                ? fault.delay().toMillis() : 0;
        answer(exchange, model, request, stream, cutAfter, pause);
    }

    private void answer(final HttpExchange exchange, final String model, final JsonNode request,
            final boolean stream, final int cutAfter, final long pause) throws IOException {
        final String tool = toolName(request);
        final String configured = reply.get();
        final String text = configured != null ? configured : "Hello from " + model;
        final int prompt = promptTokens(request);
        final List<ObjectNode> parts = new ArrayList<>();
        if (tool != null) {
            final ObjectNode part = NODES.objectNode();
            part.putObject("functionCall").put("name", tool).set("args", JSON.readTree(
                    ARGUMENTS));
            parts.add(part);
        } else {
            final String[] words = text.split(" ");
            for (int i = 0; i < words.length; i++) {
                parts.add(NODES.objectNode().put("text", i == 0 ? words[i] : " " + words[i]));
            }
        }
        final int completion = tool != null ? 12 : parts.size();
        final String responseId = "fake-" + served.get();
        if (!stream) {
            final ObjectNode response = NODES.objectNode();
            final ObjectNode content = response.putArray("candidates").addObject()
                    .putObject("content");
            final ArrayNode all = content.putArray("parts");
            if (tool != null) {
                all.add(parts.get(0));
            } else {
                all.addObject().put("text", text);
            }
            content.put("role", "model");
            ((ObjectNode) response.get("candidates").get(0)).put("finishReason", "STOP")
                    .put("index", 0);
            response.set("usageMetadata", usage(prompt, completion));
            response.put("modelVersion", model).put("responseId", responseId);
            send(exchange, 200, response.toString());
            return;
        }
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
        exchange.sendResponseHeaders(200, 0);
        final OutputStream out = exchange.getResponseBody();
        for (int i = 0; i < parts.size(); i++) {
            if (i == cutAfter) {
                throw new FakeUpstream.ConnectionReset();
            }
            if (pause > 0) {
                sleep(pause);
            }
            final boolean last = i == parts.size() - 1;
            final ObjectNode event = NODES.objectNode();
            final ObjectNode candidate = event.putArray("candidates").addObject();
            candidate.putObject("content").put("role", "model").putArray("parts")
                    .add(parts.get(i));
            if (last) {
                candidate.put("finishReason", "STOP");
            }
            candidate.put("index", 0);
            event.set("usageMetadata", usage(prompt, last ? completion : i + 1));
            event.put("modelVersion", model).put("responseId", responseId);
            sse(out, event.toString());
        }
        out.close();
    }

    /** The first declared function when the last user turn asks for a tool, else null. */
    private static String toolName(final JsonNode request) {
        final JsonNode declarations = request.path("tools").path(0).path("functionDeclarations");
        final JsonNode contents = request.path("contents");
        if (declarations.isEmpty() || contents.isEmpty()) {
            return null;
        }
        final JsonNode last = contents.get(contents.size() - 1);
        if (!"user".equals(last.path("role").asText())) {
            return null;
        }
        for (final JsonNode part : last.path("parts")) {
            if (part.path("text").asText("").toLowerCase(Locale.ROOT)
                    .contains(FakeUpstream.TOOL_TRIGGER)) {
                return declarations.get(0).path("name").asText();
            }
        }
        return null;
    }

    private static int promptTokens(final JsonNode request) {
        int words = 0;
        for (final JsonNode part : request.path("systemInstruction").path("parts")) {
            words += words(part.path("text").asText(""));
        }
        for (final JsonNode content : request.path("contents")) {
            for (final JsonNode part : content.path("parts")) {
                words += words(part.has("text") ? part.path("text").asText("")
                        : part.toString());
            }
        }
        return Math.max(words, 1);
    }

    private static int words(final String text) {
        final String trimmed = text.trim();
        return trimmed.isEmpty() ? 0 : trimmed.split("\\s+").length;
    }

    private static ObjectNode usage(final int prompt, final int candidates) {
        return NODES.objectNode().put("promptTokenCount", prompt)
                .put("candidatesTokenCount", candidates)
                .put("totalTokenCount", prompt + candidates);
    }

    private String list() {
        final ObjectNode list = NODES.objectNode();
        final ArrayNode all = list.putArray("models");
        for (final String id : models.get()) {
            final ObjectNode model = all.addObject().put("name", "models/" + id)
                    .put("version", "001").put("displayName", id)
                    .put("inputTokenLimit", 1_048_576).put("outputTokenLimit", 65_536);
            model.putArray("supportedGenerationMethods").add("generateContent")
                    .add("countTokens");
        }
        return list.toString();
    }

    /** Google's canonical status name of an HTTP status. */
    static String status(final int code) {
        return switch (code) {
            case 400 -> "INVALID_ARGUMENT";
            case 401 -> "UNAUTHENTICATED";
            case 403 -> "PERMISSION_DENIED";
            case 404 -> "NOT_FOUND";
            case 429 -> "RESOURCE_EXHAUSTED";
            case 503 -> "UNAVAILABLE";
            case 504 -> "DEADLINE_EXCEEDED";
            default -> "INTERNAL";
        };
    }

    /** Google's error body. */
    static String error(final int code, final String message, final String status) {
        final ObjectNode error = NODES.objectNode();
        error.putObject("error").put("code", code).put("message", message).put("status", status);
        return error.toString();
    }

    private static void send(final HttpExchange exchange, final int status, final String body)
            throws IOException {
        final byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json; charset=UTF-8");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static void sse(final OutputStream out, final String data) throws IOException {
        out.write(("data: " + data + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static void sleep(final long millis) {
        try {
            Thread.sleep(millis);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
