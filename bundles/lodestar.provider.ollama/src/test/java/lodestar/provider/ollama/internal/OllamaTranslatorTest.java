package lodestar.provider.ollama.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import lodestar.api.chat.ChatChunk;
import lodestar.api.chat.ChatRequest;
import lodestar.api.chat.ChatResponse;
import lodestar.api.chat.ToolCall;
import lodestar.api.chat.Usage;
import lodestar.provider.ollama.internal.OllamaSettings.ModelMeta;
import org.junit.jupiter.api.Test;

class OllamaTranslatorTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final OllamaTranslator translator = new OllamaTranslator(JSON, () -> 42L);

    private static ChatRequest request(final String json) throws Exception {
        return JSON.readValue(json, ChatRequest.class);
    }

    private static JsonNode json(final String json) throws Exception {
        return JSON.readTree(json);
    }

    @Test
    void aNativeToolCallLineBecomesACanonicalToolCallDelta() throws Exception {
        // the documented shape of a tool call in an Ollama /api/chat stream
        final String line = "{\"message\":{\"role\":\"assistant\",\"content\":\"\","
                + "\"tool_calls\":[{\"function\":{\"name\":\"get_weather\","
                + "\"arguments\":{\"city\":\"Paris\"}}}]},\"done\":false}";
        final OllamaTranslator.Stream stream = translator.stream("chatcmpl-ollama-1", "llama3.2");

        final List<ChatChunk> chunks = stream.next(json(line));

        assertThat(chunks).hasSize(1);
        final ChatChunk chunk = chunks.get(0);
        assertThat(chunk.id()).isEqualTo("chatcmpl-ollama-1");
        assertThat(chunk.object()).isEqualTo("chat.completion.chunk");
        assertThat(chunk.model()).isEqualTo("llama3.2");
        assertThat(chunk.created()).isEqualTo(42L);
        final ChatChunk.ChunkChoice choice = chunk.choices().get(0);
        assertThat(choice.finishReason()).isNull();
        assertThat(choice.delta().role()).isEqualTo("assistant");
        assertThat(choice.delta().content()).isNull();
        final ToolCall call = choice.delta().toolCalls().get(0);
        assertThat(call.index()).isZero();
        assertThat(call.id()).isEqualTo("call_chatcmpl-ollama-1_0");
        assertThat(call.type()).isEqualTo("function");
        assertThat(call.function().name()).isEqualTo("get_weather");
        assertThat(JSON.readTree(call.function().arguments()))
                .isEqualTo(json("{\"city\":\"Paris\"}"));
        // the canonical wire form, as the router writes it
        assertThat(json(JSON.writeValueAsString(chunk)).at("/choices/0/delta/tool_calls/0"))
                .isEqualTo(json("{\"index\":0,\"id\":\"call_chatcmpl-ollama-1_0\","
                        + "\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
                        + "\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}}"));

        final List<ChatChunk> end = stream.next(json("{\"message\":{\"role\":\"assistant\","
                + "\"content\":\"\"},\"done\":true,\"done_reason\":\"stop\","
                + "\"prompt_eval_count\":12,\"eval_count\":7}"));

        assertThat(end).hasSize(2);
        assertThat(end.get(0).choices().get(0).finishReason()).isEqualTo("tool_calls");
        assertThat(end.get(1).isUsageOnly()).isTrue();
        assertThat(end.get(1).usage()).isEqualTo(Usage.of(12, 7));
        assertThat(stream.done()).isTrue();
        assertThat(stream.usage()).isEqualTo(Usage.of(12, 7));
    }

    @Test
    void laterToolCallsGetTheNextIndexAndKeepTheirIds() throws Exception {
        final OllamaTranslator.Stream stream = translator.stream("c", "m");
        stream.next(json("{\"message\":{\"content\":\"\",\"tool_calls\":[{\"function\":"
                + "{\"name\":\"a\",\"arguments\":{}}}]},\"done\":false}"));

        final List<ChatChunk> chunks = stream.next(json("{\"message\":{\"content\":\"\","
                + "\"tool_calls\":[{\"id\":\"call_x\",\"function\":{\"name\":\"b\","
                + "\"arguments\":\"{\\\"k\\\":1}\"}},{\"function\":{\"name\":\"c\"}}]},"
                + "\"done\":false}"));

        final List<ToolCall> calls = chunks.get(0).choices().get(0).delta().toolCalls();
        assertThat(calls).extracting(ToolCall::index).containsExactly(1, 2);
        assertThat(calls).extracting(ToolCall::id).containsExactly("call_x", "call_c_2");
        assertThat(calls.get(0).function().arguments()).isEqualTo("{\"k\":1}");
        assertThat(calls.get(1).function().arguments()).isEqualTo("{}");
        assertThat(chunks.get(0).choices().get(0).delta().role()).isNull();
    }

    @Test
    void textLinesBecomeDeltasAndTheLastLineEndsTheAnswer() throws Exception {
        final OllamaTranslator.Stream stream = translator.stream("c", "asked");

        final List<ChatChunk> first = stream.next(json("{\"model\":\"llama3.2:3b\","
                + "\"created_at\":\"2026-11-26T10:00:00.123456Z\",\"message\":{\"role\":"
                + "\"assistant\",\"content\":\"Hi\",\"thinking\":\"hmm\"},\"done\":false}"));
        final List<ChatChunk> last = stream.next(json("{\"message\":{\"content\":\"!\"},"
                + "\"done\":true,\"done_reason\":\"length\",\"eval_count\":2}"));

        assertThat(first).singleElement().satisfies(c -> {
            assertThat(c.model()).isEqualTo("llama3.2:3b");
            assertThat(c.created()).isEqualTo(1_795_687_200L);
            assertThat(c.choices().get(0).delta().role()).isEqualTo("assistant");
            assertThat(c.choices().get(0).delta().text()).isEqualTo("Hi");
            assertThat(c.choices().get(0).delta().extra().get("reasoning_content").asText())
                    .isEqualTo("hmm");
        });
        assertThat(last).hasSize(3);
        assertThat(last.get(0).choices().get(0).delta().text()).isEqualTo("!");
        assertThat(last.get(0).created()).isEqualTo(1_795_687_200L);
        assertThat(last.get(1).choices().get(0).finishReason()).isEqualTo("length");
        assertThat(JSON.writeValueAsString(last.get(1).choices().get(0).delta()))
                .isEqualTo("{}");
        assertThat(last.get(2).usage()).isEqualTo(Usage.of(0, 2));
    }

    @Test
    void anEmptyAnswerStillHasARoleAndNoUsageChunkWithoutCounts() throws Exception {
        final OllamaTranslator.Stream stream = translator.stream("c", "m");

        final List<ChatChunk> chunks = stream.next(json("{\"message\":{\"content\":\"\"},"
                + "\"done\":true,\"done_reason\":\"unload\",\"created_at\":\"not a date\"}"));

        assertThat(chunks).singleElement().satisfies(c -> {
            assertThat(c.choices().get(0).delta().role()).isEqualTo("assistant");
            assertThat(c.choices().get(0).finishReason()).isEqualTo("stop");
            assertThat(c.created()).isEqualTo(42L);
        });
        assertThat(stream.usage()).isNull();
    }

    @Test
    void aCompleteAnswerBecomesAChatCompletion() throws Exception {
        final ChatResponse response = translator.response(json("{\"model\":\"m\","
                + "\"message\":{\"role\":\"assistant\",\"content\":\"Hello\"},\"done\":true,"
                + "\"done_reason\":\"stop\",\"prompt_eval_count\":3,\"eval_count\":1}"),
                "chatcmpl-ollama-9", "asked");

        assertThat(response.id()).isEqualTo("chatcmpl-ollama-9");
        assertThat(response.object()).isEqualTo("chat.completion");
        assertThat(response.model()).isEqualTo("m");
        assertThat(response.choices().get(0).message().text()).isEqualTo("Hello");
        assertThat(response.choices().get(0).message().role()).isEqualTo("assistant");
        assertThat(response.choices().get(0).finishReason()).isEqualTo("stop");
        assertThat(response.usage()).isEqualTo(Usage.of(3, 1));
    }

    @Test
    void aCompleteAnswerWithToolCallsHasNoContentAndNoIndexes() throws Exception {
        final ChatResponse response = translator.response(json("{\"message\":{\"role\":"
                + "\"assistant\",\"content\":\"\",\"tool_calls\":[{\"function\":{\"name\":"
                + "\"get_weather\",\"arguments\":{\"city\":\"Paris\"}}}]},\"done\":true}"),
                "c", "asked");

        final ChatResponse.Choice choice = response.choices().get(0);
        assertThat(response.model()).isEqualTo("asked");
        assertThat(choice.finishReason()).isEqualTo("tool_calls");
        assertThat(choice.message().content()).isNull();
        assertThat(choice.message().toolCalls()).singleElement().satisfies(call -> {
            assertThat(call.index()).isNull();
            assertThat(call.function().name()).isEqualTo("get_weather");
            assertThat(call.function().arguments()).isEqualTo("{\"city\":\"Paris\"}");
        });
        assertThat(response.usage()).isNull();
    }

    @Test
    void theRequestIsTranslatedToTheNativeShape() throws Exception {
        final ChatRequest request = request("{\"model\":\"llama3.2:3b\",\"stream\":true,"
                + "\"temperature\":0.2,\"seed\":7,\"max_tokens\":50,"
                + "\"max_completion_tokens\":60,\"stop\":\"END\",\"top_p\":0.9,"
                + "\"response_format\":{\"type\":\"json_object\"},\"user\":\"u\","
                + "\"messages\":["
                + "{\"role\":\"developer\",\"content\":\"be brief\"},"
                + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"what is\"},"
                + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,"
                + "iVBORw0KGgo=\"}},{\"type\":\"text\",\"text\":\"this?\"}]},"
                + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_1\","
                + "\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
                + "\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}}]},"
                + "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"sunny\"}],"
                + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
                + "\"parameters\":{\"type\":\"object\"}}}]}");

        final JsonNode body = JSON.readTree(translator.request(request, true, "5m",
                new ModelMeta(131072, true, false, 8192)).toString());

        assertThat(body).isEqualTo(json("{\"model\":\"llama3.2:3b\",\"messages\":["
                + "{\"role\":\"system\",\"content\":\"be brief\"},"
                + "{\"role\":\"user\",\"content\":\"what is\\nthis?\","
                + "\"images\":[\"iVBORw0KGgo=\"]},"
                + "{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":[{\"function\":"
                + "{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Paris\"}}}]},"
                + "{\"role\":\"tool\",\"content\":\"sunny\",\"tool_name\":\"get_weather\"}],"
                + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
                + "\"parameters\":{\"type\":\"object\"}}}],"
                + "\"stream\":true,\"keep_alive\":\"5m\","
                + "\"options\":{\"temperature\":0.2,\"seed\":7,\"num_predict\":60,"
                + "\"stop\":[\"END\"],\"top_p\":0.9,\"num_ctx\":8192},\"format\":\"json\"}"));
    }

    @Test
    void optionalPartsAreLeftOut() throws Exception {
        final JsonNode body = translator.request(request("{\"model\":\"m\",\"max_tokens\":5,"
                + "\"stop\":[\"a\",\"b\"],\"response_format\":{\"type\":\"json_schema\","
                + "\"json_schema\":{\"name\":\"x\",\"schema\":{\"type\":\"object\"}}},"
                + "\"messages\":[{\"content\":\"hi\"},{\"role\":\"tool\",\"name\":\"f\","
                + "\"content\":\"r\"},{\"role\":\"tool\",\"tool_call_id\":\"unknown\","
                + "\"content\":\"r\"}]}"), false, "", ModelMeta.UNKNOWN);

        assertThat(body.has("keep_alive")).isFalse();
        assertThat(body.has("tools")).isFalse();
        assertThat(body.path("stream").asBoolean()).isFalse();
        assertThat(body.path("options")).isEqualTo(json("{\"num_predict\":5,"
                + "\"stop\":[\"a\",\"b\"]}"));
        assertThat(body.path("format")).isEqualTo(json("{\"type\":\"object\"}"));
        assertThat(body.at("/messages/0/role").asText()).isEqualTo("user");
        assertThat(body.at("/messages/1/tool_name").asText()).isEqualTo("f");
        assertThat(body.at("/messages/2").has("tool_name")).isFalse();

        final JsonNode bare = translator.request(request("{\"model\":\"m\",\"messages\":[],"
                + "\"response_format\":{\"type\":\"text\"}}"), false, "300", ModelMeta.UNKNOWN);
        assertThat(bare.has("options")).isFalse();
        assertThat(bare.has("format")).isFalse();
        assertThat(bare.path("keep_alive").isNumber()).isTrue();
        assertThat(bare.path("keep_alive").asLong()).isEqualTo(300L);

        final JsonNode schemaless = translator.request(request("{\"model\":\"m\","
                + "\"messages\":[],\"response_format\":{\"type\":\"json_schema\"}}"), false,
                null, ModelMeta.UNKNOWN);
        assertThat(schemaless.path("format").asText()).isEqualTo("json");
    }

    @Test
    void whatOllamaCannotTakeIsRefused() {
        assertThatThrownBy(() -> translator.request(request("{\"model\":\"m\",\"messages\":"
                + "[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":"
                + "{\"url\":\"https://example.com/cat.png\"}}]}]}"), true, "", ModelMeta.UNKNOWN))
                .isInstanceOf(OllamaTranslator.InvalidRequestException.class)
                .hasMessageContaining("base64 data: URLs");
        assertThatThrownBy(() -> translator.request(request("{\"model\":\"m\",\"messages\":"
                + "[{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"1\",\"function\":"
                + "{\"name\":\"f\",\"arguments\":\"[1]\"}}]}]}"), true, "", ModelMeta.UNKNOWN))
                .hasMessageContaining("are not a JSON object");
        assertThatThrownBy(() -> translator.request(request("{\"model\":\"m\",\"messages\":"
                + "[{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"1\",\"function\":"
                + "{\"arguments\":\"{}\"}}]}]}"), true, "", ModelMeta.UNKNOWN))
                .hasMessageContaining("no function name");
        assertThatThrownBy(() -> translator.request(request("{\"model\":\"m\",\"messages\":"
                + "[{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"1\",\"function\":"
                + "{\"name\":\"f\",\"arguments\":\"{oops\"}}]}]}"), true, "", ModelMeta.UNKNOWN))
                .hasMessageContaining("are not a JSON object");
    }

    @Test
    void toolCallsWithoutArgumentsAndImagesAsPlainStringsAreAccepted() throws Exception {
        final JsonNode body = translator.request(request("{\"model\":\"m\",\"messages\":["
                + "{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":"
                + "\"data:image/jpeg;base64,AAAA\"}]},"
                + "{\"role\":\"assistant\",\"tool_calls\":[{\"function\":{\"name\":\"f\"}}]}]}"),
                true, "", ModelMeta.UNKNOWN);

        assertThat(body.at("/messages/0/images/0").asText()).isEqualTo("AAAA");
        assertThat(body.at("/messages/1/tool_calls/0/function/arguments"))
                .isEqualTo(json("{}"));
    }

    @Test
    void errorLinesAreRecognisedInBothShapes() throws Exception {
        assertThat(OllamaTranslator.error(json("{\"error\":\"boom\"}"))).isEqualTo("boom");
        assertThat(OllamaTranslator.error(json("{\"error\":{\"message\":\"m\"}}")))
                .isEqualTo("m");
        assertThat(OllamaTranslator.error(json("{\"error\":{\"code\":1}}")))
                .isEqualTo("{\"code\":1}");
        assertThat(OllamaTranslator.error(json("{\"error\":null}"))).isNull();
        assertThat(OllamaTranslator.error(json("{\"done\":true}"))).isNull();
    }
}
