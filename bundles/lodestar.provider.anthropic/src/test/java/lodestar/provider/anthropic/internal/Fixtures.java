package lodestar.provider.anthropic.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
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

/** Builds configurations, providers, requests and golden files for the tests. */
final class Fixtures {

    static final String KEY = "sk-ant-api03-test-0123456789abcdef";
    static final String FILE = "/etc/lodestar/config/lodestar.provider.anthropic-test.cfg";
    static final ObjectMapper JSON = new ObjectMapper();

    private Fixtures() {
    }

    static AnthropicConfig config(final Map<String, ?> properties) {
        return Converters.standardConverter().convert(properties).to(AnthropicConfig.class);
    }

    /** A valid configuration for the given base URL, as FileInstall would deliver it. */
    static Map<String, Object> properties(final String baseUrl) {
        final Map<String, Object> props = new HashMap<>();
        props.put("service.pid", "lodestar.provider.anthropic~test");
        props.put("service.factoryPid", "lodestar.provider.anthropic");
        props.put(Settings.FILE_PROPERTY, "file:" + FILE);
        props.put("baseUrl", baseUrl);
        props.put(".apiKey", KEY);
        props.put("models", "fake-small, fake-large");
        props.put("model.fake-small", "context=200000,tools=true,vision=true,input=3.00,"
                + "output=15.00,cachedInput=0.30,cacheWrite=3.75");
        return props;
    }

    static AnthropicProvider provider(final Map<String, Object> properties) {
        return provider(properties, Map.of());
    }

    static AnthropicProvider provider(final Map<String, Object> properties,
            final Map<String, String> env) {
        return new AnthropicProvider(config(properties), properties, env::get,
                Clock.systemUTC());
    }

    static Settings settings(final Map<String, Object> properties) {
        return Settings.parse(config(properties), properties, k -> null);
    }

    static ChatMessage message(final String role, final String text) {
        return new ChatMessage(role, TextNode.valueOf(text), null, null, null, null);
    }

    static ChatMessage user(final String text) {
        return message("user", text);
    }

    static ChatRequest request(final String model, final String text, final boolean stream) {
        final Map<String, JsonNode> extra = new HashMap<>();
        extra.put("user", TextNode.valueOf("tester"));
        extra.put("x_vendor_extension", JsonNodeFactory.instance.objectNode().put("a", 1));
        return new ChatRequest(model, List.of(message("system", "Be brief."), user(text)),
                stream, stream ? StreamOptions.of(true) : null, null, 200, null, 0.2, 7L,
                extra);
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

    /** A test resource as text. */
    static String resource(final String name) {
        try (InputStream in = Fixtures.class.getResourceAsStream("/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A test resource as JSON. */
    static JsonNode json(final String name) {
        try {
            return JSON.readTree(resource(name));
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
