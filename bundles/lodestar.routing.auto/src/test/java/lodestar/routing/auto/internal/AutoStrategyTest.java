package lodestar.routing.auto.internal;

import static lodestar.routing.auto.internal.Fixtures.GPT4O;
import static lodestar.routing.auto.internal.Fixtures.LLAMA;
import static lodestar.routing.auto.internal.Fixtures.context;
import static lodestar.routing.auto.internal.Fixtures.request;
import static lodestar.routing.auto.internal.Fixtures.tiers;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.util.converter.Converters;

class AutoStrategyTest {

    @TempDir
    Path dir;

    private static AutoConfig config(final Map<String, Object> properties) {
        return Converters.standardConverter().convert(properties).to(AutoConfig.class);
    }

    private static Map<String, Object> properties(final Object... pairs) {
        final Map<String, Object> map = new HashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            map.put((String) pairs[i], pairs[i + 1]);
        }
        return map;
    }

    @Test
    void startsOnTheShippedModelWithItsRecommendedThreshold() throws IOException {
        final AutoStrategy strategy = new AutoStrategy(config(Map.of()), Map.of());

        assertThat(strategy.name()).isEqualTo("auto");
        assertThat(strategy.current().source()).isEqualTo("shipped");
        assertThat(strategy.current().router().model().id())
                .isEqualTo(RouterModel.shipped().id());
        assertThat(strategy.current().router().defaultThreshold())
                .isEqualTo(RouterModel.shipped().recommendedThreshold());
        assertThat(strategy.route(context(request("hello"), Map.of(), tiers(), LLAMA, GPT4O))
                .candidates()).containsExactlyInAnyOrder(LLAMA, GPT4O);
    }

    @Test
    void aNewModelFileAndThresholdApplyLiveAndABadFileKeepsTheModelInForce()
            throws IOException {
        final Path file = dir.resolve("toy.json");
        Fixtures.toyModel().write(file);
        final AutoStrategy strategy = new AutoStrategy(config(Map.of()), Map.of());

        final Map<String, Object> toy = properties("modelFile", " " + file + " ",
                "threshold", "0.5", "felix.fileinstall.filename", "auto.cfg");
        strategy.modified(config(toy), toy);
        assertThat(strategy.current().source()).isEqualTo(file.toString());
        assertThat(strategy.current().router().model().id())
                .isEqualTo(Fixtures.toyModel().id());
        assertThat(strategy.route(context(request("prove the banana conjecture"), Map.of(),
                tiers(), LLAMA, GPT4O)).candidates()).containsExactly(GPT4O, LLAMA);
        assertThat(strategy.route(context(request("what colour is the sky"), Map.of(),
                tiers(), LLAMA, GPT4O)).candidates()).containsExactly(LLAMA, GPT4O);

        final Map<String, Object> all = properties("modelFile", file.toString(), "threshold",
                "1");
        strategy.modified(config(all), all);
        assertThat(strategy.route(context(request("what colour is the sky"), Map.of(),
                tiers(), LLAMA, GPT4O)).candidates()).containsExactly(GPT4O, LLAMA);

        Files.writeString(dir.resolve("broken.json"), "{\"format\":\"other\"}");
        final Map<String, Object> broken = properties("modelFile",
                dir.resolve("broken.json").toString(), "threshold", "0.5");
        strategy.modified(config(broken), broken);
        assertThat(strategy.current().source()).isEqualTo(file.toString());
        assertThat(strategy.current().router().defaultThreshold()).isEqualTo(0.5);

        strategy.modified(config(Map.of()), Map.of());
        assertThat(strategy.current().source()).isEqualTo("shipped");
    }

    @Test
    void aBadFileAtActivationFallsBackToTheShippedModel() {
        final Map<String, Object> missing = properties("modelFile",
                dir.resolve("missing.json").toString());
        final AutoStrategy strategy = new AutoStrategy(config(missing), missing);

        assertThat(strategy.current().source()).isEqualTo("shipped");
    }

    @Test
    void anOutOfRangeThresholdMeansTheRecommendedOneAndUnknownKeysAreTolerated() {
        final Map<String, Object> odd = properties("threshold", "7", "treshold", "0.3",
                "hints", "false", "escalate", "false", "fallbackDown", "false", "markerBoost",
                "0.2");
        final AutoStrategy strategy = new AutoStrategy(config(odd), odd);
        final AutoRouter.Settings settings = strategy.current().router().settings();

        assertThat(settings.threshold()).isNaN();
        assertThat(settings.hints()).isFalse();
        assertThat(settings.escalate()).isFalse();
        assertThat(settings.fallbackDown()).isFalse();
        assertThat(settings.markerBoost()).isEqualTo(0.2);
        assertThat(AutoRouter.Settings.of(config(properties("threshold", "-1", "markerBoost",
                "-3"))).markerBoost()).isZero();
    }
}
