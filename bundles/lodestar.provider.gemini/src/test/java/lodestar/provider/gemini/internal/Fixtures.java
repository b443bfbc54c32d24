package lodestar.provider.gemini.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
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

/** Builds configurations, providers and requests for the tests, and reads golden files. */
final class Fixtures {

    static final String KEY = "AIzaSyD-test-0123456789abcdefghijkl";
    static final String FILE = "/etc/lodestar/config/lodestar.provider.gemini-test.cfg";
    static final ObjectMapper JSON = new ObjectMapper();

    private Fixtures() {
    }

    static GeminiConfig config(final Map<String, ?> properties) {
        return Converters.standardConverter().convert(properties).to(GeminiConfig.class);
    }

    /** A valid configuration for the given base URL, as FileInstall would deliver it. */
    static Map<String, Object> properties(final String baseUrl) {
        final Map<String, Object> props = new HashMap<>();
        props.put("service.pid", "lodestar.provider.gemini~test");
        props.put("service.factoryPid", "lodestar.provider.gemini");
        props.put(Settings.FILE_PROPERTY, "file:" + FILE);
        props.put("baseUrl", baseUrl);
        props.put(".apiKey", KEY);
        props.put("models", "fake-small, fake-large");
        props.put("model.fake-small", "context=8000,tools=true,vision=false,input=1.00,"
                + "output=2.00");
        return props;
    }

    static GeminiProvider provider(final Map<String, Object> properties) {
        return provider(properties, Map.of());
    }

    static GeminiProvider provider(final Map<String, Object> properties,
            final Map<String, String> env) {
        return new GeminiProvider(config(properties), properties, env::get, Clock.systemUTC());
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
        ((com.fasterxml.jackson.databind.node.ObjectNode) parameters).putObject("properties")
                .putObject("path").put("type", "string");
        final ToolDefinition tool = new ToolDefinition("function",
                new ToolDefinition.Function("read_file", "Reads a file", parameters, null),
                null);
        return new ChatRequest("fake-small",
                List.of(user("please " + FakeUpstream.TOOL_TRIGGER)), stream,
                stream ? StreamOptions.of(true) : null, List.of(tool), null, null, null, null,
                null);
    }

    /** Reads a JSON file below {@code src/test/resources/golden}. */
    static JsonNode golden(final String name) {
        try (InputStream in = Fixtures.class.getResourceAsStream("/golden/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no golden file " + name);
            }
            return JSON.readTree(in);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A canonical request from its JSON. */
    static ChatRequest chatRequest(final JsonNode json) {
        try {
            return JSON.treeToValue(json, ChatRequest.class);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
