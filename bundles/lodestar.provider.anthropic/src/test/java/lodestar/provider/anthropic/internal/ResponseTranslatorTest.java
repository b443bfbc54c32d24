package lodestar.provider.anthropic.internal;

import static lodestar.provider.anthropic.internal.Fixtures.JSON;
import static lodestar.provider.anthropic.internal.Fixtures.json;
import static lodestar.provider.anthropic.internal.Fixtures.resource;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import lodestar.api.chat.ChatChunk;
import lodestar.api.chat.ChatResponse;
import lodestar.api.chat.Usage;
import lodestar.provider.common.SseReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Anthropic messages and event streams to canonical answers, against golden files. */
class ResponseTranslatorTest {

    /** 2025-11-26T10:00:00Z. */
    static final long CREATED = 1_764_151_200L;

    private static JsonNode wire(final Object value) throws Exception {
        return JSON.readTree(JSON.writeValueAsBytes(value));
    }

    @ParameterizedTest
    @ValueSource(strings = {"tool-use", "cache-usage"})
    void messagesMatchTheGoldenFile(final String name) throws Exception {
        final ChatResponse response = ResponseTranslator.toResponse(JSON,
                json("golden/" + name + ".message.json"), CREATED);
        assertThat(wire(response)).isEqualTo(json("golden/" + name + ".response.json"));
    }

    @Test
    void cacheUsageIsSummedIntoPromptTokens() throws Exception {
        final ChatResponse response = ResponseTranslator.toResponse(JSON,
                json("golden/cache-usage.message.json"), CREATED);
        final Usage usage = response.usage();
        assertThat(usage.promptTokens()).isEqualTo(21 + 188_086 + 1024);
        assertThat(usage.cachedTokens()).isEqualTo(1024);
        assertThat(usage.cacheCreationTokens()).isEqualTo(188_086);
        assertThat(usage.completionTokens()).isEqualTo(393);
    }

    @Test
    void streamedToolCallFragmentsMatchTheGoldenFile() throws Exception {
        final List<ChatChunk> chunks = new ArrayList<>();
        final StreamTranslator translator = new StreamTranslator(CREATED);
        final SseReader reader = new SseReader();
        reader.feed(ByteBuffer.wrap(resource("golden/tool-use.stream.sse")
                .getBytes(StandardCharsets.UTF_8)), event -> {
                    final JsonNode data = JSON.readTree(event.data());
                    chunks.addAll(translator.onEvent(data.path("type").asText(), data));
                    return true;
                });
        assertThat(translator.done()).isTrue();
        final ArrayNode actual = JSON.createArrayNode();
        for (final ChatChunk chunk : chunks) {
            actual.add(wire(chunk));
        }
        assertThat(actual).isEqualTo(json("golden/tool-use.chunks.json"));
        assertThat(translator.usage().cachedTokens()).isEqualTo(2048);
        final String arguments = chunks.stream().flatMap(c -> c.choices().stream())
                .filter(c -> c.delta().toolCalls() != null)
                .flatMap(c -> c.delta().toolCalls().stream()).filter(t -> t.index() == 0)
                .map(t -> t.function().arguments()).reduce("", String::concat);
        assertThat(JSON.readTree(arguments).path("location").asText())
                .isEqualTo("San Francisco, CA");
    }

