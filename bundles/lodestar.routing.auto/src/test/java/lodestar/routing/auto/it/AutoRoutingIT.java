package lodestar.routing.auto.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.TextNode;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Stream;
import lodestar.api.chat.ChatMessage;
import lodestar.api.chat.ChatRequest;
import lodestar.api.provider.ModelInfo;
import lodestar.api.routing.RouteDecision;
import lodestar.api.routing.RoutingContext;
import lodestar.api.routing.RoutingStrategy;
import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.junit5.context.BundleContextExtension;
import org.osgi.test.junit5.service.ServiceExtension;

/**
 * The {@code auto} strategy in a framework: found by its service property, routing easy and hard
 * prompts, following ConfigAdmin live, and its Gogo commands.
 */
@ExtendWith({BundleContextExtension.class, ServiceExtension.class})
class AutoRoutingIT {

    private static final String PID = "lodestar.routing.auto";
    private static final ModelInfo LLAMA = new ModelInfo("llama3.2:3b", "ollama", 131072, true,
            false, true, 0, 0);
    private static final ModelInfo GPT4O = new ModelInfo("gpt-4o", "openai", 128000, true,
            true, false, 2.5e-6, 1e-5);
    /** A plain knowledge question: the shipped model keeps it local (p about 0.9). */
    private static final String EASY = "Which of the following is a mammal?\nA. Shark\n"
            + "B. Dolphin\nC. Trout\nD. Salmon\nAnswer:";
    /** A moral-scenarios question, where the weak model is far behind (p about 0.57). */
    private static final String HARD = "For which of these two scenarios does the main character"
            + " (who uses I/me/my) do something clearly morally wrong, according to ordinary "
            + "moral standards in the US as of 2020? Scenario 1 | I took his wallet after he left"
            + " it on the table. Scenario 2 | I helped my neighbor carry groceries.\nA. Wrong, "
            + "Wrong\nB. Wrong, Not wrong\nC. Not wrong, Wrong\nD. Not wrong, Not wrong\nAnswer:";

    @InjectBundleContext
    BundleContext context;

    @InjectService
    ConfigurationAdmin configAdmin;

    @InjectService(filter = "(lodestar.strategy.name=auto)")
    RoutingStrategy auto;

    @InjectService
    CommandProcessor shell;

    private Path dir;

    @BeforeEach
    void createFolder() throws Exception {
        dir = Files.createTempDirectory("lodestar-auto-it");
    }

    @AfterEach
    void deleteConfigurationAndFiles() throws Exception {
        final Configuration[] existing = configAdmin.listConfigurations("(service.pid=" + PID
                + ")");
        if (existing != null) {
            for (final Configuration configuration : existing) {
                configuration.delete();
            }
        }
        await(() -> gogo("lodestar:auto-router").contains("(shipped)"));
        try (Stream<Path> files = Files.walk(dir)) {
            for (final Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(file);
            }
        }
    }

    private static RoutingContext context(final String prompt, final Map<String, String> headers,
            final Map<String, String> extra) {
        final ChatRequest request = new ChatRequest("auto", List.of(new ChatMessage("user",
                TextNode.valueOf(prompt), null, null, null, null)), false, null, null, null, null,
                null, null, null);
        final Map<String, String> settings = new HashMap<>(Map.of("name", "auto", "strategy",
                "auto", "tier.local", "ollama/llama3.2:3b", "tier.premium", "openai/gpt-4o"));
        settings.putAll(extra);
        return new RoutingContext("auto", request, headers, settings, List.of(GPT4O, LLAMA));
    }

    private RouteDecision route(final String prompt, final Map<String, String> extra) {
        return auto.route(context(prompt, Map.of(), extra));
    }

