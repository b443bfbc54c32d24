package lodestar.routing.auto.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import lodestar.api.routing.RoutingStrategy;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.util.converter.Converters;

class RoutingToolTest {

    private static final String[] FAST = {"--bits", "14", "--folds", "2", "--l2", "0.001"};

    @TempDir
    Path dir;

    private Path toy;

    @BeforeEach
    void writeToyData() throws IOException {
        toy = Fixtures.toyFile(dir);
    }

    private static String[] args(final String... head) {
        final String[] all = new String[head.length + FAST.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(FAST, 0, all, head.length, FAST.length);
        return all;
    }

    @Test
    void trainWritesAnArtifactThatLoads() throws IOException {
        final Path out = dir.resolve("m.json");
        final String text = RoutingTool.run(args("train", toy.toString(), out.toString(),
                "--label", "need", "--bigrams", "0.5", "--chars", "4:0.2", "--seed", "3",
                "--iterations", "50"));

        final RouterModel model = RouterModel.read(out);
        assertThat(text).startsWith("trained " + model.id() + " on toy-routing.jsonl (40 "
                + "prompts").contains("predicting 'need'").contains("bigrams (0.5)")
                .contains("char 3..4-grams (0.2)").contains("2-fold cross-validated")
                .contains("written to " + out);
        assertThat(model.featureConfig().charNgrams()).isEqualTo(4);
    }

    @Test
    void textOptionsAndSeveralL2PenaltiesReachTheModel() throws IOException {
        final Path out = dir.resolve("m2.json");
        final String text = RoutingTool.run("train", toy.toString(), out.toString(), "--bits",
                "14", "--folds", "2", "--l2", "0.001, 0.1", "--trigrams", "0.3", "--norm", "5",
                "--no-shape");

        final RouterModel model = RouterModel.read(out);
        assertThat(text).contains("chosen by inner cross-validation from [0.001, 0.1]")
                .contains("trigrams (0.3)").contains("scaled 5.0/sqrt(count)")
                .doesNotContain("question shape");
        assertThat(model.featureConfig().trigramWeight()).isEqualTo(0.3);
        assertThat(model.featureConfig().textNorm()).isEqualTo(5.0);
        assertThat(model.featureConfig().shape()).isFalse();
        assertThat(model.training().path("l2Choices").size()).isEqualTo(2);
    }

    @Test
    void evaluatesOnAnotherFileAsTableAndJson() throws IOException {
        final String table = RoutingTool.run(args("eval", "--train", toy.toString(), "--test",
                toy.toString()));
        assertThat(table).contains("learned router trained on toy-routing.jsonl (40 prompts)")
                .contains("SOURCE").contains("alpha").contains("beta").contains("all")
                .contains("learned").contains("random").contains("always-weak")
                .contains("always-strong").contains("recommended by training");

        final JsonNode json = new ObjectMapper().readTree(RoutingTool.run(args("eval",
                "--train", toy.toString(), "--test", toy.toString(), "--json", "--threshold",
                "0.5")));
        assertThat(json.fieldNames()).toIterable().containsExactly("alpha", "beta", "all");
        final JsonNode all = json.get("all");
        assertThat(all.get("n").asInt()).isEqualTo(40);
        for (final String key : List.of("savings_at_95", "apgr", "cpt50", "cpt80",
                "strong_share_at_threshold", "random_savings_at_95", "weak_quality",
                "strong_quality", "quality_at_threshold")) {
            assertThat(all.get(key).asDouble()).as(key).isBetween(0.0, 1.0);
        }
        assertThat(all.get("threshold").asDouble()).isEqualTo(0.5);
        assertThat(all.get("random_apgr").asDouble()).isEqualTo(0.5);
    }

    @Test
    void crossValidatesOneFile() throws IOException {
        final String table = RoutingTool.run(args("eval", "--cv", "4", toy.toString(),
                "--no-kind"));
        assertThat(table).startsWith("4-fold cross-validation of toy-routing.jsonl (40 "
                + "prompts, seed 42)").contains("inner 4-fold").doesNotContain("joined with");

        final String fixed = RoutingTool.run("eval", "--cv", "3", toy.toString(), "--folds",
                "0", "--bits", "12", "--threshold", "0.4");
        assertThat(fixed).contains("p(local ok) >= 0.4000 (fixed)");
        assertThat(RoutingTool.run("eval", "--cv", "3", toy.toString(), "--folds", "0",
                "--bits", "12")).contains("(from its own training data)");
        final JsonNode json = new ObjectMapper().readTree(RoutingTool.run("eval", "--cv", "3",
                toy.toString(), "--folds", "0", "--bits", "12", "--json"));
        assertThat(json.get("all").get("threshold").isNull()).isTrue();
    }

    @Test
    void usageErrors() throws IOException {
        assertThatThrownBy(() -> RoutingTool.run()).hasMessage("no command");
        assertThatThrownBy(() -> RoutingTool.run("fly")).hasMessage("unknown command 'fly'");
        assertThatThrownBy(() -> RoutingTool.run("train", "a")).hasMessageContaining("FILE");
        assertThatThrownBy(() -> RoutingTool.run("eval", "a", "b"))
                .hasMessageContaining("--train A --test B");
        assertThatThrownBy(() -> RoutingTool.run("eval", "--cv", "3"))
                .hasMessageContaining("one FILE");
        assertThatThrownBy(() -> RoutingTool.run("eval", "--cv", "1", "x"))
                .hasMessageContaining("at least 2");
        assertThatThrownBy(() -> RoutingTool.run("eval", "--cv", "0", "x"))
                .hasMessageContaining("positive");
        assertThatThrownBy(() -> RoutingTool.run("eval", "--l2")).hasMessageContaining(
                "needs a value");
        assertThatThrownBy(() -> RoutingTool.run("eval", "--l2", "x"))
                .hasMessageContaining("not a number");
        assertThatThrownBy(() -> RoutingTool.run("eval", "--fast", "1"))
                .hasMessageContaining("unknown option --fast");
        assertThat(RoutingTool.run("help")).startsWith("usage:");
        assertThatThrownBy(() -> RoutingTool.run("train", dir.resolve("none.jsonl").toString(),
                "o.json")).isInstanceOf(IOException.class);
    }

    @Test
    void mainPrintsTheResult() {
        RoutingTool.main(new String[] {"help"});
    }

    @Test
    void gogoCommandsTrainEvaluateAndDescribe() throws IOException {
        final Path out = dir.resolve("gogo.json");
        final Object trained = new RoutingCommands.Train().execute(null, List.of(toy.toString(),
                out.toString(), "--bits", "12", "--folds", "0"));
        assertThat(trained.toString()).startsWith("trained ");
        assertThat(new RoutingCommands.Train().execute(null, List.of("only-one")).toString())
                .startsWith("error: train needs FILE and OUT").contains("usage:");
        assertThat(new RoutingCommands.Train().execute(null, List.of(dir.resolve("no.jsonl")
                .toString(), out.toString())).toString()).startsWith("error: ");

        final RoutingCommands.Eval eval = new RoutingCommands.Eval();
        assertThat(eval.execute(null, List.of(toy.toString(), toy.toString(), "--bits", "12",
                "--folds", "0")).toString()).contains("always-strong");
        assertThat(eval.execute(null, List.of("--cv", "2", toy.toString(), "--json", "--bits",
                "12", "--folds", "0")).toString()).contains("\"all\"");
        assertThat(eval.execute(null, List.of(toy.toString())).toString())
                .startsWith("error: TRAIN and TEST are required");

        final RoutingStrategy strategy = new AutoStrategy(Converters.standardConverter()
                .convert(Map.of()).to(AutoConfig.class), Map.of());
        final String status = new RoutingCommands.Status(strategy).execute(null, List.of())
                .toString();
        assertThat(status).contains("(shipped)").contains("label      gain")
                .contains("trained    on dev.jsonl (n=7725").contains("mmlu")
                .contains("settings   hints true");
    }
}
