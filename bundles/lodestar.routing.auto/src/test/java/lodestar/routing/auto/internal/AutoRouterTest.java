package lodestar.routing.auto.internal;

import static lodestar.routing.auto.internal.Fixtures.CODER;
import static lodestar.routing.auto.internal.Fixtures.GPT4O;
import static lodestar.routing.auto.internal.Fixtures.GROK;
import static lodestar.routing.auto.internal.Fixtures.LLAMA;
import static lodestar.routing.auto.internal.Fixtures.MINI;
import static lodestar.routing.auto.internal.Fixtures.context;
import static lodestar.routing.auto.internal.Fixtures.request;
import static lodestar.routing.auto.internal.Fixtures.tiers;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import lodestar.api.chat.ChatRequest;
import lodestar.api.routing.RouteDecision;
import org.junit.jupiter.api.Test;

class AutoRouterTest {

    private static final String EASY = "what colour is the sky";
    private static final String HARD = "prove the banana conjecture for all primes";
    private static final AutoRouter.Settings HALF = new AutoRouter.Settings(0.5, true, true,
            true, 0);

    private final AutoRouter router = new AutoRouter(Fixtures.toyModel(), HALF);

    private RouteDecision route(final String prompt) {
        return router.route(context(request(prompt), Map.of(), tiers(), LLAMA, CODER, GPT4O,
                GROK));
    }

    private static Map<String, String> with(final Map<String, String> base,
            final String... pairs) {
        final Map<String, String> out = new HashMap<>(base);
        for (int i = 0; i < pairs.length; i += 2) {
            out.put(pairs[i], pairs[i + 1]);
        }
        return out;
    }

    @Test
    void anEasyPromptStaysLocalWithTheStrongTierBehindIt() {
        final RouteDecision decision = route(EASY);

        assertThat(decision.strategy()).isEqualTo("auto");
        assertThat(decision.candidates()).containsExactly(LLAMA, CODER, GPT4O, GROK);
        assertThat(decision.explanation()).matches(
                "auto: p\\(local ok\\)=[01]\\.\\d\\d >= 0\\.50 -> local; features: text, 6 tokens");
    }

    @Test
    void aHardPromptGoesPremiumWithLocalAsTheLastResort() {
        final RouteDecision decision = route(HARD);

        assertThat(decision.candidates()).containsExactly(GPT4O, GROK, LLAMA, CODER);
        assertThat(decision.explanation()).matches(
                "auto: p\\(local ok\\)=[01]\\.\\d\\d < 0\\.50 -> premium; features: text, \\d+ "
                        + "tokens, 1 marker");
    }

    @Test
    void escalationAndFallbackCanBeTurnedOff() {
        final AutoRouter alone = new AutoRouter(Fixtures.toyModel(),
                new AutoRouter.Settings(0.5, true, false, false, 0));

        assertThat(alone.route(context(request(EASY), Map.of(), tiers(), LLAMA, CODER, GPT4O,
                GROK)).candidates()).containsExactly(LLAMA, CODER);
        assertThat(alone.route(context(request(HARD), Map.of(), tiers(), LLAMA, CODER, GPT4O,
                GROK)).candidates()).containsExactly(GPT4O, GROK);
    }

    @Test
    void hintsOverrideTheModel() {
        final RouteDecision header = router.route(context(request(EASY),
                Map.of("x-lodestar-tier", " Premium "), tiers(), LLAMA, GPT4O));
        assertThat(header.candidates()).containsExactly(GPT4O, LLAMA);
        assertThat(header.explanation()).isEqualTo(
                "auto: hint x-lodestar-tier=Premium -> premium; features: 6 tokens");

        final RouteDecision prompt = router.route(context(request(HARD + " @local please"),
                Map.of(), tiers(), LLAMA, GPT4O));
        assertThat(prompt.candidates()).containsExactly(LLAMA, GPT4O);
        assertThat(prompt.explanation()).startsWith("auto: hint @local -> local");

        final RouteDecision email = router.route(context(request(HARD + " mail me@local"),
                Map.of(), tiers(), LLAMA, GPT4O));
        assertThat(email.explanation()).startsWith("auto: p(local ok)=");

        final RouteDecision unknown = router.route(context(request(EASY),
                Map.of("x-lodestar-tier", "gold"), tiers(), LLAMA, GPT4O));
        assertThat(unknown.explanation()).startsWith(
                "auto: hint x-lodestar-tier=gold unknown; p(local ok)=");
        assertThat(unknown.candidates().get(0)).isEqualTo(LLAMA);

        final AutoRouter deaf = new AutoRouter(Fixtures.toyModel(),
                new AutoRouter.Settings(0.5, false, true, true, 0));
        assertThat(deaf.route(context(request(EASY + " @premium"), Map.of("x-lodestar-tier",
                "premium"), tiers(), LLAMA, GPT4O)).candidates().get(0)).isEqualTo(LLAMA);
    }

