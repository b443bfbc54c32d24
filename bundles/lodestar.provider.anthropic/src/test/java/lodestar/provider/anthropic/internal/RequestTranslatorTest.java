package lodestar.provider.anthropic.internal;

import static lodestar.provider.anthropic.internal.Fixtures.JSON;
import static lodestar.provider.anthropic.internal.Fixtures.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import lodestar.api.chat.ChatRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Canonical requests to Anthropic Messages bodies, against golden files. */
class RequestTranslatorTest {

    private static JsonNode translate(final JsonNode canonical) throws Exception {
        final ChatRequest request = JSON.treeToValue(canonical, ChatRequest.class);
        // the wire bytes, read back: what the upstream sees
        return JSON.readTree(JSON.writeValueAsBytes(RequestTranslator.toNative(request,
                Settings.DEFAULT_MAX_TOKENS, JSON)));
    }

    private static JsonNode translate(final String canonical) throws Exception {
        return translate(JSON.readTree(canonical));
    }

    @ParameterizedTest
    @ValueSource(strings = {"tool-conversation", "images", "system-cache"})
    void matchesTheGoldenFile(final String name) throws Exception {
        assertThat(translate(json("golden/" + name + ".openai.json")))
                .isEqualTo(json("golden/" + name + ".anthropic.json"));
    }

