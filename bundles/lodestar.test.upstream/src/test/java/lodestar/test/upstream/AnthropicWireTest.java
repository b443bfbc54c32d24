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
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Anthropic Messages side of the fake upstream. */
class AnthropicWireTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOOLS = "\"tools\":[{\"name\":\"read_file\",\"description\":"
            + "\"Reads a file\",\"input_schema\":{\"type\":\"object\"}}]";
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

    private HttpResponse<String> post(final String path, final String body,
            final String... headers) throws Exception {
        final HttpRequest.Builder request = HttpRequest.newBuilder(
                URI.create(fake.baseUrl() + path)).POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> messages(final String body) throws Exception {
        return post("/v1/messages", body, "x-api-key", "k", "anthropic-version", "2023-06-01");
    }

    private static String request(final boolean stream, final String text, final String more) {
        return "{\"model\":\"claude-x\",\"max_tokens\":100,\"stream\":" + stream
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"" + text + "\"}]" + more + "}";
    }

    /** Event names of a stream, in order. */
    private static List<String> events(final String body) {
        final List<String> names = new ArrayList<>();
        for (final String event : body.split("\n\n")) {
            if (event.startsWith("event: ")) {
                names.add(event.substring(7, event.indexOf('\n')));
            }
        }
        return names;
    }

    @Test
    void answersAMessageWithUsage() throws Exception {
        final HttpResponse<String> response = messages(request(false, "two words", ""));
        final JsonNode json = JSON.readTree(response.body());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("request-id")).isPresent();
        assertThat(json.path("type").asText()).isEqualTo("message");
        assertThat(json.at("/content/0/text").asText()).isEqualTo("Hello from claude-x");
        assertThat(json.path("stop_reason").asText()).isEqualTo("end_turn");
        assertThat(json.at("/usage/input_tokens").asInt()).isEqualTo(2);
        assertThat(json.at("/usage/output_tokens").asInt()).isEqualTo(3);
        assertThat(json.at("/usage/cache_read_input_tokens").asInt()).isZero();
        assertThat(fake.served()).isEqualTo(1);
    }

    @Test
    void streamsNamedEventsInOrder() throws Exception {
        fake.reply("a b");
        final String body = messages(request(true, "hi", "")).body();
        assertThat(events(body)).containsExactly("message_start", "content_block_start", "ping",
                "content_block_delta", "content_block_delta", "content_block_stop",
                "message_delta", "message_stop");
        assertThat(body).contains("\"text_delta\",\"text\":\" b\"")
                .contains("\"stop_reason\":\"end_turn\"").contains("\"output_tokens\":2");
    }

    @Test
    void toolUseIsStreamedAsInputJsonFragments() throws Exception {
        final String body = messages(request(true, "please use the tool", "," + TOOLS)).body();
        assertThat(events(body)).containsSubsequence("content_block_stop",
                "content_block_start", "content_block_delta", "content_block_delta",
                "content_block_delta", "content_block_delta", "content_block_stop",
                "message_delta");
        assertThat(body).contains("\"type\":\"tool_use\",\"id\":\"toolu_fake_1\","
                + "\"name\":\"read_file\"").contains("\"stop_reason\":\"tool_use\"");
        final StringBuilder input = new StringBuilder();
        for (final String event : body.split("\n\n")) {
            final JsonNode data = JSON.readTree(event.substring(event.indexOf("data: ") + 6));
            if (data.at("/delta/type").asText().equals("input_json_delta")) {
                input.append(data.at("/delta/partial_json").asText());
            }
        }
        assertThat(input.toString()).isEqualTo(AnthropicWire.TOOL_INPUT);

        final JsonNode plain = JSON.readTree(messages(request(false, "use the tool",
                "," + TOOLS)).body());
        assertThat(plain.at("/content/1/input/line").asInt()).isEqualTo(42);
    }

    @Test
    void cachePrefixIsWrittenThenRead() throws Exception {
        final String body = "{\"model\":\"m\",\"max_tokens\":10,\"system\":[{\"type\":\"text\","
                + "\"text\":\"one two three\",\"cache_control\":{\"type\":\"ephemeral\"}}],"
                + "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":"
                + "\"four five\"}]}]}";
        final JsonNode first = JSON.readTree(messages(body).body()).path("usage");
        assertThat(first.path("cache_creation_input_tokens").asInt()).isEqualTo(3);
        assertThat(first.path("cache_read_input_tokens").asInt()).isZero();
        assertThat(first.path("input_tokens").asInt()).isEqualTo(2);
        final JsonNode second = JSON.readTree(messages(body).body()).path("usage");
        assertThat(second.path("cache_creation_input_tokens").asInt()).isZero();
        assertThat(second.path("cache_read_input_tokens").asInt()).isEqualTo(3);
    }

    @Test
    void countsTokensAndListsModels() throws Exception {
        final HttpResponse<String> count = post("/v1/messages/count_tokens",
                "{\"model\":\"m\",\"system\":\"be brief\",\"messages\":[{\"role\":\"user\","
                        + "\"content\":\"a b c\"}]}", "x-api-key", "k", "anthropic-version",
                "2023-06-01");
        assertThat(JSON.readTree(count.body()).path("input_tokens").asInt()).isEqualTo(5);
        assertThat(fake.served()).isZero();

        final HttpResponse<String> anthropic = client.send(HttpRequest.newBuilder(
                URI.create(fake.baseUrl() + "/v1/models")).header("anthropic-version",
                        "2023-06-01").build(), HttpResponse.BodyHandlers.ofString());
        final JsonNode list = JSON.readTree(anthropic.body());
        assertThat(list.at("/data/0/type").asText()).isEqualTo("model");
        assertThat(list.path("first_id").asText()).isEqualTo("fake-small");
        assertThat(list.path("has_more").asBoolean()).isFalse();
        fake.models(List.of());
        final HttpResponse<String> empty = client.send(HttpRequest.newBuilder(
                URI.create(fake.baseUrl() + "/v1/models")).header("anthropic-version",
                        "2023-06-01").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(JSON.readTree(empty.body()).path("first_id").isNull()).isTrue();
        final HttpResponse<String> openAi = client.send(HttpRequest.newBuilder(
                URI.create(fake.baseUrl() + "/v1/models")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(JSON.readTree(openAi.body()).path("object").asText()).isEqualTo("list");
    }

    @Test
    void rejectsWhatTheRealApiRejects() throws Exception {
        final HttpResponse<String> noKey = post("/v1/messages", request(false, "x", ""));
        assertThat(noKey.statusCode()).isEqualTo(401);
        assertThat(noKey.body()).contains("\"authentication_error\"");
        final HttpResponse<String> noVersion = post("/v1/messages", request(false, "x", ""),
                "x-api-key", "k");
        assertThat(noVersion.statusCode()).isEqualTo(400);
        assertThat(noVersion.body()).contains("anthropic-version");
        assertThat(messages("{\"model\":\"m\",\"messages\":[]}").body())
                .contains("max_tokens: Field required");
        assertThat(messages(request(false, "x", ",\"stream_options\":{}")).body())
                .contains("stream_options: Extra inputs are not permitted");
        assertThat(messages("{\"messages\":[]}").body()).contains("model: Field required");
        assertThat(messages("{\"model\":\"m\"}").body()).contains("messages: Field required");
        assertThat(messages("[]").body()).contains("JSON object");
        assertThat(messages("{\"model\":\"m\",\"max_tokens\":1,\"messages\":[{\"role\":"
                + "\"system\",\"content\":\"x\"}]}").body()).contains("Unexpected role");
        assertThat(messages("{not json").statusCode()).isEqualTo(400);
    }

    @Test
    void faultsUseAnthropicShapes() throws Exception {
        fake.enqueue(Fault.status(429, "3"));
        final HttpResponse<String> limited = messages(request(false, "x", ""));
        assertThat(limited.statusCode()).isEqualTo(429);
        assertThat(limited.headers().firstValue("retry-after")).hasValue("3");
        assertThat(JSON.readTree(limited.body()).at("/error/type").asText())
                .isEqualTo("rate_limit_error");
        for (final int status : new int[] {400, 401, 402, 403, 404, 413, 500, 504, 529}) {
            fake.enqueue(Fault.status(status, null));
            final HttpResponse<String> failed = messages(request(false, "x", ""));
            assertThat(failed.statusCode()).isEqualTo(status);
            assertThat(JSON.readTree(failed.body()).path("type").asText()).isEqualTo("error");
        }
        fake.enqueue(Fault.status(529, null, "{\"custom\":true}"));
        assertThat(messages(request(false, "x", "")).body()).isEqualTo("{\"custom\":true}");

        final String overloaded = AnthropicWire.error("overloaded_error", "Overloaded");
        fake.enqueue(Fault.status(200, null, overloaded));
        assertThat(messages(request(false, "x", "")).body()).isEqualTo(overloaded);
        fake.enqueue(Fault.status(200, null, overloaded));
        final String stream = messages(request(true, "x", "")).body();
        assertThat(events(stream)).containsExactly("message_start", "error");

        fake.enqueue(Fault.malformedJson());
        assertThat(messages(request(false, "x", "")).body()).startsWith("{\"id\": \"msg_broken\"");
        fake.enqueue(Fault.malformedJson());
        assertThat(messages(request(true, "x", "")).body()).startsWith("event: message_start");

        fake.enqueue(Fault.slowFirstByte(Duration.ofMillis(50)));
        fake.enqueue(Fault.slowStream(Duration.ofMillis(1)));
        assertThat(messages(request(false, "x", "")).statusCode()).isEqualTo(200);
        assertThat(events(messages(request(true, "x", "")).body())).endsWith("message_stop");
    }

    @Test
    void resetCutsTheStream() {
        fake.enqueue(Fault.resetMidStream(2));
        assertThatThrownBy(() -> messages(request(true, "x", "")))
                .isInstanceOf(IOException.class);
    }
}