    @Test
    void aHintToATierWithoutASuitableModelFallsBackToTheModel() {
        final ChatRequest withTools = Fixtures.request(List.of(Fixtures.message("user",
                HARD + " @local")), true);
        final RouteDecision decision = router.route(context(withTools, Map.of(),
                with(tiers(), "tier.local", "ollama/deepseek-coder:1.3b"), CODER, GPT4O));

        assertThat(decision.candidates()).containsExactly(GPT4O);
        assertThat(decision.explanation()).startsWith(
                "auto: hint @local has no model that fits; p(local ok)=");
        assertThat(decision.explanation()).contains("no local model fits -> premium")
                .contains(", tools");
    }

    @Test
    void modelsThatCannotTakeTheRequestAreDropped() {
        final ChatRequest tools = Fixtures.request(List.of(Fixtures.message("user", EASY)),
                true);
        assertThat(router.route(context(tools, Map.of(), tiers(), LLAMA, CODER, GPT4O, GROK))
                .candidates()).containsExactly(LLAMA, GPT4O, GROK);

        final ChatRequest images = Fixtures.request(List.of(Fixtures.image(EASY)), false);
        final RouteDecision vision = router.route(context(images, Map.of(), tiers(), LLAMA,
                CODER, GPT4O, GROK));
        assertThat(vision.candidates()).containsExactly(GPT4O);
        assertThat(vision.explanation()).contains(" -> premium").contains("images");

        final String longPrompt = EASY + " " + "sky ".repeat(20_000);
        assertThat(route(longPrompt).candidates()).doesNotContain(CODER).contains(LLAMA);

        final RouteDecision none = router.route(context(request("x".repeat(2_000_000)),
                Map.of(), tiers(), LLAMA, CODER, GPT4O, GROK));
        assertThat(none.candidates()).isEmpty();
        assertThat(none.explanation()).isEqualTo("auto: no model meets ~500001 tokens");
        assertThat(router.route(context(request(EASY), Map.of(), tiers())).explanation())
                .isEqualTo("auto: no model available");
        assertThat(router.route(context(images, Map.of(), tiers(), LLAMA, CODER)).explanation())
                .isEqualTo("auto: no model meets vision, ~6 tokens");
    }

    @Test
    void thresholdsComeFromTheTierTheVirtualModelTheConfigurationOrTheModel() {
        final double p = Fixtures.toyModel().predict(PromptView.of(EASY)).localOk();
        final String above = String.valueOf(Math.min(1, p + 0.01));
        final String below = String.valueOf(Math.max(0, p - 0.01));

        assertThat(router.route(context(request(EASY), Map.of(), with(tiers(), "threshold",
                above), LLAMA, GPT4O)).candidates().get(0)).isEqualTo(GPT4O);
        assertThat(router.route(context(request(EASY), Map.of(), with(tiers(), "threshold",
                above, "tier.local.threshold", below), LLAMA, GPT4O)).candidates().get(0))
                .isEqualTo(LLAMA);
        assertThat(router.route(context(request(EASY), Map.of(), with(tiers(), "threshold",
                "nonsense"), LLAMA, GPT4O)).candidates().get(0)).isEqualTo(LLAMA);

        final AutoRouter recommended = new AutoRouter(Fixtures.toyModel(),
                AutoRouter.Settings.DEFAULTS);
        assertThat(recommended.defaultThreshold())
                .isEqualTo(Fixtures.toyModel().recommendedThreshold());
        assertThat(router.defaultThreshold()).isEqualTo(0.5);
        assertThat(router.model()).isSameAs(Fixtures.toyModel());
        assertThat(router.settings()).isEqualTo(HALF);
    }

    @Test
    void aMiddleTierWithItsOwnThreshold() {
        final Map<String, String> settings = with(tiers(), "tiers", "local,mid,premium",
                "tier.mid", "openai/gpt-4o-mini", "tier.mid.threshold", "0.0");
        final RouteDecision decision = router.route(context(request(HARD), Map.of(), settings,
                LLAMA, MINI, GPT4O));

        assertThat(decision.candidates()).containsExactly(MINI, GPT4O, LLAMA);
        assertThat(decision.explanation()).matches(
                "auto: p\\(local ok\\)=[01]\\.\\d\\d >= 0\\.00 -> mid; .*");
    }

