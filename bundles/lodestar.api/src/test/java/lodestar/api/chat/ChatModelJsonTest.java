package lodestar.api.chat;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.TextNode;
import org.junit.jupiter.api.Test;

class ChatModelJsonTest {

    private final ObjectMapper mapper = new ObjectMapper();

    @Test
    void requestKeepsUnknownFieldsAndPassThroughFields() throws Exception {
        final String json = """
            {"model":"gpt-4o","messages":[{"role":"user","content":"hi","x_msg":1}],
             "stream":true,"stream_options":{"include_usage":false,"x_opt":"k"},
             "tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}},
                       "x_tool":true}],
             "tool_choice":"auto","response_format":{"type":"json_object"},"seed":7,
             "temperature":0.0,"max_tokens":12,"vendor_ext":{"a":[1,2]}}
            """;
        final ChatRequest request = mapper.readValue(json, ChatRequest.class);

        assertThat(request.model()).isEqualTo("gpt-4o");
        assertThat(request.isStreaming()).isTrue();
        assertThat(request.hasTools()).isTrue();
        assertThat(request.seed()).isEqualTo(7L);
        assertThat(request.extra()).containsKeys("tool_choice", "response_format", "vendor_ext");
        assertThat(request.messages().get(0).extra()).containsKey("x_msg");

        final JsonNode written = mapper.readTree(mapper.writeValueAsString(request));
        assertThat(written).isEqualTo(mapper.readTree(json));
    }

    @Test
    void withModelAndStreamOptionsCopyEverythingElse() throws Exception {
        final ChatRequest request = mapper.readValue(
                "{\"model\":\"a\",\"messages\":[],\"user\":\"u\"}", ChatRequest.class);
        final ChatRequest changed = request.withModel("b")
                .withStreamOptions(StreamOptions.of(true));

        assertThat(changed.model()).isEqualTo("b");
        assertThat(changed.streamOptions().includeUsage()).isTrue();
        assertThat(changed.extra()).containsEntry("user", TextNode.valueOf("u"));
        assertThat(request.model()).isEqualTo("a");
        assertThat(request.isStreaming()).isFalse();
        assertThat(request.hasTools()).isFalse();
    }

    @Test
    void textJoinsTextPartsAndDetectsImages() throws Exception {
        final ChatMessage parts = mapper.readValue("""
            {"role":"user","content":[{"type":"text","text":"one"},
              {"type":"image_url","image_url":{"url":"data:image/png;base64,AA"}},
              {"type":"text","text":"two"}]}
            """, ChatMessage.class);
        final ChatMessage plain = mapper.readValue("{\"role\":\"user\",\"content\":\"x\"}",
                ChatMessage.class);
        final ChatMessage empty = mapper.readValue("{\"role\":\"assistant\",\"content\":null}",
                ChatMessage.class);

        assertThat(parts.text()).isEqualTo("one\ntwo");
        assertThat(parts.hasImages()).isTrue();
        assertThat(plain.text()).isEqualTo("x");
        assertThat(plain.hasImages()).isFalse();
        assertThat(empty.text()).isEmpty();
        assertThat(empty.hasImages()).isFalse();
        final ChatRequest request = new ChatRequest("m", java.util.List.of(parts, plain), null,
                null, null, null, null, null, null, null);
        assertThat(request.hasImages()).isTrue();
    }

    @Test
    void responseAndUsageRoundTripWithCacheDetails() throws Exception {
        final String json = """
            {"id":"c1","object":"chat.completion","created":1,"model":"m",
             "choices":[{"index":0,"message":{"role":"assistant","content":"ok",
               "tool_calls":[{"id":"t1","type":"function",
                 "function":{"name":"f","arguments":"{\\"a\\":1}"}}]},
               "finish_reason":"tool_calls","logprobs":null}],
             "usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15,
               "prompt_tokens_details":{"cached_tokens":4},
               "completion_tokens_details":{"reasoning_tokens":0}},
             "system_fingerprint":"fp"}
            """;
        final ChatResponse response = mapper.readValue(json, ChatResponse.class);

        assertThat(response.usage().cachedTokens()).isEqualTo(4);
        assertThat(response.usage().cacheCreationTokens()).isZero();
        assertThat(response.choices().get(0).message().toolCalls().get(0).function().arguments())
                .isEqualTo("{\"a\":1}");
        assertThat(response.extra()).containsKey("system_fingerprint");
        assertThat(mapper.readTree(mapper.writeValueAsString(response)))
                .isEqualTo(mapper.readTree(json));
        assertThat(Usage.of(3, 4).totalTokens()).isEqualTo(7);
        assertThat(Usage.of(3, 4).cachedTokens()).isZero();
    }

    @Test
    void chunksRecogniseTheUsageOnlyChunk() throws Exception {
        final ChatChunk delta = mapper.readValue("""
            {"id":"c","object":"chat.completion.chunk","created":1,"model":"m",
             "choices":[{"index":0,"delta":{"content":"he"},"finish_reason":null}]}
            """, ChatChunk.class);
        final ChatChunk usage = mapper.readValue("""
            {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[],
             "usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}
            """, ChatChunk.class);

        assertThat(delta.isUsageOnly()).isFalse();
        assertThat(delta.choices().get(0).delta().text()).isEqualTo("he");
        assertThat(usage.isUsageOnly()).isTrue();
        assertThat(usage.usage().completionTokens()).isEqualTo(2);
    }
}