    @Test
    void thinkingAndUnknownEventsInAStream() throws Exception {
        final StreamTranslator translator = new StreamTranslator(CREATED);
        assertThat(translator.onEvent("content_block_start", JSON.readTree("{\"index\":0,"
                + "\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\"}}"))).isEmpty();
        final List<ChatChunk> thought = translator.onEvent("content_block_delta",
                JSON.readTree("{\"index\":0,\"delta\":{\"type\":\"thinking_delta\","
                        + "\"thinking\":\"Let me think\"}}"));
        assertThat(thought.get(0).choices().get(0).delta().extra().get("reasoning_content")
                .asText()).isEqualTo("Let me think");
        assertThat(translator.onEvent("content_block_delta", JSON.readTree("{\"index\":0,"
                + "\"delta\":{\"type\":\"signature_delta\",\"signature\":\"x\"}}"))).isEmpty();
        assertThat(translator.onEvent("content_block_start", JSON.readTree("{\"index\":1,"
                + "\"content_block\":{\"type\":\"server_tool_use\",\"id\":\"s\"}}"))).isEmpty();
        assertThat(translator.onEvent("content_block_delta", JSON.readTree("{\"index\":1,"
                + "\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{}\"}}")))
                .isEmpty();
        assertThat(translator.onEvent("content_block_start", JSON.readTree("{\"index\":2,"
                + "\"content_block\":{\"type\":\"text\",\"text\":\"Hi\"}}"))).hasSize(1);
        assertThat(translator.onEvent("ping", JSON.readTree("{}"))).isEmpty();
        assertThat(translator.onEvent("content_block_stop", JSON.readTree("{}"))).isEmpty();
        assertThat(translator.onEvent("brand_new_event", JSON.readTree("{}"))).isEmpty();
        assertThat(translator.onEvent("message_delta", JSON.readTree("{\"delta\":{}}")))
                .isEmpty();
        assertThat(translator.usage()).isNull();
        assertThat(translator.onEvent("message_stop", JSON.readTree("{}"))).isEmpty();
        assertThat(translator.done()).isTrue();
    }

    @Test
    void stopReasonsAndEdgeCases() throws Exception {
        assertThat(ResponseTranslator.finishReason(null)).isNull();
        assertThat(ResponseTranslator.finishReason("end_turn")).isEqualTo("stop");
        assertThat(ResponseTranslator.finishReason("stop_sequence")).isEqualTo("stop");
        assertThat(ResponseTranslator.finishReason("pause_turn")).isEqualTo("stop");
        assertThat(ResponseTranslator.finishReason("max_tokens")).isEqualTo("length");
        assertThat(ResponseTranslator.finishReason("model_context_window_exceeded"))
                .isEqualTo("length");
        assertThat(ResponseTranslator.finishReason("tool_use")).isEqualTo("tool_calls");
        assertThat(ResponseTranslator.finishReason("refusal")).isEqualTo("content_filter");
        assertThat(ResponseTranslator.arguments(JSON, null)).isEqualTo("{}");

        final ChatResponse toolsOnly = ResponseTranslator.toResponse(JSON, JSON.readTree(
                "{\"id\":\"m\",\"type\":\"message\",\"content\":[{\"type\":\"tool_use\","
                        + "\"id\":\"t\",\"name\":\"f\"},{\"type\":\"redacted_thinking\"}],"
                        + "\"stop_reason\":null}"), CREATED);
        assertThat(wire(toolsOnly).at("/choices/0/message").toString()).isEqualTo(
                "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"t\","
                        + "\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":"
                        + "\"{}\"}}]}");
        assertThat(toolsOnly.choices().get(0).finishReason()).isNull();
        assertThat(toolsOnly.usage()).isNull();
        final ChatResponse empty = ResponseTranslator.toResponse(JSON, JSON.readTree(
                "{\"type\":\"message\",\"content\":[]}"), CREATED);
        assertThat(empty.choices().get(0).message().content().asText()).isEmpty();
    }

    @Test
    void usageCounterMergesCumulativeCounts() throws Exception {
        final UsageCounter counter = new UsageCounter();
        assertThat(counter.merge(null).merge(JSON.readTree("3")).toUsage()).isNull();
        counter.merge(JSON.readTree("{\"input_tokens\":10,\"output_tokens\":1}"));
        assertThat(counter.toUsage()).isEqualTo(Usage.of(10, 1));
        counter.merge(JSON.readTree("{\"output_tokens\":20,\"cache_read_input_tokens\":5}"));
        final Usage usage = counter.toUsage();
        assertThat(usage.promptTokens()).isEqualTo(15);
        assertThat(usage.completionTokens()).isEqualTo(20);
        assertThat(usage.cachedTokens()).isEqualTo(5);
        assertThat(usage.cacheCreationTokens()).isZero();
        assertThat(usage.promptTokensDetails().cacheCreationTokens()).isZero();
    }
}