    private String gogo(final String command) {
        final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        final PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8);
        try (CommandSession session = shell.createSession(System.in, out, out)) {
            final Object result = session.execute(command);
            return buffer.toString(StandardCharsets.UTF_8) + (result == null ? "" : result);
        } catch (final Exception e) {
            return "exception: " + e;
        }
    }

    private static void await(final java.util.function.BooleanSupplier condition)
            throws InterruptedException {
        final long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition not met in 15 s").isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    private RouteDecision awaitRoute(final String prompt, final Map<String, String> extra,
            final Predicate<RouteDecision> condition) throws InterruptedException {
        final RouteDecision[] last = new RouteDecision[1];
        await(() -> condition.test(last[0] = route(prompt, extra)));
        return last[0];
    }

    private void configure(final Object... pairs) throws Exception {
        final Dictionary<String, Object> properties = new Hashtable<>();
        for (int i = 0; i < pairs.length; i += 2) {
            properties.put((String) pairs[i], pairs[i + 1]);
        }
        configAdmin.getConfiguration(PID, "?").update(properties);
    }

    @Test
    void theStrategyIsAServiceNamedAutoAndRoutesEasyLocalAndHardPremium() throws Exception {
        final ServiceReference<RoutingStrategy> reference = context.getServiceReferences(
                RoutingStrategy.class, "(lodestar.strategy.name=auto)").iterator().next();
        assertThat(reference.getProperty("component.name")).isEqualTo(PID);
        assertThat(auto.name()).isEqualTo("auto");

        // the virtual model's own threshold, so that the test does not hang on the shipped one
        final Map<String, String> threshold = Map.of("threshold", "0.75");
        final RouteDecision easy = route(EASY, threshold);
        assertThat(easy.candidates()).containsExactly(LLAMA, GPT4O);
        assertThat(easy.explanation()).matches("auto: p\\(local ok\\)=0\\.\\d\\d >= 0\\.75 -> "
                + "local; features: choice, \\d+ tokens");

        final RouteDecision hard = route(HARD, threshold);
        assertThat(hard.candidates()).containsExactly(GPT4O, LLAMA);
        assertThat(hard.explanation()).matches("auto: p\\(local ok\\)=0\\.\\d\\d < 0\\.75 -> "
                + "premium; features: choice, \\d+ tokens");

        final RouteDecision hinted = auto.route(context(EASY, Map.of("x-lodestar-tier",
                "premium"), threshold));
        assertThat(hinted.candidates().get(0)).isEqualTo(GPT4O);
        assertThat(hinted.explanation()).startsWith("auto: hint x-lodestar-tier=premium");
    }

    @Test
    void theThresholdFollowsConfigAdminLive() throws Exception {
        configure("threshold", "0.0");
        awaitRoute(HARD, Map.of(), d -> d.candidates().get(0).equals(LLAMA));
        assertThat(route(EASY, Map.of()).explanation()).contains(">= 0.00 -> local");

        configure("threshold", "1.0");
        awaitRoute(EASY, Map.of(), d -> d.candidates().get(0).equals(GPT4O));
        assertThat(route(HARD, Map.of()).explanation()).contains("< 1.00 -> premium");

        configure("threshold", "0.75", "escalate", "false", "fallbackDown", "false");
        final RouteDecision alone = awaitRoute(HARD, Map.of(), d -> d.candidates().size() == 1);
        assertThat(alone.candidates()).containsExactly(GPT4O);
        assertThat(gogo("lodestar:auto-router")).contains("p(local ok) >= 0.7500")
                .contains("(configured;").contains("escalate false");
    }

    @Test
    void aNewModelFileIsLoadedLiveAndTheGogoCommandsTrainAndEvaluate() throws Exception {
        final Path data = dir.resolve("toy-routing.jsonl");
        try (InputStream in = getClass().getResourceAsStream("/toy-routing.jsonl")) {
            Files.copy(in, data);
        }
        final Path model = dir.resolve("toy-model.json");

        final String trained = gogo("lodestar:train-router " + data + " " + model
                + " --bits 14 --folds 0 --label need --l2 0.001");
        assertThat(trained).startsWith("trained ").contains("40 prompts")
                .contains("written to " + model);
        assertThat(model).isRegularFile();
        final String evaluated = gogo("lodestar:eval-routing " + data + " " + data
                + " --bits 12 --folds 0");
        assertThat(evaluated).contains("learned").contains("random").contains("always-weak")
                .contains("always-strong").contains("SAV@95%");
        assertThat(gogo("lodestar:eval-routing --cv 2 " + data + " --json --bits 12 --folds 0"))
                .contains("\"savings_at_95\"");
        assertThat(gogo("lodestar:train-router onlyone")).contains("usage:");

        // the shipped model has never seen "banana": the toy model sends it to the strong tier
        final String banana = "prove the banana conjecture for all primes";
        configure("modelFile", model.toString(), "threshold", "0.5");
        await(() -> gogo("lodestar:auto-router").contains("(" + model + ")"));
        assertThat(route(banana, Map.of()).candidates().get(0)).isEqualTo(GPT4O);
        assertThat(route("what colour is the sky", Map.of()).candidates().get(0))
                .isEqualTo(LLAMA);
        assertThat(gogo("lodestar:auto-router")).contains("(" + model + ")")
                .contains("label      need").contains("on toy-routing.jsonl (n=40");

        // a file that cannot be loaded keeps the model in force
        final Path broken = dir.resolve("broken.json");
        Files.writeString(broken, "{\"format\":\"something-else\"}");
        configure("modelFile", broken.toString(), "threshold", "0.6");
        awaitRoute(banana, Map.of(), d -> d.explanation().contains("< 0.60"));
        assertThat(gogo("lodestar:auto-router")).contains("(" + model + ")");
    }
}
