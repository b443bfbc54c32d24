package lodestar.routing.auto.internal;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import lodestar.api.chat.ChatMessage;
import lodestar.api.chat.ChatRequest;
import lodestar.api.chat.ToolDefinition;
import lodestar.api.provider.ModelInfo;
import lodestar.api.routing.RoutingContext;

/** Shared test data: the toy routing set, the project's dev set, models and requests. */
final class Fixtures {

    /** Options for fast toy training: no cross-validation, light regularisation. */
    static final Trainer.Options TOY = new Trainer.Options(FeatureConfig.DEFAULT.withBits(14),
            Label.NEED, 0.001, 200, 0, 1, 0.95);

    static final ModelInfo LLAMA = new ModelInfo("llama3.2:3b", "ollama", 131072, true, false,
            true, 0, 0);
    static final ModelInfo CODER = new ModelInfo("deepseek-coder:1.3b", "ollama", 16384, false,
            false, true, 0, 0);
    static final ModelInfo GPT4O = new ModelInfo("gpt-4o", "openai", 128000, true, true, false,
            2.5e-6, 1e-5);
    static final ModelInfo MINI = new ModelInfo("gpt-4o-mini", "openai", 128000, true, true,
            false, 1.5e-7, 6e-7);
    static final ModelInfo GROK = new ModelInfo("grok-code-fast-1", "xai", 256000, true, false,
            false, 2e-7, 1.5e-6);

    private static RouterModel toyModel;

    private Fixtures() {
    }

    /** @return the toy routing data from the test resources */
    static TrainingData.Loaded toy() {
        try (InputStream in = Fixtures.class.getResourceAsStream("/toy-routing.jsonl")) {
            return TrainingData.read(in, "toy-routing.jsonl");
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The toy data written to a file.
     *
     * @param dir the folder
     * @return the file
     * @throws IOException if writing fails
     */
    static Path toyFile(final Path dir) throws IOException {
        final Path file = dir.resolve("toy-routing.jsonl");
        try (InputStream in = Fixtures.class.getResourceAsStream("/toy-routing.jsonl")) {
            Files.copy(in, file);
        }
        return file;
    }

    /** @return a model trained on the toy data: "banana" prompts need the strong tier */
    static synchronized RouterModel toyModel() {
        if (toyModel == null) {
            toyModel = Trainer.train(toy(), TOY);
        }
        return toyModel;
    }

    /** @return the project's copy of the routing dev set */
    static Path devFile() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null) {
            final Path candidate = dir.resolve("data/routing-eval/dev.jsonl");
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
            dir = dir.getParent();
        }
        throw new IllegalStateException("data/routing-eval/dev.jsonl not found above "
                + Path.of("").toAbsolutePath());
    }

    static ChatMessage message(final String role, final String text) {
        return new ChatMessage(role, TextNode.valueOf(text), null, null, null, null);
    }

    static ChatRequest request(final String prompt) {
        return new ChatRequest("auto", List.of(message("user", prompt)), false, null, null,
                null, null, null, null, null);
    }

    static ChatRequest request(final List<ChatMessage> messages, final boolean tools) {
        return new ChatRequest("auto", messages, false, null, tools ? List.of(tool()) : null,
                null, null, null, null, null);
    }

    static ChatMessage image(final String text) {
        final var parts = JsonNodeFactory.instance.arrayNode();
        parts.addObject().put("type", "text").put("text", text);
        parts.addObject().put("type", "image_url").putObject("image_url").put("url",
                "data:image/png;base64,AAAA");
        return new ChatMessage("user", parts, null, null, null, null);
    }

    static ToolDefinition tool() {
        return new ToolDefinition("function", new ToolDefinition.Function("read_file",
                "Reads a file", JsonNodeFactory.instance.objectNode(), null), null);
    }

    static RoutingContext context(final ChatRequest request, final Map<String, String> headers,
            final Map<String, String> settings, final ModelInfo... available) {
        return new RoutingContext("auto", request, headers, settings,
                new ArrayList<>(List.of(available)));
    }

    /** Settings with the usual two tiers. */
    static Map<String, String> tiers() {
        return Map.of("name", "auto", "strategy", "auto",
                "tier.local", "ollama/llama3.2:3b,ollama/deepseek-coder:1.3b",
                "tier.premium", "openai/gpt-4o,xai/grok-code-fast-1");
    }
}
