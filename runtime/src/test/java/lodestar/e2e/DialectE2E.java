package lodestar.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import lodestar.test.upstream.FakeUpstream;
import org.junit.jupiter.api.Test;

/**
 * Every dialect through the assembled runtime: an Anthropic-dialect streaming client routed to
 * an OpenAI-dialect and to a Gemini provider, an OpenAI-dialect client routed to an Anthropic
 * provider, with
 * text and streamed tool calls intact and usage recorded; Anthropic to Anthropic passed through
 * untranslated; a deterministic request answered from the response cache.
 */
class DialectE2E {

    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> post(final LodestarProcess lodestar, final String path,
            final String body, final String... headers) throws Exception {
        final HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(
                "http://127.0.0.1:" + lodestar.port + path)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.replace('\'', '"')));
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String joined(final String sse, final String marker, final String path)
            throws Exception {
        final StringBuilder out = new StringBuilder();
        for (final String line : sse.split("\n")) {
            if (line.startsWith("data: ") && line.contains(marker)) {
                JsonNode node = LodestarProcess.JSON.readTree(line.substring(6));
                for (final String step : path.split("\\.")) {
                    node = step.matches("\\d+") ? node.path(Integer.parseInt(step))
                            : node.path(step);
                }
                out.append(node.asText());
            }
        }
        return out.toString();
    }

    @Test
    void clientsAreServedInTheirDialectWhateverTheProviderSpeaks() throws Exception {
        try (FakeUpstream openai = FakeUpstream.start();
                FakeUpstream anthropic = FakeUpstream.start();
                FakeUpstream gemini = FakeUpstream.start();
                LodestarProcess lodestar = new LodestarProcess()) {
            try (Stream<Path> shipped = Files.list(lodestar.config)) {
                for (final Path file : shipped.toList()) {
                    if (file.getFileName().toString().startsWith("lodestar.provider.")
                            || file.getFileName().toString().startsWith("lodestar.router")) {
                        Files.delete(file);
                    }
                }
            }
            lodestar.writeConfig("lodestar.provider.openai-e2e.cfg", "id=oa\nbaseUrl="
                    + openai.baseUrl() + "/v1\n.apiKey=sk-e2e\nmodels=fake-large\n"
                    + "model.fake-large=context=128000,tools=true,input=2.5,output=10\n");
            lodestar.writeConfig("lodestar.provider.anthropic-e2e.cfg", "id=anth\nbaseUrl="
                    + anthropic.baseUrl() + "\n.apiKey=sk-ant-e2e\nmodels=claude-fake\n"
                    + "model.claude-fake=context=200000,tools=true,vision=true,input=3,"
                    + "output=15\n");
            lodestar.writeConfig("lodestar.provider.gemini-e2e.cfg", "id=gem\nbaseUrl="
                    + gemini.baseUrl() + "/v1beta\n.apiKey=gm-e2e\nmodels=gemini-fake\n"
                    + "model.gemini-fake=context=1000000,tools=true,input=0.3,output=2.5\n");
            lodestar.start();
            LodestarProcess.waitFor(() -> {
                final String models = lodestar.get("/v1/models").body();
                return models.contains("claude-fake") && models.contains("fake-large")
                        && models.contains("gemini-fake");
            }, Duration.ofSeconds(20), "the three providers");

            // Anthropic client -> OpenAI provider, streamed, with a tool call
            final HttpResponse<String> claude = post(lodestar, "/v1/messages",
                    "{'model':'fake-large','max_tokens':300,'stream':true,'system':'be brief',"
                            + "'tools':[{'name':'read_file','input_schema':{'type':'object'}}],"
                            + "'messages':[{'role':'user','content':'use the tool'}]}",
                    "x-api-key", "k", "anthropic-version", "2023-06-01");
            assertThat(claude.statusCode()).as(claude.body()).isEqualTo(200);
            assertThat(claude.body()).startsWith("event: message_start")
                    .contains("\"stop_reason\":\"tool_use\"").contains("event: message_stop");
            assertThat(LodestarProcess.JSON.readTree(joined(claude.body(), "input_json_delta",
                    "delta.partial_json")).path("line").asInt()).isEqualTo(42);

            // OpenAI client -> Anthropic provider, streamed, with a tool call
            final HttpResponse<String> openaiClient = post(lodestar, "/v1/chat/completions",
                    "{'model':'claude-fake','stream':true,'tools':[{'type':'function',"
                            + "'function':{'name':'read_file','parameters':{'type':'object'}}}],"
                            + "'messages':[{'role':'user','content':'use the tool'}]}");
            assertThat(openaiClient.statusCode()).as(openaiClient.body()).isEqualTo(200);
            assertThat(openaiClient.body()).endsWith("data: [DONE]\n\n")
                    .contains("\"finish_reason\":\"tool_calls\"");
            assertThat(LodestarProcess.JSON.readTree(joined(openaiClient.body(), "arguments",
                    "choices.0.delta.tool_calls.0.function.arguments")).path("line").asInt())
                    .isEqualTo(42);
            assertThat(anthropic.requests().get(anthropic.requests().size() - 1).json()
                    .path("tools").get(0).path("input_schema").path("type").asText())
                    .isEqualTo("object");

            // Anthropic client -> Gemini provider, streamed, with a tool call
            final HttpResponse<String> toGemini = post(lodestar, "/v1/messages",
                    "{'model':'gemini-fake','max_tokens':300,'stream':true,"
                            + "'tools':[{'name':'read_file','input_schema':{'type':'object'}}],"
                            + "'messages':[{'role':'user','content':'use the tool'}]}",
                    "x-api-key", "k", "anthropic-version", "2023-06-01");
            assertThat(toGemini.statusCode()).as(toGemini.body()).isEqualTo(200);
            assertThat(LodestarProcess.JSON.readTree(joined(toGemini.body(),
                    "input_json_delta", "delta.partial_json")).path("line").asInt())
                    .isEqualTo(42);
            assertThat(gemini.requests().get(gemini.requests().size() - 1).path())
                    .endsWith(":streamGenerateContent");

            // Anthropic client -> Anthropic provider: passed through untranslated
            final HttpResponse<String> direct = post(lodestar, "/v1/messages",
                    "{'model':'claude-fake','max_tokens':100,'stream':true,'system':'plain',"
                            + "'thinking':{'type':'enabled','budget_tokens':1024},"
                            + "'messages':[{'role':'user','content':'hi'}]}",
                    "x-api-key", "k", "anthropic-version", "2023-06-01",
                    "anthropic-beta", "interleaved-thinking-2025-05-14");
            assertThat(direct.statusCode()).as(direct.body()).isEqualTo(200);
            assertThat(direct.body()).contains("event: ping");
            final FakeUpstream.Recorded forwarded = anthropic.requests()
                    .get(anthropic.requests().size() - 1);
            assertThat(forwarded.json().path("thinking").path("budget_tokens").asInt())
                    .isEqualTo(1024);
            assertThat(forwarded.json().path("system").asText()).isEqualTo("plain");
            assertThat(forwarded.headers().get("anthropic-beta"))
                    .contains("interleaved-thinking-2025-05-14");

            // usage of each served request is recorded (the health bundle's metrics)
            final String metrics = lodestar.get("/metrics").body();
            assertThat(metrics).containsPattern("lodestar_tokens_total\\{provider=\"oa\","
                    + "model=\"fake-large\",direction=\"output\"} [1-9]")
                    .containsPattern("lodestar_tokens_total\\{provider=\"anth\","
                            + "model=\"claude-fake\",direction=\"output\"} [1-9]")
                    .containsPattern("lodestar_tokens_total\\{provider=\"gem\","
                            + "model=\"gemini-fake\",direction=\"output\"} [1-9]");

            // a deterministic request is answered from the cache the second time
            final String deterministic = "{'model':'fake-large','temperature':0,"
                    + "'messages':[{'role':'user','content':'same question'}]}";
            final HttpResponse<String> first = post(lodestar, "/v1/chat/completions",
                    deterministic);
            final int served = openai.served();
            final HttpResponse<String> second = post(lodestar, "/v1/chat/completions",
                    deterministic);
            assertThat(first.headers().firstValue("x-lodestar-cache")).isEmpty();
            assertThat(second.headers().firstValue("x-lodestar-cache")).contains("hit");
            assertThat(second.body()).isEqualTo(first.body());
            assertThat(openai.served()).isEqualTo(served);
            lodestar.stop();
        }
    }
}
