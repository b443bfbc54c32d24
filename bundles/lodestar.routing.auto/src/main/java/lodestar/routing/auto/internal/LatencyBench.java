package lodestar.routing.auto.internal;

import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import lodestar.api.chat.ChatMessage;
import lodestar.api.chat.ChatRequest;
import lodestar.api.provider.ModelInfo;
import lodestar.api.routing.RoutingContext;

/**
 * A micro benchmark of one {@code auto} decision (features, the dot products, tiers, needs and
 * the explanation), without JMH: warm-up rounds, then {@link System#nanoTime()} around each
 * decision. It reports figures and asserts nothing.
 */
final class LatencyBench {

    private static final List<ModelInfo> MODELS = List.of(
            new ModelInfo("llama3.2:3b", "ollama", 131072, true, false, true, 0, 0),
            new ModelInfo("deepseek-coder:1.3b", "ollama", 16384, false, false, true, 0, 0),
            new ModelInfo("gpt-4o", "openai", 128000, true, true, false, 2.5e-6, 1e-5),
            new ModelInfo("grok-code-fast-1", "xai", 256000, true, false, false, 2e-7, 1.5e-6));
    private static final Map<String, String> SETTINGS = Map.of(
            "tier.local", "ollama/deepseek-coder:1.3b,ollama/llama3.2:3b",
            "tier.premium", "openai/gpt-4o,xai/grok-code-fast-1");

    private LatencyBench() {
    }

    /**
     * Times decisions on prompts.
     *
     * @param router the router
     * @param name what the prompts are, for the report
     * @param prompts the prompts, one user message each
     * @param rounds timed rounds over all prompts (after three warm-up rounds)
     * @return one line: n, p50, p90, p99 and max in microseconds
     */
    static String run(final AutoRouter router, final String name, final List<String> prompts,
            final int rounds) {
        final List<RoutingContext> contexts = new ArrayList<>(prompts.size());
        long chars = 0;
        for (final String prompt : prompts) {
            chars += prompt.length();
            final ChatRequest request = new ChatRequest("auto", List.of(new ChatMessage("user",
                    TextNode.valueOf(prompt), null, null, null, null)), false, null, null, null,
                    null, null, null, null);
            contexts.add(new RoutingContext("auto", request, Map.of(), SETTINGS, MODELS));
        }
        int sink = 0;
        for (int round = 0; round < 3; round++) {
            for (final RoutingContext context : contexts) {
                sink += router.route(context).candidates().size();
            }
        }
        final long[] nanos = new long[contexts.size() * rounds];
        int k = 0;
        for (int round = 0; round < rounds; round++) {
            for (final RoutingContext context : contexts) {
                final long start = System.nanoTime();
                sink += router.route(context).candidates().size();
                nanos[k++] = System.nanoTime() - start;
            }
        }
        Arrays.sort(nanos);
        final int n = nanos.length;
        return String.format(Locale.ROOT, "%s (mean %d chars): n=%d p50=%.1f us p90=%.1f us "
                + "p99=%.1f us max=%.1f us%s%n", name, prompts.isEmpty() ? 0
                        : chars / prompts.size(), n, n == 0 ? 0 : nanos[n / 2] / 1e3,
                n == 0 ? 0 : nanos[n * 9 / 10] / 1e3, n == 0 ? 0 : nanos[n * 99 / 100] / 1e3,
                n == 0 ? 0 : nanos[n - 1] / 1e3, sink < 0 ? "!" : "");
    }

    /**
     * Long coding-tool turns: a fenced source file and a request, about 19,000 characters.
     *
     * @param count how many (each slightly different)
     * @return the prompts
     */
    static List<String> codeTurns(final int count) {
        final StringBuilder file = new StringBuilder("```java\n");
        for (int i = 0; i < 400; i++) {
            file.append("public int add").append(i).append("(int a, int b) { return a + b * ")
                    .append(i).append("; }\n");
        }
        file.append("```\nRefactor this class and explain the race condition. #");
        final List<String> prompts = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            prompts.add(file.toString() + i);
        }
        return prompts;
    }
}
