package lodestar.provider.openai.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.TextNode;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import lodestar.api.chat.ChatMessage;
import lodestar.api.chat.ChatRequest;
import lodestar.api.chat.StreamOptions;
import lodestar.api.chat.ToolDefinition;
import lodestar.test.upstream.FakeUpstream;
import org.osgi.util.converter.Converters;

/** Builds configurations, providers and requests for the tests. */
final class Fixtures {

    static final String KEY = "sk-test-0123456789abcdef";
    static final String FILE = "/etc/lodestar/config/lodestar.provider.openai-test.cfg";

    private Fixtures() {
    }

    static OpenAiConfig config(final Map<String, ?> properties) {
        return Converters.standardConverter().convert(properties).to(OpenAiConfig.class);
    }

    /** A valid configuration for the given base URL, as FileInstall would deliver it. */
    static Map<String, Object> properties(final String baseUrl) {
        final Map<String, Object> props = new HashMap<>();
        props.put("service.pid", "lodestar.provider.openai~test");
        props.put("service.factoryPid", "lodestar.provider.openai");
        props.put(Settings.FILE_PROPERTY, "file:" + FILE);
        props.put("baseUrl", baseUrl);
        props.put(".apiKey", KEY);
        props.put("models", "fake-small, fake-large");
        props.put("model.fake-small", "context=8000,tools=true,vision=false,input=1.00,"
                + "output=2.00");
        return props;
    }

    static OpenAiProvider provider(final Map<String, Object> properties) {
        return provider(properties, Map.of());
    }

    static OpenAiProvider provider(final Map<String, Object> properties,
            final Map<String, String> env) {
        return new OpenAiProvider(config(properties), properties, env::get, Clock.systemUTC());
    }

    static ChatMessage user(final String text) {
        return new ChatMessage("user", TextNode.valueOf(text), null, null, null, null);
    }

    static ChatRequest request(final String model, final String text, final boolean stream) {
        final Map<String, JsonNode> extra = new HashMap<>();
        extra.put("user", TextNode.valueOf("tester"));
        extra.put("x_vendor_extension", JsonNodeFactory.instance.objectNode().put("a", 1));
        return new ChatRequest(model, List.of(user(text)), stream,
                stream ? StreamOptions.of(true) : null, null, null, null, 0.2, null, extra);
    }

    static ChatRequest toolRequest(final boolean stream) {
        final JsonNode parameters = JsonNodeFactory.instance.objectNode().put("type", "object");
        final ToolDefinition tool = new ToolDefinition("function",
                new ToolDefinition.Function("read_file", "Reads a file", parameters, null),
                null);
        return new ChatRequest("fake-small",
                List.of(user("please " + FakeUpstream.TOOL_TRIGGER)), stream,
                stream ? StreamOptions.of(true) : null, List.of(tool), null, null, null, null,
                null);
    }
}
