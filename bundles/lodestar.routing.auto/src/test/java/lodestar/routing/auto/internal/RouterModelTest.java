package lodestar.routing.auto.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RouterModelTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> PROMPTS = List.of("what colour is the sky",
            "prove the banana conjecture", "", "```\ncode();\n```",
            "Which?\nA. one\nB. two\nC. three\nD. four\nAnswer:");

    @TempDir
    Path dir;

    private static RouterModel roundTrip(final RouterModel model) throws IOException {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        model.write(out);
        return RouterModel.read(new ByteArrayInputStream(out.toByteArray()), "memory");
    }

    private static void assertSamePredictions(final RouterModel a, final RouterModel b) {
        for (final String prompt : PROMPTS) {
            assertThat(b.predict(PromptView.of(prompt)).localOk()).as(prompt)
                    .isEqualTo(a.predict(PromptView.of(prompt)).localOk());
        }
    }

    @Test
    void saveAndLoadGiveTheSameModel() throws IOException {
        final RouterModel model = Fixtures.toyModel();
        final Path file = dir.resolve("sub/model.json");
        model.write(file);
        final RouterModel loaded = RouterModel.read(file);

        assertThat(loaded.id()).isEqualTo(model.id()).hasSize(12);
        assertThat(loaded.label()).isEqualTo(model.label());
        assertThat(loaded.featureConfig()).isEqualTo(model.featureConfig());
        assertThat(loaded.recommendedThreshold()).isEqualTo(model.recommendedThreshold());
        assertThat(loaded.training().toString()).isEqualTo(model.training().toString());
        assertThat(loaded.nonZeroWeights()).isEqualTo(model.nonZeroWeights());
        assertSamePredictions(model, loaded);
        final ObjectNode json = (ObjectNode) JSON.readTree(file.toFile());
        assertThat(json.path("format").asText()).isEqualTo(RouterModel.FORMAT);
        assertThat(json.path("formatVersion").asInt()).isEqualTo(RouterModel.VERSION);
        assertThat(json.path("weights").path("encoding").asText()).isEqualTo("sparse-bf16");
        assertThat(Files.list(file.getParent())).containsExactly(file);
    }

    @Test
    void denseTwoModelArtifactsRoundTrip() throws IOException {
        final float[] first = new float[1024];
        final float[] second = new float[1024];
        for (int i = 0; i < first.length; i++) {
            first[i] = (float) Math.sin(i) / 10;
            second[i] = (float) Math.cos(i) / 10;
        }
        final RouterModel model = new RouterModel(Label.GAIN, FeatureConfig.DEFAULT.withBits(10),
                first, second, 0.8, null);
        final RouterModel loaded = roundTrip(model);

        assertThat(loaded.id()).isEqualTo(model.id());
        assertThat(loaded.hurtWeights()).isEqualTo(model.hurtWeights());
        assertThat(loaded.weights()).isEqualTo(model.weights());
        assertSamePredictions(model, loaded);
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        model.write(out);
        assertThat(JSON.readTree(out.toByteArray()).path("hurtWeights").path("encoding")
                .asText()).isEqualTo("dense-bf16");
    }

    @Test
    void formatOneArtifactsLoadWithTheFeaturesOfThatVersion() throws IOException {
        final float[] weights = new float[1024];
        weights[7] = 0.25f;
        final RouterModel v1 = new RouterModel(Label.NEED, FeatureConfig.V1.withBits(10),
                weights, null, 0.7, null);
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        v1.write(out);
        final ObjectNode root = (ObjectNode) JSON.readTree(out.toByteArray());
        root.put("formatVersion", 1);
        final ObjectNode features = obj(root, "features");
        features.remove("trigramWeight");
        features.remove("shape");
        features.remove("textNorm");

        final RouterModel loaded = RouterModel.read(new ByteArrayInputStream(
                root.toString().getBytes(StandardCharsets.UTF_8)), "old.json");

        assertThat(loaded.featureConfig()).isEqualTo(FeatureConfig.V1.withBits(10));
        assertThat(loaded.featureConfig().trigrams()).isFalse();
        assertThat(loaded.id()).isEqualTo(v1.id());
        assertSamePredictions(v1, loaded);
    }

    @Test
    void weightsAreKeptAsBfloat16() {
        assertThat(RouterModel.bf16(1.0f)).isEqualTo(1.0f);
        assertThat(RouterModel.bf16(1.00390625f)).isEqualTo(1.0f);
        assertThat(RouterModel.bf16(1.01171875f)).isEqualTo(1.015625f);
        assertThat(RouterModel.bf16(-0.3333333f)).isCloseTo(-0.333f,
                org.assertj.core.api.Assertions.within(0.002f));
        assertThat(RouterModel.bf16(Float.NaN)).isNaN();
    }

    @Test
    void theShippedModelLoadsAndWasTrainedOnTheProjectsDevSet() throws IOException {
        final RouterModel shipped = RouterModel.shipped();

        assertThat(shipped.label()).isEqualTo(Label.GAIN);
        assertThat(shipped.featureConfig()).isEqualTo(FeatureConfig.DEFAULT);
        assertThat(shipped.recommendedThreshold()).isBetween(0.5, 1.0);
        assertThat(shipped.training().path("n").asInt()).isEqualTo(7725);
        assertThat(shipped.training().path("sha256").asText()).isEqualTo(
                TrainingData.read(Fixtures.devFile()).sha256());
        assertThat(shipped.training().path("cv").path("mmlu").path("apgr").asDouble())
                .isGreaterThan(0.6);
    }

    private static String mutated(final Consumer<ObjectNode> change) throws IOException {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        Fixtures.toyModel().write(out);
        final ObjectNode root = (ObjectNode) JSON.readTree(out.toByteArray());
        change.accept(root);
        return root.toString();
    }

    private static ObjectNode obj(final ObjectNode root, final String key) {
        return (ObjectNode) root.get(key);
    }

    private static void assertRejected(final String json, final String message) {
        assertThatThrownBy(() -> RouterModel.read(new ByteArrayInputStream(
                json.getBytes(StandardCharsets.UTF_8)), "m.json"))
                .isInstanceOf(IOException.class).hasMessageContaining(message);
    }

    @Test
    void invalidArtifactsAreRejectedWithTheReason() throws IOException {
        assertRejected("not json", "not a router model (not JSON");
        assertRejected("{}", "format is not 'lodestar-router-model'");
        assertRejected(mutated(r -> r.put("formatVersion", 3)), "format version 3");
        assertRejected(mutated(r -> r.put("label", "best")), "unknown label");
        assertRejected(mutated(r -> obj(r, "features").put("bits", 40)), "bits 40");
        assertRejected(mutated(r -> r.put("recommendedThreshold", 3)), "recommendedThreshold");
        assertRejected(mutated(r -> obj(r, "weights").put("count", 1)), "count does not match");
        assertRejected(mutated(r -> obj(r, "weights").put("encoding", "zip")),
                "unknown encoding 'zip'");
        assertRejected(mutated(r -> obj(r, "weights").put("values", "%%%")),
                "not valid base64");
        assertRejected(mutated(r -> r.remove("weights")), "no 'weights'");
        assertRejected(mutated(r -> obj(r, "weights").put("indices", "/////w==")
                .put("values", "AAA=").put("count", 1)), "outside the space");
        assertRejected(mutated(r -> obj(r, "weights").put("encoding", "dense-bf16")),
                "values for a space of");
        assertRejected(mutated(r -> obj(r, "weights").put("indices", "AAAAAA==")
                .put("values", "wH8=").put("count", 1)), "not finite");
        assertThatThrownBy(() -> RouterModel.read(dir.resolve("missing.json")))
                .isInstanceOf(IOException.class);
    }

    @Test
    void constructorChecksTheShape() {
        assertThatThrownBy(() -> new RouterModel(Label.NEED, FeatureConfig.DEFAULT.withBits(10),
                new float[10], null, 0.5, null)).hasMessageContaining("feature space");
        assertThatThrownBy(() -> new RouterModel(Label.GAIN, FeatureConfig.DEFAULT.withBits(10),
                new float[1024], null, 0.5, null)).hasMessageContaining("needs");
        assertThatThrownBy(() -> new RouterModel(Label.NEED, FeatureConfig.DEFAULT.withBits(10),
                new float[1024], new float[1024], 0.5, null)).hasMessageContaining("takes no");
    }
}