    @Test
    void plainRequestsStayPlain() throws Exception {
        final JsonNode body = translate("{\"model\":\"m\",\"messages\":[{\"role\":\"user\","
                + "\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":[{\"type\":\"text\","
                + "\"text\":\"Hello\"}]},{\"role\":\"user\",\"content\":\"bye\"}],"
                + "\"stop\":\"END\",\"top_p\":0.5,\"n\":1,\"logprobs\":false,"
                + "\"response_format\":{\"type\":"
                + "\"text\"},\"modalities\":[\"text\"],\"service_tier\":\"default\","
                + "\"metadata\":{\"user_id\":\"u1\"},\"user\":\"ignored\"}");
        assertThat(body).isEqualTo(JSON.readTree("{\"model\":\"m\",\"max_tokens\":4096,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\","
                + "\"content\":\"Hello\"},{\"role\":\"user\",\"content\":\"bye\"}],"
                + "\"top_p\":0.5,\"stop_sequences\":[\"END\"],\"metadata\":{\"user_id\":"
                + "\"u1\"}}"));
    }

    @Test
    void anthropicFieldsPassThrough() throws Exception {
        final JsonNode body = translate("{\"model\":\"m\",\"max_tokens\":5,\"system\":"
                + "[{\"type\":\"text\",\"text\":\"native\",\"cache_control\":{\"type\":"
                + "\"ephemeral\"}}],\"service_tier\":\"standard_only\",\"stop_sequences\":"
                + "\"X\",\"messages\":[{\"role\":\"system\",\"content\":\"more\"},{\"role\":"
                + "\"user\",\"content\":[{\"type\":\"image\",\"source\":{\"type\":\"url\","
                + "\"url\":\"https://x/y.png\"}}]},{\"role\":\"assistant\",\"content\":[{"
                + "\"type\":\"thinking\",\"thinking\":\"t\",\"signature\":\"s\"},{\"type\":"
                + "\"refusal\",\"refusal\":\"no\"}]}],\"tools\":[{\"type\":"
                + "\"web_search_20250305\",\"name\":\"web_search\",\"max_uses\":3}],"
                + "\"tool_choice\":{\"type\":\"any\"}}");
        assertThat(body.path("system").size()).isEqualTo(2);
        assertThat(body.at("/system/1/text").asText()).isEqualTo("more");
        assertThat(body.path("service_tier").asText()).isEqualTo("standard_only");
        assertThat(body.path("stop_sequences").toString()).isEqualTo("[\"X\"]");
        assertThat(body.at("/messages/0/content/0/source/url").asText())
                .isEqualTo("https://x/y.png");
        assertThat(body.at("/messages/1/content/0/signature").asText()).isEqualTo("s");
        assertThat(body.at("/messages/1/content/1/text").asText()).isEqualTo("no");
        assertThat(body.path("tools").get(0)).isEqualTo(JSON.readTree("{\"type\":"
                + "\"web_search_20250305\",\"name\":\"web_search\",\"max_uses\":3}"));
        assertThat(body.path("tool_choice")).isEqualTo(JSON.readTree("{\"type\":\"any\"}"));
    }

    @Test
    void nativeStringSystemAndToolChoices() throws Exception {
        final String tools = ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\","
                + "\"parameters\":{\"type\":\"object\"}}}]";
        final String base = "{\"model\":\"m\",\"system\":\"sys\",\"messages\":[{\"role\":\"user\","
                + "\"content\":\"x\"}]" + tools;
        assertThat(translate(base + ",\"tool_choice\":\"required\"}").path("tool_choice"))
                .isEqualTo(JSON.readTree("{\"type\":\"any\"}"));
        assertThat(translate(base + ",\"tool_choice\":\"none\",\"parallel_tool_calls\":false}")
                .path("tool_choice")).isEqualTo(JSON.readTree("{\"type\":\"none\"}"));
        final JsonNode serial = translate(base + ",\"parallel_tool_calls\":false}");
        assertThat(serial.path("tool_choice")).isEqualTo(JSON.readTree("{\"type\":\"auto\","
                + "\"disable_parallel_tool_use\":true}"));
        assertThat(serial.path("system").asText()).isEqualTo("sys");
        assertThat(translate("{\"model\":\"m\",\"messages\":[{\"role\":\"system\","
                + "\"content\":\"a\"},{\"role\":\"developer\",\"content\":\"b\"}]}")
                .path("system").asText()).isEqualTo("a\n\nb");
        assertThat(translate(base + ",\"tool_choice\":null}").has("tool_choice")).isFalse();
        assertThat(translate("{\"model\":\"m\",\"messages\":[],\"tool_choice\":\"auto\"}")
                .has("tool_choice")).isFalse();
        assertThatThrownBy(() -> translate(base + ",\"tool_choice\":\"sometimes\"}"))
                .hasMessageContaining("tool_choice 'sometimes' is unknown");
        assertThatThrownBy(() -> translate(base + ",\"tool_choice\":{\"type\":\"function\"}}"))
                .hasMessageContaining("names no function");
        assertThatThrownBy(() -> translate(base + ",\"tool_choice\":{\"type\":\"magic\"}}"))
                .hasMessageContaining("tool_choice type 'magic'");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "\"n\":2|n=2 is not supported",
        "\"logprobs\":true|logprobs",
        "\"top_logprobs\":3|logprobs",
        "\"response_format\":{\"type\":\"json_schema\"}|response_format 'json_schema'",
        "\"audio\":{\"voice\":\"alloy\"}|audio output",
        "\"modalities\":[\"text\",\"audio\"]|audio output",
        "\"functions\":[]|legacy functions",
        "\"web_search_options\":{}|web_search_options",
        "\"max_tokens\":0|max_tokens must be positive",
        "\"messages\":[{\"role\":\"function\",\"content\":\"x\"}]|role 'function'",
        "\"messages\":[{\"role\":\"system\",\"content\":5}]|system message content",
        "\"messages\":[{\"role\":\"system\",\"content\":[{\"type\":\"image_url\"}]}]"
                + "|only hold text",
        "\"messages\":[{\"role\":\"user\",\"content\":5}]|must be a string or an array",
        "\"messages\":[{\"role\":\"user\",\"content\":[\"x\"]}]|parts must be objects",
        "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_audio\"}]}]|audio input",
        "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"video\"}]}]|type 'video'",
        "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":"
                + "{\"url\":\"data:image/bmp;base64,AA\"}}]}]|image type 'image/bmp'",
        "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":"
                + "{\"url\":\"file:///x.png\"}}]}]|base64 data URL or an http(s) URL",
        "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"file\",\"file\":"
                + "{\"file_id\":\"f1\"}}]}]|file_id is not supported",
        "\"messages\":[{\"role\":\"assistant\",\"content\":[{\"type\":\"image_url\"}]}]|assistant "
                + "content part type",
        "\"messages\":[{\"role\":\"assistant\",\"content\":7}]|assistant message content",
        "\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"type\":\"function\","
                + "\"function\":{\"name\":\"f\"}}]}]|lacks its id or name",
        "\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c\",\"function\":"
                + "{\"name\":\"f\",\"arguments\":\"[1]\"}}]}]|not a JSON object",
        "\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c\",\"function\":"
                + "{\"name\":\"f\",\"arguments\":\"{oops\"}}]}]|not a JSON object",
        "\"messages\":[{\"role\":\"tool\",\"content\":\"x\"}]|lacks tool_call_id",
        "\"tools\":[{\"type\":\"function\",\"function\":{\"description\":\"d\"}}]"
                + "|lacks its function",
        "\"tools\":[{\"type\":\"code_interpreter\"}]|tool type 'code_interpreter'"})
    void whatCannotBeTranslatedIsABadRequest(final String spec) {
        final String[] parts = spec.split("\\|");
        final String fields = parts[0].startsWith("\"messages\"") ? parts[0]
                : parts[0] + ",\"messages\":[]";
        assertThatThrownBy(() -> translate("{\"model\":\"m\"," + fields + "}"))
                .isInstanceOf(TranslationException.class).hasMessageContaining(parts[1]);
    }

    @Test
    void emptyPartsAndMessagesAreLeftOut() throws Exception {
        final JsonNode body = translate("{\"model\":\"m\",\"messages\":[{\"role\":\"system\","
                + "\"content\":null},{\"role\":\"system\",\"content\":\"\"},{\"role\":"
                + "\"system\",\"content\":[{\"type\":\"text\",\"text\":\"\"}]},{\"role\":"
                + "\"user\",\"content\":null},{\"role\":\"assistant\",\"content\":\"\","
                + "\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\",\"function\":{\"name\":"
                + "\"f\",\"arguments\":\"\"}}]},{\"role\":\"tool\",\"tool_call_id\":\"c1\","
                + "\"content\":\"\"},{\"role\":\"assistant\",\"content\":[{\"type\":\"text\","
                + "\"text\":\"\"}]}]}");
        assertThat(body.has("system")).isFalse();
        assertThat(body.path("messages")).isEqualTo(JSON.readTree("[{\"role\":\"user\","
                + "\"content\":\"\"},{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\","
                + "\"id\":\"c1\",\"name\":\"f\",\"input\":{}}]},{\"role\":\"user\",\"content\":"
                + "[{\"type\":\"tool_result\",\"tool_use_id\":\"c1\"}]}]"));
    }

    @Test
    void theTypedRequestIsUsedAsIs() {
        final ChatRequest request = Fixtures.request("fake-small", "hi", true);
        final ObjectNode body = RequestTranslator.toNative(request, 99, JSON);
        assertThat(body.path("max_tokens").asInt()).isEqualTo(200);
        assertThat(body.path("system").asText()).isEqualTo("Be brief.");
        assertThat(body.path("stream").asBoolean()).isTrue();
        assertThat(body.path("metadata").path("user_id").asText()).isEqualTo("tester");
        assertThat(body.has("seed")).isFalse();
        assertThat(body.has("stream_options")).isFalse();
        assertThat(body.has("x_vendor_extension")).isFalse();
        assertThat(RequestTranslator.toNative(Fixtures.toolRequest(false), 99, JSON)
                .path("max_tokens").asInt()).isEqualTo(99);
    }
}
