package lodestar.routing.auto.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TrainingDataTest {

    private static TrainingData.Loaded read(final String text) throws IOException {
        return TrainingData.read(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)),
                "t.jsonl");
    }

    @Test
    void readsExamplesSkipsBlankLinesAndHashesTheBytes() throws IOException {
        final TrainingData.Loaded data = read("{\"id\":\"1\",\"source\":\"mmlu\",\"prompt\":\"p\","
                + "\"weak_correct\":true,\"strong_correct\":false,\"subject\":\"x\"}\n\n"
                + "{\"prompt\":\"q\",\"weak_correct\":false,\"strong_correct\":true}\n");

        assertThat(data.examples()).containsExactly(
                new Example("1", "mmlu", "p", true, false),
                new Example("", "unknown", "q", false, true));
        assertThat(data.name()).isEqualTo("t.jsonl");
        // sha256 of the exact bytes
        assertThat(data.sha256()).isEqualTo(read("{\"id\":\"1\",\"source\":\"mmlu\",\"prompt\":"
                + "\"p\",\"weak_correct\":true,\"strong_correct\":false,\"subject\":\"x\"}\n\n"
                + "{\"prompt\":\"q\",\"weak_correct\":false,\"strong_correct\":true}\n")
                .sha256()).hasSize(64);
        assertThat(read("").sha256()).isEqualTo(
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

    @Test
    void invalidLinesAreNamed() {
        assertThatThrownBy(() -> read("{\"prompt\":\"p\",\"weak_correct\":true,"
                + "\"strong_correct\":true}\nnope\n")).hasMessageStartingWith(
                        "t.jsonl line 2: not JSON");
        assertThatThrownBy(() -> read("[1]\n")).hasMessage("t.jsonl line 1: not a JSON object");
        assertThatThrownBy(() -> read("{\"prompt\":\"p\",\"weak_correct\":true}"))
                .hasMessage("t.jsonl line 1: no 'strong_correct'");
        assertThatThrownBy(() -> read("{\"prompt\":\"p\",\"weak_correct\":1,"
                + "\"strong_correct\":true}")).hasMessageContaining("must be true or false");
    }

    @Test
    void theProjectsDevSetIsComplete() throws IOException {
        final TrainingData.Loaded dev = TrainingData.read(Fixtures.devFile());

        assertThat(dev.examples()).hasSize(7725);
        assertThat(dev.examples().stream().filter(e -> e.source().equals("gsm8k")).count())
                .isEqualTo(641);
    }
}
