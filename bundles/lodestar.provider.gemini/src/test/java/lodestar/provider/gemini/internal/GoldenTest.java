package lodestar.provider.gemini.internal;

import static lodestar.provider.gemini.internal.Fixtures.JSON;
import static lodestar.provider.gemini.internal.Fixtures.chatRequest;
import static lodestar.provider.gemini.internal.Fixtures.golden;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import lodestar.api.chat.ChatChunk;
import lodestar.api.chat.ChatResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Translation in both directions against golden files in {@code src/test/resources/golden},
 * shaped like the examples of Google's public Gemini API documentation.
 */
class GoldenTest {

    private static final long CREATED = 1_700_000_000L;

    private static Supplier<String> ids() {
        final AtomicInteger next = new AtomicInteger();
        return () -> "call_" + next.getAndIncrement();
    }

    /** The JSON tree of a value as written (numbers as a parser reads them back). */
    private static JsonNode tree(final Object value) throws Exception {
        return JSON.readTree(JSON.writeValueAsString(value));
    }

    /** Pretty JSON, so that a failure shows a readable difference. */
    private static String pretty(final Object value) throws Exception {
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(
                value instanceof JsonNode ? value : JSON.valueToTree(value));
    }

    @ParameterizedTest
    @ValueSource(strings = {"request-system-instruction.json", "request-function-calling.json",
        "request-image.json"})
    void canonicalRequestsBecomeGeminiRequests(final String file) throws Exception {
        final JsonNode golden = golden(file);
        final JsonNode translated = GeminiRequests.translate(chatRequest(golden.get("openai")));
        assertThat(translated).as(pretty(translated)).isEqualTo(golden.get("gemini"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"response-text-cached.json", "response-function-call.json"})
    void geminiResponsesBecomeCanonicalResponses(final String file) throws Exception {
        final JsonNode golden = golden(file);
        final ChatResponse response = GeminiResponses.response(golden.get("gemini"),
                "gemini-2.5-flash", CREATED, ids());
        final JsonNode translated = tree(response);
        assertThat(translated).as(pretty(translated)).isEqualTo(golden.get("openai"));
        // and the canonical answer reads back into the same answer
        assertThat(tree(JSON.treeToValue(golden.get("openai"), ChatResponse.class)))
                .isEqualTo(translated);
    }

    @Test
    void streamEventsBecomeChunksThenUsage() throws Exception {
        final JsonNode golden = golden("stream-chunks.json");
        final GeminiResponses.Stream stream = new GeminiResponses.Stream("gemini-2.5-flash",
                CREATED, ids());
        final ArrayNode chunks = JSON.createArrayNode();
        for (final JsonNode event : golden.get("events")) {
            assertThat(stream.finished()).isFalse();
            final List<ChatChunk> translated = stream.onEvent(event);
            for (final ChatChunk chunk : translated) {
                chunks.add(tree(chunk));
            }
        }
        assertThat((JsonNode) chunks).as(pretty(chunks)).isEqualTo(golden.get("chunks"));
        assertThat(stream.finished()).isTrue();
        final JsonNode usage = tree(stream.usageChunk());
        assertThat(usage).as(pretty(usage)).isEqualTo(golden.get("usage"));
        assertThat(stream.usageChunk().isUsageOnly()).isTrue();
        assertThat(stream.usage().cachedTokens()).isEqualTo(2);
    }

    @Test
    void aToolCallSurvivesTheRoundTrip() throws Exception {
        // Gemini's call, translated to canonical, sent back as the next turn's history
        final JsonNode golden = golden("response-function-call.json");
        final ChatResponse answer = GeminiResponses.response(golden.get("gemini"),
                "gemini-2.5-flash", CREATED, ids());
        final JsonNode request = JSON.readTree("{\"model\":\"gemini-2.5-flash\",\"messages\":["
                + "{\"role\":\"user\",\"content\":\"plan it\"}]}");
        final ArrayNode messages = (ArrayNode) request.get("messages");
        messages.add(JSON.valueToTree(answer.choices().get(0).message()));
        messages.addObject().put("role", "tool").put("tool_call_id", "call_0")
                .put("content", "{\"meetingId\":\"m-1\"}");
        messages.addObject().put("role", "tool").put("tool_call_id", "call_1")
                .put("content", "[\"Room A\"]");
        final JsonNode sent = GeminiRequests.translate(chatRequest(request));
        final JsonNode expected = JSON.readTree("[{\"role\":\"user\",\"parts\":[{\"text\":"
                + "\"plan it\"}]},{\"role\":\"model\",\"parts\":[" + golden.at(
                        "/gemini/candidates/0/content/parts/0") + ","
                + golden.at("/gemini/candidates/0/content/parts/1") + "]},{\"role\":\"user\","
                + "\"parts\":[{\"functionResponse\":{\"name\":\"schedule_meeting\",\"response\":"
                + "{\"meetingId\":\"m-1\"}}},{\"functionResponse\":{\"name\":\"list_rooms\","
                + "\"response\":{\"output\":\"[\\\"Room A\\\"]\"}}}]}]");
        assertThat(sent.get("contents")).as(pretty(sent)).isEqualTo(expected);
    }
}
