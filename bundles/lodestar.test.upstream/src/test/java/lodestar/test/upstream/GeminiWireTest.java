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

/** The Gemini wire format of the fake upstream, over real HTTP. */
class GeminiWireTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = "AIza-fake-key";
    private static final String TEXT = "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":"
            + "\"two words\"}]}],\"systemInstruction\":{\"parts\":[{\"text\":\"be brief\"}]}}";
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

    private HttpRequest.Builder request(final String path) {
        return HttpRequest.newBuilder(URI.create(fake.baseUrl() + path))
                .header("x-goog-api-key", KEY);
    }

    private HttpResponse<String> post(final String path, final String body) throws Exception {
        return client.send(request(path).POST(HttpRequest.BodyPublishers.ofString(body))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    private static List<JsonNode> events(final String body) throws IOException {
        final List<JsonNode> events = new ArrayList<>();
        for (final String block : body.split("\r\n\r\n")) {
            if (block.startsWith("data: ")) {
                events.add(JSON.readTree(block.substring("data: ".length())));
            }
        }
        return events;
    }

    @Test
    void listsModels() throws Exception {
        fake.models(List.of("gemini-2.5-flash"));
        final HttpResponse<String> response = client.send(request("/v1beta/models").build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        final JsonNode json = JSON.readTree(response.body());
        assertThat(json.at("/models/0/name").asText()).isEqualTo("models/gemini-2.5-flash");
        assertThat(json.at("/models/0/supportedGenerationMethods/0").asText())
                .isEqualTo("generateContent");
    }

    @Test
    void generatesContentWithUsage() throws Exception {
        final HttpResponse<String> response = post(
                "/v1beta/models/gemini-2.5-flash:generateContent", TEXT);
        assertThat(response.statusCode()).isEqualTo(200);
        final JsonNode json = JSON.readTree(response.body());
        assertThat(json.at("/candidates/0/content/parts/0/text").asText())
                .isEqualTo("Hello from gemini-2.5-flash");
        assertThat(json.at("/candidates/0/content/role").asText()).isEqualTo("model");
        assertThat(json.at("/candidates/0/finishReason").asText()).isEqualTo("STOP");
        assertThat(json.at("/usageMetadata/promptTokenCount").asInt()).isEqualTo(4);
        assertThat(json.at("/usageMetadata/candidatesTokenCount").asInt()).isEqualTo(3);
        assertThat(json.at("/usageMetadata/totalTokenCount").asInt()).isEqualTo(7);
        assertThat(fake.served()).isEqualTo(1);
        assertThat(fake.requests().get(0).headers().get("x-goog-api-key")).isEqualTo(KEY);
    }

    @Test
    void streamsOneWordPerEventThenFinishes() throws Exception {
        final HttpResponse<String> response = post(
                "/v1beta/models/m:streamGenerateContent?alt=sse", TEXT);
        assertThat(response.headers().firstValue("Content-Type")).hasValue(
                "text/event-stream");
        final List<JsonNode> events = events(response.body());
        assertThat(events).hasSize(3);
        final StringBuilder text = new StringBuilder();
        events.forEach(e -> text.append(e.at("/candidates/0/content/parts/0/text").asText()));
        assertThat(text).hasToString("Hello from m");
        assertThat(events.get(2).at("/candidates/0/finishReason").asText()).isEqualTo("STOP");
        assertThat(events.get(0).at("/candidates/0/finishReason").isMissingNode()).isTrue();
        assertThat(events.get(2).at("/usageMetadata/candidatesTokenCount").asInt())
                .isEqualTo(3);

        assertThat(post("/v1beta/models/m:streamGenerateContent", TEXT).statusCode())
                .isEqualTo(400);
    }

    @Test
    void callsTheFirstFunctionWhenAsked() throws Exception {
        final String body = "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"please "
                + FakeUpstream.TOOL_TRIGGER + "\"}]}],\"tools\":[{\"functionDeclarations\":[{"
                + "\"name\":\"read_file\",\"parameters\":{\"type\":\"object\"}}]}]}";
        final JsonNode plain = JSON.readTree(post("/v1beta/models/m:generateContent", body)
                .body());
        assertThat(plain.at("/candidates/0/content/parts/0/functionCall/name").asText())
                .isEqualTo("read_file");
        assertThat(plain.at("/candidates/0/content/parts/0/functionCall/args/line").asInt())
                .isEqualTo(42);
        final List<JsonNode> events = events(post(
                "/v1beta/models/m:streamGenerateContent?alt=sse", body).body());
        assertThat(events).hasSize(1);
        assertThat(events.get(0).at("/candidates/0/content/parts/0/functionCall/name").asText())
                .isEqualTo("read_file");
    }

    @Test
    void refusesCallsWithoutKeyAndUnknownRoutes() throws Exception {
        final HttpResponse<String> anonymous = client.send(HttpRequest.newBuilder(URI.create(
                fake.baseUrl() + "/v1beta/models")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(anonymous.statusCode()).isEqualTo(403);
        assertThat(JSON.readTree(anonymous.body()).at("/error/status").asText())
                .isEqualTo("PERMISSION_DENIED");
        assertThat(post("/v1beta/models/m:countTokens", TEXT).statusCode()).isEqualTo(404);
        assertThat(post("/v1beta/models/m:generateContent", "{not json").statusCode())
                .isEqualTo(400);
    }

    @Test
    void faultsUseGoogleErrorBodies() throws Exception {
        fake.enqueue(Fault.status(429, "3"));
        final HttpResponse<String> limited = post("/v1beta/models/m:generateContent", TEXT);
        assertThat(limited.statusCode()).isEqualTo(429);
        assertThat(limited.headers().firstValue("Retry-After")).hasValue("3");
        final JsonNode error = JSON.readTree(limited.body()).path("error");
        assertThat(error.path("code").asInt()).isEqualTo(429);
        assertThat(error.path("status").asText()).isEqualTo("RESOURCE_EXHAUSTED");
        for (final int status : new int[] {400, 401, 403, 404, 500, 503, 504}) {
            fake.enqueue(Fault.status(status, null));
            assertThat(JSON.readTree(post("/v1beta/models/m:generateContent", TEXT).body())
                    .at("/error/status").asText()).isEqualTo(GeminiWire.status(status));
        }
        fake.enqueue(Fault.status(400, null, "{\"error\":{\"code\":400}}"));
        assertThat(post("/v1beta/models/m:generateContent", TEXT).body())
                .isEqualTo("{\"error\":{\"code\":400}}");

        fake.enqueue(Fault.malformedJson());
        assertThat(post("/v1beta/models/m:generateContent", TEXT).body())
                .isEqualTo("{\"candidates\": [");
        fake.enqueue(Fault.malformedJson());
        assertThat(post("/v1beta/models/m:streamGenerateContent?alt=sse", TEXT).body())
                .startsWith("data: {\"candidates\": [");

        fake.enqueue(Fault.slowFirstByte(Duration.ofMillis(50)));
        fake.enqueue(Fault.slowStream(Duration.ofMillis(10)));
        assertThat(post("/v1beta/models/m:generateContent", TEXT).statusCode()).isEqualTo(200);
        assertThat(events(post("/v1beta/models/m:streamGenerateContent?alt=sse", TEXT).body()))
                .hasSize(3);
    }

    @Test
    void resetCutsTheStream() {
        fake.enqueue(Fault.resetMidStream(1));
        assertThatThrownBy(() -> post("/v1beta/models/m:streamGenerateContent?alt=sse", TEXT))
                .isInstanceOf(IOException.class);
    }
}
