package lodestar.test.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class FakeUpstreamTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient client = HttpClient.newHttpClient();
    private FakeUpstream fake;

    @BeforeEach
    void start() throws IOException {
        fake = FakeUpstream.start();
    }

    @AfterEach
    void stop() {
        fake.close();
    }

    private HttpResponse<String> post(final String path, final String body) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(fake.baseUrl() + path))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(final String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(fake.baseUrl() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void chatCompletionAnswersWithUsage() throws Exception {
        final HttpResponse<String> response = post("/v1/chat/completions",
                "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"two words\"}]}");
        final JsonNode json = JSON.readTree(response.body());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(json.at("/choices/0/message/content").asText()).isEqualTo("Hello from m");
        assertThat(json.at("/usage/prompt_tokens").asInt()).isEqualTo(2);
        assertThat(json.at("/usage/completion_tokens").asInt()).isEqualTo(3);
        assertThat(fake.requests()).singleElement()
                .satisfies(r -> assertThat(r.json().path("model").asText()).isEqualTo("m"));
        assertThat(fake.served()).isEqualTo(1);
    }

    @Test
    void streamingSendsOneWordPerChunkThenUsageThenDone() throws Exception {
        fake.reply("a b c");
        final String body = post("/v1/chat/completions", "{\"model\":\"m\",\"stream\":true,"
                + "\"stream_options\":{\"include_usage\":true},\"messages\":[]}").body();
        final List<String> events = List.of(body.split("\n\n"));

        assertThat(events).hasSize(7);
        assertThat(events.get(0)).contains("\"role\":\"assistant\"");
        assertThat(events.get(3)).contains("\" c\"");
        assertThat(events.get(4)).contains("\"finish_reason\":\"stop\"");
        assertThat(events.get(5)).contains("\"choices\":[]").contains("\"completion_tokens\":3");
        assertThat(events.get(6)).isEqualTo("data: [DONE]");
        final String noUsage = post("/v1/chat/completions",
                "{\"model\":\"m\",\"stream\":true,\"messages\":[]}").body();
        assertThat(noUsage).doesNotContain("usage");
    }

    @Test
    void toolCallsAreStreamedInFragments() throws Exception {
        final String request = "{\"model\":\"m\",\"stream\":%s,\"tools\":[{\"type\":\"function\","
                + "\"function\":{\"name\":\"open_file\"}}],\"messages\":[{\"role\":\"user\","
                + "\"content\":\"please use the tool\"}]}";
        final String streamed = post("/v1/chat/completions", request.formatted("true")).body();
        final JsonNode whole = JSON.readTree(post("/v1/chat/completions",
                request.formatted("false")).body());

        assertThat(streamed).contains("open_file").contains("\"finish_reason\":\"tool_calls\"")
                .contains("{\\\"path\\\":").contains("\"line\\\":42}");
        assertThat(whole.at("/choices/0/message/tool_calls/0/function/arguments").asText())
                .isEqualTo("{\"path\":\"src/Main.java\",\"line\":42}");
        assertThat(whole.at("/choices/0/finish_reason").asText()).isEqualTo("tool_calls");
    }

    @Test
    void faultsApplyToTheNextRequestsInOrder() throws Exception {
        fake.enqueue(Fault.status(429, "2"));
        fake.enqueue(Fault.status(500, null, "{\"error\":{\"message\":\"x\"}}"));
        fake.enqueue(Fault.malformedJson());
        fake.enqueue(Fault.slowFirstByte(Duration.ofMillis(200)));
        final String chat = "{\"model\":\"m\",\"messages\":[]}";

        final HttpResponse<String> limited = post("/v1/chat/completions", chat);
        assertThat(limited.statusCode()).isEqualTo(429);
        assertThat(limited.headers().firstValue("Retry-After")).contains("2");
        assertThat(post("/v1/chat/completions", chat).body()).isEqualTo(
                "{\"error\":{\"message\":\"x\"}}");
        assertThatThrownBy(() -> JSON.readTree(post("/v1/chat/completions", chat).body()))
                .isInstanceOf(IOException.class);
        final long start = System.nanoTime();
        assertThat(post("/v1/chat/completions", chat).statusCode()).isEqualTo(200);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(
                Duration.ofMillis(150));
        assertThat(post("/v1/chat/completions", "not json").statusCode()).isEqualTo(400);
    }

    @Test
    void resetCutsTheStreamWithoutItsEnd() throws Exception {
        fake.enqueue(Fault.resetMidStream(2));
        assertThatThrownBy(() -> post("/v1/chat/completions",
                "{\"model\":\"m\",\"stream\":true,\"messages\":[]}"))
                .isInstanceOf(IOException.class);
        fake.enqueue(Fault.resetMidStream(1));
        assertThatThrownBy(() -> post("/api/chat", "{\"model\":\"m\",\"messages\":[]}"))
                .isInstanceOf(IOException.class);
        fake.enqueue(Fault.resetMidStream(1));
        assertThatThrownBy(() -> post("/v1/completions",
                "{\"model\":\"m\",\"stream\":true,\"prompt\":\"x\"}"))
                .isInstanceOf(IOException.class);
    }

    @Test
    void ollamaStreamsNdjsonAndListsModels() throws Exception {
        fake.models(List.of("deepseek-coder:1.3b"));
        final String[] lines = post("/api/chat",
                "{\"model\":\"deepseek-coder:1.3b\",\"messages\":[{\"role\":\"user\","
                        + "\"content\":\"hi\"}]}").body().split("\n");
        final JsonNode last = JSON.readTree(lines[lines.length - 1]);
        final JsonNode single = JSON.readTree(post("/api/chat",
                "{\"model\":\"x\",\"stream\":false,\"messages\":[]}").body());

        assertThat(lines).hasSize(4);
        assertThat(JSON.readTree(lines[0]).at("/message/content").asText()).isEqualTo("Hello");
        assertThat(last.path("done").asBoolean()).isTrue();
        assertThat(last.path("eval_count").asInt()).isEqualTo(3);
        assertThat(single.path("done_reason").asText()).isEqualTo("stop");
        assertThat(get("/api/tags").body()).contains("deepseek-coder:1.3b");
        assertThat(get("/api/ps").body()).contains("size_vram");
        assertThat(get("/api/version").body()).contains("0.5.1");
        assertThat(get("/").body()).isEqualTo("Ollama is running");
        assertThat(get("/v1/models").body()).contains("\"object\":\"list\"")
                .contains("deepseek-coder:1.3b");
        assertThat(get("/nowhere").statusCode()).isEqualTo(404);
    }

    @Test
    void embeddingsAndTextCompletionsPassThrough() throws Exception {
        final JsonNode embedding = JSON.readTree(post("/v1/embeddings",
                "{\"model\":\"e\",\"input\":\"some text here\"}").body());
        final JsonNode text = JSON.readTree(post("/v1/completions",
                "{\"model\":\"c\",\"prompt\":\"def f(\"}").body());
        final String streamed = post("/v1/completions",
                "{\"model\":\"c\",\"prompt\":\"x\",\"stream\":true}").body();

        assertThat(embedding.at("/data/0/embedding")).hasSize(3);
        assertThat(embedding.at("/usage/prompt_tokens").asInt()).isEqualTo(3);
        assertThat(text.at("/choices/0/text").asText()).isEqualTo("Hello from c");
        assertThat(streamed).endsWith("data: [DONE]\n\n");
        fake.recording(false);
        post("/v1/completions", "{\"model\":\"c\",\"prompt\":\"x\"}");
        assertThat(fake.requests()).hasSize(3);
        fake.reset();
        assertThat(fake.requests()).isEmpty();
    }

    @Test
    void ollamaCreatesAModelFromUploadedAdapterBlobs() throws Exception {
        final byte[] weights = "weights".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        final String digest = "sha256:" + java.util.HexFormat.of().formatHex(
                java.security.MessageDigest.getInstance("SHA-256").digest(weights));
        final URI blob = URI.create(fake.baseUrl() + "/api/blobs/" + digest);
        final HttpRequest head = HttpRequest.newBuilder(blob)
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build();
        assertThat(client.send(head, HttpResponse.BodyHandlers.discarding()).statusCode())
                .isEqualTo(404);
        final String create = "{\"model\":\"lodestar-coder:v1\",\"from\":\"llama3.2:1b\","
                + "\"adapters\":{\"adapter_model.safetensors\":\"" + digest + "\"},"
                + "\"stream\":false}";
        final HttpResponse<String> early = post("/api/create", create);
        assertThat(early.statusCode()).isEqualTo(400);
        assertThat(early.body()).contains("adapter_model.safetensors");
        assertThat(post("/api/blobs/sha256:00", "weights").statusCode()).isEqualTo(400);
        assertThat(client.send(HttpRequest.newBuilder(blob).POST(HttpRequest.BodyPublishers
                .ofByteArray(weights)).build(), HttpResponse.BodyHandlers.discarding())
                .statusCode()).isEqualTo(201);
        assertThat(client.send(head, HttpResponse.BodyHandlers.discarding()).statusCode())
                .isEqualTo(200);
        assertThat(client.send(HttpRequest.newBuilder(blob).DELETE().build(),
                HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(405);
        assertThat(fake.blobs()).containsExactly(digest);

        final HttpResponse<String> done = post("/api/create", create);
        assertThat(done.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(done.body()).path("status").asText()).isEqualTo("success");
        final String streamed = post("/api/create", create.replace("\"stream\":false",
                "\"stream\":true")).body();
        assertThat(streamed.split("\n")).hasSize(3);
        assertThat(streamed).endsWith("{\"status\":\"success\"}\n");
        assertThat(fake.created()).containsExactly("lodestar-coder:v1", "lodestar-coder:v1");
        assertThat(get("/api/tags").body()).contains("lodestar-coder:v1").contains("fake-small");
        assertThat(post("/api/create", "{\"model\":\"x\"}").statusCode()).isEqualTo(400);
        assertThat(post("/api/create", "not json").statusCode()).isEqualTo(400);
    }
}
