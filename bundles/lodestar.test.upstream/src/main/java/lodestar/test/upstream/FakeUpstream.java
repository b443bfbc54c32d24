package lodestar.test.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A fake LLM upstream on loopback that speaks the OpenAI ({@code /v1/chat/completions},
 * {@code /v1/completions}, {@code /v1/embeddings}, {@code /v1/models}) and Ollama
 * ({@code /api/chat}, {@code /api/tags}, {@code /api/ps}, {@code /api/version}, and model creation
 * from a LoRA adapter: {@code HEAD/POST /api/blobs/sha256:<digest>}, {@code POST /api/create})
 * wire formats over real HTTP, streaming included, and misbehaves on request ({@link Fault}).
 *
 * <p>Answers are deterministic: the reply text (default {@code "Hello from <model>"}) is sent one
 * word per chunk; prompt tokens are counted as words of the messages. A request whose last
 * message contains {@value #TOOL_TRIGGER} and that offers tools is answered with a call of the
 * first tool, its arguments streamed in fragments.
 */
public final class FakeUpstream implements AutoCloseable {

    /** Text that makes the fake answer with a tool call. */
    public static final String TOOL_TRIGGER = "use the tool";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final String BLOBS = "/api/blobs/";

    private final HttpServer server;
    private final ExecutorService executor;
    private final Queue<Fault> faults = new ConcurrentLinkedQueue<>();
    private final List<Recorded> requests = new CopyOnWriteArrayList<>();
    private final AtomicReference<String> reply = new AtomicReference<>();
    private final AtomicReference<List<String>> models = new AtomicReference<>(
            List.of("fake-small", "fake-large"));
    private final AtomicInteger served = new AtomicInteger();
    private final Map<String, Integer> blobs = new ConcurrentHashMap<>();
    private final List<String> created = new CopyOnWriteArrayList<>();
    private final AtomicInteger aborted = new AtomicInteger();
    private final AnthropicWire anthropic = new AnthropicWire(faults, served, reply, models,
            ConnectionReset::new);
    /** Pause between stream chunks of the request being answered on this thread. */
    private final ThreadLocal<Long> pause = ThreadLocal.withInitial(() -> 0L);
    private volatile boolean record = true;
    private final GeminiWire gemini = new GeminiWire(faults, served, reply::get, models::get);

    private FakeUpstream(final HttpServer server, final ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /**
     * Starts a fake upstream on a free loopback port.
     *
     * @return the running fake
     * @throws IOException when no port can be bound
     */
    public static FakeUpstream start() throws IOException {
        return start(0, 64);
    }

    /**
     * Starts a fake upstream.
     *
     * @param port the port, 0 for a free one
     * @param threads worker threads
     * @return the running fake
     * @throws IOException when the port cannot be bound
     */
    public static FakeUpstream start(final int port, final int threads) throws IOException {
        final HttpServer server = HttpServer.create(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 512);
        final ExecutorService executor = Executors.newFixedThreadPool(threads, r -> {
            final Thread thread = new Thread(r, "fake-upstream");
            thread.setDaemon(true);
            return thread;
        });
        final FakeUpstream fake = new FakeUpstream(server, executor);
        server.setExecutor(executor);
        server.createContext("/", fake::handle);
        server.start();
        return fake;
    }

    /**
     * The base URL, e.g. {@code http://127.0.0.1:41234}.
     *
     * @return the base URL, without a trailing slash
     */
    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /**
     * Makes the next completion request misbehave. Faults queue up, one per request.
     *
     * @param fault the fault
     */
    public void enqueue(final Fault fault) {
        faults.add(fault);
    }

    /**
     * Sets the reply text; {@code null} restores the default.
     *
     * @param text the text every completion answers
     */
    public void reply(final String text) {
        reply.set(text);
    }

    /**
     * Sets the model list answered by {@code /v1/models} and {@code /api/tags}.
     *
     * @param ids the model ids
     */
    public void models(final List<String> ids) {
        models.set(List.copyOf(ids));
    }

    /**
     * Turns request recording off (for benchmarks) or on.
     *
     * @param on whether to record
     */
    public void recording(final boolean on) {
        record = on;
    }

    /**
     * Requests received so far, oldest first.
     *
     * @return the requests
     */
    public List<Recorded> requests() {
        return Collections.unmodifiableList(requests);
    }

    /**
     * Completion requests served so far (successful or not).
     *
     * @return the count
     */
    public int served() {
        return served.get();
    }

    /**
     * Answers that could not be written to the end because the client (Lodestar) closed the
     * connection: how a test sees that an upstream call was cancelled.
     *
     * @return the count
     */
    public int aborted() {
        return aborted.get();
    }

    /**
     * Models created through {@code POST /api/create}, oldest first. Each is also added to the
     * list answered by {@code /api/tags}, {@code /api/ps} and {@code /v1/models}, as Ollama lists
     * a model once it is created.
     *
     * @return the created model names
     */
    public List<String> created() {
        return Collections.unmodifiableList(created);
    }

    /**
     * Digests of the blobs uploaded through {@code POST /api/blobs/sha256:<digest>}.
     *
     * @return the digests ({@code sha256:<hex>})
     */
    public List<String> blobs() {
        return List.copyOf(blobs.keySet());
    }

    /** Forgets recorded requests and pending faults. */
    public void reset() {
        requests.clear();
        faults.clear();
        reply.set(null);
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        try {
            executor.awaitTermination(2, TimeUnit.SECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void handle(final HttpExchange exchange) throws IOException {
        final String path = exchange.getRequestURI().getPath();
        final byte[] body = exchange.getRequestBody().readAllBytes();
        if (record) {
            final Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            exchange.getRequestHeaders().forEach((k, v) -> headers.put(k, String.join(",", v)));
            requests.add(new Recorded(exchange.getRequestMethod(), path, headers,
                    new String(body, StandardCharsets.UTF_8)));
        }
        boolean reset = false;
        try {
            if (path.startsWith(GeminiWire.PREFIX)) {
                gemini.handle(exchange, path, body);
                return;
            }
            if (path.startsWith(BLOBS)) {
                blob(exchange, path.substring(BLOBS.length()), body);
                return;
            }
            if ("/api/create".equals(path)) {
                create(exchange, body);
                return;
            }
            switch (path) {
                case "/v1/models" -> send(exchange, 200, AnthropicWire.isAnthropic(exchange)
                        ? anthropic.models() : openAiModels());
                case "/v1/messages", "/v1/messages/count_tokens" ->
                        anthropic.handle(exchange, path, body);
                case "/api/tags" -> send(exchange, 200, ollamaTags());
                case "/api/ps" -> send(exchange, 200, ollamaPs());
                case "/api/version" -> send(exchange, 200, "{\"version\":\"0.5.1\"}");
                case "/" -> send(exchange, 200, "Ollama is running");
                case "/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/api/chat" ->
                        complete(exchange, path, body);
                default -> send(exchange, 404, error("no route " + path, "not_found"));
            }
        } catch (final IOException e) {
            aborted.incrementAndGet();
            throw e;
        } catch (final ConnectionReset e) {
            // leaving the exchange open and throwing makes the server drop the connection
            // without the terminating chunk: the client sees a cut stream
            reset = true;
            throw e;
        } finally {
            if (!reset) {
                exchange.close();
            }
        }
    }

    /** Ollama's blob store: HEAD answers 200 when known, POST checks the digest (201). */
    private void blob(final HttpExchange exchange, final String digest, final byte[] body)
            throws IOException {
        final String method = exchange.getRequestMethod();
        if ("HEAD".equals(method)) {
            exchange.sendResponseHeaders(blobs.containsKey(digest) ? 200 : 404, -1);
            return;
        }
        if (!"POST".equals(method)) {
            send(exchange, 405, "{\"error\":\"method not allowed\"}");
            return;
        }
        final String actual;
        try {
            actual = "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(body));
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        if (!actual.equals(digest)) {
            send(exchange, 400, "{\"error\":\"digest mismatch, expected " + digest + ", got "
                    + actual + "\"}");
            return;
        }
        blobs.put(digest, body.length);
        exchange.sendResponseHeaders(201, -1);
    }

    /**
     * Ollama's {@code POST /api/create} with {@code from} and {@code adapters}: every adapter
     * digest must have been uploaded; the model is then listed. Streams status lines unless
     * {@code stream} is false.
     */
    private void create(final HttpExchange exchange, final byte[] body) throws IOException {
        final JsonNode request;
        try {
            request = JSON.readTree(body);
        } catch (final IOException e) {
            send(exchange, 400, "{\"error\":\"invalid JSON\"}");
            return;
        }
        final String model = request.path("model").asText("");
        if (model.isEmpty() || request.path("from").asText("").isEmpty()) {
            send(exchange, 400, "{\"error\":\"model and from are required\"}");
            return;
        }
        final List<String> missing = new ArrayList<>();
        request.path("adapters").fields().forEachRemaining(e -> {
            if (!blobs.containsKey(e.getValue().asText())) {
                missing.add(e.getKey());
            }
        });
        if (!missing.isEmpty()) {
            send(exchange, 400, NODES.objectNode().put("error", "blob(s) not found: "
                    + missing).toString());
            return;
        }
        created.add(model);
        models.updateAndGet(list -> {
            if (list.contains(model)) {
                return list;
            }
            final List<String> next = new ArrayList<>(list);
            next.add(model);
            return List.copyOf(next);
        });
        if (!request.path("stream").asBoolean(true)) {
            send(exchange, 200, "{\"status\":\"success\"}");
            return;
        }
        exchange.getResponseHeaders().set("Content-Type", "application/x-ndjson");
        exchange.sendResponseHeaders(200, 0);
        final OutputStream out = exchange.getResponseBody();
        line(out, "{\"status\":\"using existing layer\"}");
        line(out, "{\"status\":\"writing manifest\"}");
        line(out, "{\"status\":\"success\"}");
        out.close();
    }

    /** Thrown inside a handler to cut the connection mid-stream. */
    static final class ConnectionReset extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ConnectionReset() {
            super("fake upstream: connection reset mid-stream", null, false, false);
        }
    }

    private void complete(final HttpExchange exchange, final String path, final byte[] body)
            throws IOException {
        served.incrementAndGet();
        final Fault fault = faults.poll();
        if (fault != null && fault.kind() == Fault.Kind.STATUS) {
            if (fault.retryAfter() != null) {
                exchange.getResponseHeaders().set("Retry-After", fault.retryAfter());
            }
            send(exchange, fault.status(), fault.body() != null ? fault.body()
                    : error("fake upstream error " + fault.status(), "fake_error"));
            return;
        }
        if (fault != null && fault.kind() == Fault.Kind.SLOW_FIRST_BYTE) {
            sleep(fault.delay().toMillis());
        }
        if (fault != null && fault.kind() == Fault.Kind.MALFORMED_JSON) {
            send(exchange, 200, "{\"id\": \"broken\", \"choices\": [");
            return;
        }
        final JsonNode request;
        try {
            request = JSON.readTree(body);
        } catch (final IOException e) {
            send(exchange, 400, error("invalid JSON: " + e.getMessage(),
                    "invalid_request_error"));
            return;
        }
        final int cutAfter = fault != null && fault.kind() == Fault.Kind.RESET_MID_STREAM
                ? fault.afterChunks() : -1;
        pause.set(fault != null && fault.kind() == Fault.Kind.SLOW_STREAM
                ? fault.delay().toMillis() : 0);
        switch (path) {
            case "/v1/embeddings" -> send(exchange, 200, embeddings(request));
            case "/v1/completions" -> textCompletion(exchange, request, cutAfter);
            case "/api/chat" -> ollamaChat(exchange, request, cutAfter);
            default -> chatCompletion(exchange, request, cutAfter);
        }
    }

    private String replyFor(final JsonNode request) {
        final String configured = reply.get();
        return configured != null ? configured
                : "Hello from " + request.path("model").asText("fake");
    }

    private static int promptTokens(final JsonNode request) {
        int words = 0;
        for (final JsonNode message : request.path("messages")) {
            words += words(message.path("content").isTextual()
                    ? message.path("content").asText() : message.path("content").toString());
        }
        words += words(request.path("prompt").asText(""));
        words += words(request.path("input").isTextual() ? request.path("input").asText() : "");
        return Math.max(words, 1);
    }

    private static int words(final String text) {
        final String trimmed = text.trim();
        return trimmed.isEmpty() ? 0 : trimmed.split("\\s+").length;
    }

    private static boolean wantsTool(final JsonNode request) {
        final JsonNode messages = request.path("messages");
        if (!request.path("tools").isArray() || request.path("tools").isEmpty()
                || messages.isEmpty()) {
            return false;
        }
        return messages.get(messages.size() - 1).path("content").asText()
                .toLowerCase(Locale.ROOT).contains(TOOL_TRIGGER);
    }

    private static List<String> pieces(final String text) {
        final List<String> parts = new ArrayList<>();
        final String[] split = text.split(" ");
        for (int i = 0; i < split.length; i++) {
            parts.add(i == 0 ? split[i] : " " + split[i]);
        }
        return parts;
    }

    private void chatCompletion(final HttpExchange exchange, final JsonNode request,
            final int cutAfter) throws IOException {
        final String model = request.path("model").asText();
        final String id = "chatcmpl-fake-" + served.get();
        final boolean tool = wantsTool(request);
        final String toolName = tool ? request.path("tools").get(0).path("function")
                .path("name").asText() : null;
        final String arguments = "{\"path\":\"src/Main.java\",\"line\":42}";
        final String text = replyFor(request);
        final int prompt = promptTokens(request);
        final int completion = tool ? 12 : pieces(text).size();
        if (!request.path("stream").asBoolean(false)) {
            final ObjectNode message = NODES.objectNode().put("role", "assistant");
            if (tool) {
                message.putNull("content");
                message.putArray("tool_calls").add(toolCall(0, "call_fake_1", toolName,
                        arguments));
            } else {
                message.put("content", text);
            }
            final ObjectNode response = NODES.objectNode().put("id", id)
                    .put("object", "chat.completion").put("created", 1_700_000_000L)
                    .put("model", model);
            response.putArray("choices").addObject().put("index", 0).<ObjectNode>set("message",
                    message).put("finish_reason", tool ? "tool_calls" : "stop");
            response.set("usage", usage(prompt, completion));
            send(exchange, 200, response.toString());
            return;
        }
        final boolean includeUsage = request.path("stream_options").path("include_usage")
                .asBoolean(false);
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
        exchange.sendResponseHeaders(200, 0);
        final OutputStream out = exchange.getResponseBody();
        final List<ObjectNode> deltas = new ArrayList<>();
        deltas.add(NODES.objectNode().put("role", "assistant").put("content", ""));
        if (tool) {
            final ObjectNode first = NODES.objectNode();
            first.putArray("tool_calls").add(toolCall(0, "call_fake_1", toolName, ""));
            deltas.add(first);
            for (final String fragment : List.of(arguments.substring(0, 9),
                    arguments.substring(9, 25), arguments.substring(25))) {
                final ObjectNode next = NODES.objectNode();
                final ObjectNode call = next.putArray("tool_calls").addObject().put("index", 0);
                call.putObject("function").put("arguments", fragment);
                deltas.add(next);
            }
        } else {
            for (final String piece : pieces(text)) {
                deltas.add(NODES.objectNode().put("content", piece));
            }
        }
        int sent = 0;
        for (final ObjectNode delta : deltas) {
            if (sent == cutAfter) {
                throw new ConnectionReset();
            }
            if (pause.get() > 0) {
                sleep(pause.get());
            }
            sse(out, chunk(id, model, delta, null, includeUsage));
            sent++;
        }
        sse(out, chunk(id, model, NODES.objectNode(), tool ? "tool_calls" : "stop",
                includeUsage));
        if (includeUsage) {
            final ObjectNode usageChunk = NODES.objectNode().put("id", id)
                    .put("object", "chat.completion.chunk").put("created", 1_700_000_000L)
                    .put("model", model);
            usageChunk.putArray("choices");
            usageChunk.set("usage", usage(prompt, completion));
            sse(out, usageChunk.toString());
        }
        sse(out, "[DONE]");
        out.close();
    }

    private static ObjectNode toolCall(final int index, final String id, final String name,
            final String arguments) {
        final ObjectNode call = NODES.objectNode().put("index", index).put("id", id)
                .put("type", "function");
        call.putObject("function").put("name", name).put("arguments", arguments);
        return call;
    }

    private static String chunk(final String id, final String model, final ObjectNode delta,
            final String finish, final boolean includeUsage) {
        final ObjectNode chunk = NODES.objectNode().put("id", id)
                .put("object", "chat.completion.chunk").put("created", 1_700_000_000L)
                .put("model", model);
        final ObjectNode choice = chunk.putArray("choices").addObject().put("index", 0);
        choice.set("delta", delta);
        if (finish == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finish);
        }
        if (includeUsage) {
            chunk.putNull("usage");
        }
        return chunk.toString();
    }

    private static ObjectNode usage(final int prompt, final int completion) {
        return NODES.objectNode().put("prompt_tokens", prompt)
                .put("completion_tokens", completion).put("total_tokens", prompt + completion);
    }

    private void textCompletion(final HttpExchange exchange, final JsonNode request,
            final int cutAfter) throws IOException {
        final String model = request.path("model").asText();
        final String text = replyFor(request);
        final int prompt = promptTokens(request);
        if (!request.path("stream").asBoolean(false)) {
            final ObjectNode response = NODES.objectNode().put("id", "cmpl-fake")
                    .put("object", "text_completion").put("created", 1_700_000_000L)
                    .put("model", model);
            response.putArray("choices").addObject().put("index", 0).put("text", text)
                    .put("finish_reason", "stop");
            response.set("usage", usage(prompt, pieces(text).size()));
            send(exchange, 200, response.toString());
            return;
        }
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
        exchange.sendResponseHeaders(200, 0);
        final OutputStream out = exchange.getResponseBody();
        int sent = 0;
        for (final String piece : pieces(text)) {
            if (sent++ == cutAfter) {
                throw new ConnectionReset();
            }
            final ObjectNode chunk = NODES.objectNode().put("id", "cmpl-fake")
                    .put("object", "text_completion").put("model", model);
            chunk.putArray("choices").addObject().put("index", 0).put("text", piece)
                    .putNull("finish_reason");
            sse(out, chunk.toString());
        }
        sse(out, "[DONE]");
        out.close();
    }

    private String embeddings(final JsonNode request) {
        final ObjectNode response = NODES.objectNode().put("object", "list")
                .put("model", request.path("model").asText());
        final ArrayNode vector = response.putArray("data").addObject().put("object", "embedding")
                .put("index", 0).putArray("embedding");
        vector.add(0.125).add(-0.5).add(0.25);
        final int prompt = promptTokens(request);
        response.putObject("usage").put("prompt_tokens", prompt).put("total_tokens", prompt);
        return response.toString();
    }

    private void ollamaChat(final HttpExchange exchange, final JsonNode request,
            final int cutAfter) throws IOException {
        final String model = request.path("model").asText();
        final String text = replyFor(request);
        final int prompt = promptTokens(request);
        final boolean stream = request.path("stream").asBoolean(true);
        final List<String> parts = pieces(text);
        if (!stream) {
            final ObjectNode done = ollamaLine(model, text, true);
            done.put("done_reason", "stop").put("prompt_eval_count", prompt)
                    .put("eval_count", parts.size()).put("total_duration", 1_000_000L);
            send(exchange, 200, done.toString());
            return;
        }
        exchange.getResponseHeaders().set("Content-Type", "application/x-ndjson");
        exchange.sendResponseHeaders(200, 0);
        final OutputStream out = exchange.getResponseBody();
        int sent = 0;
        for (final String piece : parts) {
            if (sent++ == cutAfter) {
                throw new ConnectionReset();
            }
            line(out, ollamaLine(model, piece, false).toString());
        }
        final ObjectNode done = ollamaLine(model, "", true);
        done.put("done_reason", "stop").put("prompt_eval_count", prompt)
                .put("eval_count", parts.size()).put("total_duration", 1_000_000L)
                .put("eval_duration", 500_000L);
        line(out, done.toString());
        out.close();
    }

    private static ObjectNode ollamaLine(final String model, final String content,
            final boolean done) {
        final ObjectNode line = NODES.objectNode().put("model", model)
                .put("created_at", "2026-11-26T10:00:00Z");
        line.putObject("message").put("role", "assistant").put("content", content);
        line.put("done", done);
        return line;
    }

    private String openAiModels() {
        final ObjectNode list = NODES.objectNode().put("object", "list");
        final ArrayNode data = list.putArray("data");
        for (final String id : models.get()) {
            data.addObject().put("id", id).put("object", "model").put("created", 1_700_000_000L)
                    .put("owned_by", "fake");
        }
        return list.toString();
    }

    private String ollamaTags() {
        final ObjectNode tags = NODES.objectNode();
        final ArrayNode list = tags.putArray("models");
        for (final String id : models.get()) {
            final ObjectNode model = list.addObject().put("name", id).put("model", id)
                    .put("size", 800_000_000L).put("digest", "sha256:fake");
            model.putObject("details").put("family", "llama").put("parameter_size", "1.3B")
                    .put("quantization_level", "Q4_0");
        }
        return tags.toString();
    }

    private String ollamaPs() {
        final ObjectNode ps = NODES.objectNode();
        final ArrayNode list = ps.putArray("models");
        for (final String id : models.get()) {
            list.addObject().put("name", id).put("model", id).put("size", 800_000_000L)
                    .put("size_vram", 800_000_000L);
        }
        return ps.toString();
    }

    private static String error(final String message, final String type) {
        final ObjectNode error = NODES.objectNode();
        error.putObject("error").put("message", message).put("type", type).putNull("param")
                .putNull("code");
        return error.toString();
    }

    private static void send(final HttpExchange exchange, final int status, final String body)
            throws IOException {
        final byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        if (!exchange.getResponseHeaders().containsKey("Content-Type")) {
            exchange.getResponseHeaders().set("Content-Type", body.startsWith("{")
                    ? "application/json" : "text/plain");
        }
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static void sse(final OutputStream out, final String data) throws IOException {
        out.write(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static void line(final OutputStream out, final String json) throws IOException {
        out.write((json + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static void sleep(final long millis) {
        try {
            Thread.sleep(millis);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * A request the fake received.
     *
     * @param method the HTTP method
     * @param path the path
     * @param headers the headers (case-insensitive keys)
     * @param body the body as text
     */
    public record Recorded(String method, String path, Map<String, String> headers,
            String body) {

        /**
         * The body as JSON.
         *
         * @return the parsed body
         * @throws IOException when it is not JSON
         */
        public JsonNode json() throws IOException {
            return JSON.readTree(body);
        }
    }
}
