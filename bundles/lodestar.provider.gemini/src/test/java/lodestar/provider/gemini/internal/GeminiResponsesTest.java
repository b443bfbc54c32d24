package lodestar.provider.gemini.internal;

import static lodestar.provider.gemini.internal.Fixtures.JSON;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import lodestar.api.chat.ChatChunk;
import lodestar.api.chat.ChatResponse;
import lodestar.api.chat.Usage;
import org.junit.jupiter.api.Test;

/** Gemini answers the golden files do not cover. */
class GeminiResponsesTest {

    private static JsonNode json(final String text) throws Exception {
        return JSON.readTree(text.replace('\'', '"'));
    }

    private static Supplier<String> ids() {
        final AtomicInteger next = new AtomicInteger();
        return () -> "call_" + next.getAndIncrement();
    }

    @Test
    void finishReasonsAreMapped() {
        assertThat(GeminiResponses.finishReason("STOP", false)).isEqualTo("stop");
        assertThat(GeminiResponses.finishReason("STOP", true)).isEqualTo("tool_calls");
        assertThat(GeminiResponses.finishReason("MAX_TOKENS", true)).isEqualTo("length");
        for (final String reason : List.of("SAFETY", "RECITATION", "BLOCKLIST",
                "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY", "LANGUAGE")) {
            assertThat(GeminiResponses.finishReason(reason, false)).isEqualTo("content_filter");
        }
        assertThat(GeminiResponses.finishReason("OTHER", false)).isEqualTo("stop");
        assertThat(GeminiResponses.finishReason("MALFORMED_FUNCTION_CALL", false))
                .isEqualTo("stop");
    }

    @Test
    void blockedPromptsAreRecognised() throws Exception {
        assertThat(GeminiResponses.blocked(json("{'promptFeedback':{'blockReason':'OTHER',"
                + "'blockReasonMessage':'not allowed'}}")))
                .isEqualTo("Gemini blocked the prompt (blockReason OTHER): not allowed");
        assertThat(GeminiResponses.blocked(json("{'candidates':[{}],'promptFeedback':"
                + "{'blockReason':'SAFETY'}}"))).isNull();
        assertThat(GeminiResponses.blocked(json("{'candidates':[]}"))).isNull();
    }

    @Test
    void severalCandidatesAndEmptyAnswers() throws Exception {
        final ChatResponse two = GeminiResponses.response(json("{'candidates':["
                + "{'content':{'parts':[{'text':'a'}]},'finishReason':'STOP','index':0},"
                + "{'finishReason':'SAFETY','index':1}]}"), "m", 1, ids());
        assertThat(two.id()).startsWith("chatcmpl-");
        assertThat(two.usage()).isNull();
        assertThat(two.choices()).hasSize(2);
        assertThat(two.choices().get(1).index()).isEqualTo(1);
        assertThat(two.choices().get(1).message().text()).isEmpty();
        assertThat(two.choices().get(1).finishReason()).isEqualTo("content_filter");

        final ChatResponse none = GeminiResponses.response(json("{'usageMetadata':"
                + "{'promptTokenCount':3,'toolUsePromptTokenCount':2}}"), "m", 1, ids());
        assertThat(none.choices()).singleElement().satisfies(c -> {
            assertThat(c.finishReason()).isEqualTo("stop");
            assertThat(c.message().text()).isEmpty();
        });
        assertThat(none.usage()).isEqualTo(Usage.of(5, 0));
    }

    @Test
    void functionCallIdsFromGeminiAreKept() throws Exception {
        final ChatResponse answer = GeminiResponses.response(json("{'candidates':[{'content':"
                + "{'parts':[{'text':'Let me look.'},{'functionCall':{'id':'fc-9','name':'f',"
                + "'args':'odd'}}]},'finishReason':'STOP'}]}"), "m", 1, ids());
        assertThat(answer.choices().get(0).message().text()).isEqualTo("Let me look.");
        assertThat(answer.choices().get(0).message().toolCalls()).singleElement()
                .satisfies(call -> {
                    assertThat(call.id()).isEqualTo("fc-9");
                    assertThat(call.function().arguments()).isEqualTo("{}");
                });
    }

    @Test
    void streamsWithThoughtsAndSeveralCandidates() throws Exception {
        final GeminiResponses.Stream stream = new GeminiResponses.Stream("m", 1, ids());
        assertThat(stream.finished()).isFalse();
        assertThat(stream.usageChunk()).isNull();
        final List<ChatChunk> first = stream.onEvent(json("{'candidates':["
                + "{'content':{'parts':[{'text':'hmm','thought':true}]},'index':0},"
                + "{'content':{'parts':[{'text':'B'}]},'index':1}]}"));
        assertThat(first).hasSize(2);
        assertThat(first.get(0).choices().get(0).delta().extra().get("reasoning_content")
                .asText()).isEqualTo("hmm");
        assertThat(first.get(0).choices().get(0).delta().text()).isEmpty();
        assertThat(first.get(1).choices().get(0).index()).isEqualTo(1);
        // an event with nothing new for a candidate that already started sends nothing
        assertThat(stream.onEvent(json("{'candidates':[{'content':{'parts':[]},'index':0}]}")))
                .isEmpty();
        final List<ChatChunk> calls = stream.onEvent(json("{'candidates':[{'content':{'parts':"
                + "[{'functionCall':{'name':'a','args':{}}},{'functionCall':{'name':'b'}}]},"
                + "'index':0,'finishReason':'STOP'}]}"));
        assertThat(calls.get(0).choices().get(0).delta().toolCalls())
                .extracting(c -> c.index() + ":" + c.id() + ":" + c.function().name())
                .containsExactly("0:call_0:a", "1:call_1:b");
        assertThat(calls.get(1).choices().get(0).finishReason()).isEqualTo("tool_calls");
        assertThat(stream.finished()).isFalse();
        final List<ChatChunk> last = stream.onEvent(json("{'candidates':[{'index':1,"
                + "'finishReason':'MAX_TOKENS'},{'index':1,'finishReason':'MAX_TOKENS'}]}"));
        assertThat(last).singleElement().satisfies(c -> assertThat(c.choices().get(0)
                .finishReason()).isEqualTo("length"));
        assertThat(stream.finished()).isTrue();
        assertThat(stream.usage()).isNull();
    }
}