    @Test
    void hardWorkMarkersCanLowerTheLocalOdds() {
        final AutoRouter boosted = new AutoRouter(Fixtures.toyModel(),
                new AutoRouter.Settings(0.5, true, true, true, 0.4));
        final String prompt = EASY + "; then review the architecture";

        assertThat(router.route(context(request(prompt), Map.of(), tiers(), LLAMA, GPT4O))
                .candidates().get(0)).isEqualTo(LLAMA);
        final RouteDecision decision = boosted.route(context(request(prompt), Map.of(),
                tiers(), LLAMA, GPT4O));
        assertThat(decision.candidates().get(0)).isEqualTo(GPT4O);
        assertThat(decision.explanation()).endsWith(", 2 markers");
    }

    @Test
    void withoutTiersLocalModelsComeFirstAndTheOthersByPriceOrTargetOrder() {
        final RouteDecision hard = router.route(context(request(HARD), Map.of(), Map.of(),
                MINI, LLAMA, GROK, GPT4O));
        assertThat(hard.candidates()).containsExactly(GPT4O, GROK, MINI, LLAMA);

        final RouteDecision targeted = router.route(context(request(HARD), Map.of(),
                Map.of("targets", "xai/grok-code-fast-1, gpt-4o-mini,ollama/llama3.2:3b"),
                MINI, LLAMA, GROK, GPT4O));
        assertThat(targeted.candidates()).containsExactly(GROK, MINI, LLAMA);

        final RouteDecision noRequest = router.route(context(null, Map.of(), Map.of(), LLAMA));
        assertThat(noRequest.candidates()).containsExactly(LLAMA);
        assertThat(noRequest.explanation()).endsWith("-> local; features: text, 1 tokens");
    }

    @Test
    void tierNamesAndOrder() {
        final List<Tiers.Tier> tiers = Tiers.resolve(Map.of("tier.premium", "gpt-4o",
                "tier.local", "llama3.2:3b", "tier.b", "grok-code-fast-1", "tier.a",
                "gpt-4o-mini", "tier.a.threshold", "0.3", "tier.b.threshold", "2"),
                List.of(LLAMA, MINI, GROK, GPT4O));

        assertThat(tiers).extracting(Tiers.Tier::name).containsExactly("local", "a", "b",
                "premium");
        assertThat(tiers.get(1).threshold()).isEqualTo(0.3);
        assertThat(tiers.get(2).threshold()).isNaN();
        assertThat(Tiers.byHint(tiers, "LOCAL")).isZero();
        assertThat(Tiers.byHint(tiers, "b")).isEqualTo(2);
        assertThat(Tiers.byHint(tiers, null)).isEqualTo(-1);
        final List<Tiers.Tier> custom = Tiers.resolve(Map.of("tier.cheap", "llama3.2:3b",
                "tier.strong", "gpt-4o", "tiers", "cheap, strong"), List.of(LLAMA, GPT4O));
        assertThat(Tiers.byHint(custom, "local")).isZero();
        assertThat(Tiers.byHint(custom, "premium")).isEqualTo(1);
        assertThat(Tiers.byHint(List.of(), "local")).isEqualTo(-1);
        assertThat(AutoRouter.promptHint("@strong now", custom)).isEqualTo("strong");
        assertThat(AutoRouter.promptHint("@ nothing @gold", custom)).isNull();
        assertThat(Tiers.number("-0.5")).isNaN();
        assertThat(Tiers.list(" a, ,b ")).containsExactly("a", "b");
    }

    @Test
    void promptViewOfAConversation() {
        final ChatRequest request = Fixtures.request(List.of(
                Fixtures.message("system", "You are terse."),
                Fixtures.message("user", "first question"),
                Fixtures.message("assistant", "an answer"),
                Fixtures.message("tool", "{}"),
                Fixtures.message("user", "second question")), true);
        final PromptView view = PromptView.of(request);

        assertThat(view.lastUser()).isEqualTo("second question");
        assertThat(view.previousUser()).isEqualTo("first question");
        assertThat(view.depth()).isEqualTo(4);
        assertThat(view.totalChars()).isEqualTo(14 + 14 + 9 + 2 + 15);
        assertThat(view.tools()).isTrue();
        assertThat(view.estimatedTokens()).isEqualTo(54 / 4 + 1);

        final PromptView noUser = PromptView.of(Fixtures.request(List.of(
                Fixtures.message("system", "only a system prompt")), false));
        assertThat(noUser.lastUser()).isEqualTo("only a system prompt");
        assertThat(noUser.depth()).isZero();
        assertThat(PromptView.of(Fixtures.request(List.of(), false)).lastUser()).isEmpty();
        assertThat(new PromptView(null, null, 0, 0, false, false).previousUser()).isEmpty();
        assertThat(PromptView.of(Fixtures.request(List.of(Fixtures.image("look")), false))
                .images()).isTrue();
    }
}
