package lodestar.learning.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetBuilderTest {

    @TempDir
    Path dir;
    private final AtomicLong clock = new AtomicLong(1_700_000_000_000L);

    private LearningStore filled(final Object... config) throws Exception {
        final LearningStore store = Fixtures.store(dir, clock, config);
        final List<LearningStore.Exchange> rows = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            rows.add(Fixtures.exchange("req-" + i, 1_000 + i, "question number " + i
                    + " about topic " + (i * 7919 % 1000) + " with key sk-abcdefghijklmnopqrst"
                    + i, "answer " + i + " explains topic " + (i * 104729 % 1000), "stop"));
        }
        rows.add(Fixtures.exchange("cut", 5_000, "a truncated one", "partial", "length"));
        rows.add(Fixtures.exchange("bad", 5_001, "a rated one", "wrong", "stop"));
        rows.add(Fixtures.exchange("dup", 5_002, "question number 3 about topic "
                + (3 * 7919 % 1000) + " with key sk-abcdefghijklmnopqrst3", "answer 3 explains "
                + "topic " + (3 * 104729 % 1000), "stop"));
        store.insert(rows);
        store.feedback("bad", -1, "test");
        return store;
    }

    @Test
    void writesChatJsonlWithADeterministicSplitAndAManifest() throws Exception {
        final LearningStore store = filled("validationPercent", "25");
        final DatasetBuilder.Result result = new DatasetBuilder(store).build();
        assertThat(result.existed()).isFalse();
        assertThat(result.id()).matches("ds-[0-9a-f]{16}");
        assertThat(result.dir()).isEqualTo(dir.resolve("learning/datasets/" + result.id()));
        final List<String> train = Files.readAllLines(result.dir().resolve("train.jsonl"));
        final List<String> validation = Files.readAllLines(result.dir().resolve(
                "validation.jsonl"));
        assertThat(train.size() + validation.size()).isEqualTo(40);
        assertThat(validation).isNotEmpty();
        for (int i = 0; i < 40; i++) {
            final String marker = "\"question number " + i + " about";
            final boolean inValidation = validation.stream().anyMatch(l -> l.contains(marker));
            assertThat(inValidation).isEqualTo(DatasetBuilder.validation("req-" + i, 25));
        }
        final JsonNode line = Fixtures.json(train.get(0));
        assertThat(line.fieldNames()).toIterable().containsExactly("messages");
        assertThat(line.path("messages")).hasSize(3);
        assertThat(line.path("messages").path(2).path("role").asText()).isEqualTo("assistant");
        assertThat(String.join("\n", train)).doesNotContain("sk-abc")
                .contains("[REDACTED_API_KEY]");

        final JsonNode manifest = result.manifest();
        assertThat(manifest.path("id").asText()).isEqualTo(result.id());
        assertThat(manifest.path("source").path("rows").asLong()).isEqualTo(43);
        assertThat(manifest.path("counts").path("kept").asLong()).isEqualTo(40);
        assertThat(manifest.path("counts").path("rejected").path("finish_reason").asLong())
                .isEqualTo(1);
        assertThat(manifest.path("counts").path("rejected").path("negative_feedback").asLong())
                .isEqualTo(1);
        assertThat(manifest.path("counts").path("rejected").path("duplicate").asLong())
                .isEqualTo(1);
        assertThat(manifest.path("filter").path("validationPercent").asInt()).isEqualTo(25);
        assertThat(manifest.path("files").path("train.jsonl").path("sha256").asText())
                .isEqualTo(DatasetBuilder.sha256(result.dir().resolve("train.jsonl")));
        assertThat(manifest.path("files").path("validation.jsonl").path("rows").asLong())
                .isEqualTo(validation.size());
        assertThat(Fixtures.json(Files.readString(result.dir().resolve("manifest.json"),
                StandardCharsets.UTF_8)).toString()).isEqualTo(manifest.toString());
        assertThat(Files.getPosixFilePermissions(result.dir().resolve("train.jsonl")))
                .doesNotContain(java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
        assertThat(store.datasets()).singleElement().satisfies(d -> {
            assertThat(d.id()).isEqualTo(result.id());
            assertThat(d.trainRows()).isEqualTo(train.size());
            assertThat(d.sourceRows()).isEqualTo(43);
        });
    }

    @Test
    void theSameInputGivesTheSameImmutableDataset() throws Exception {
        final LearningStore store = filled();
        final DatasetBuilder builder = new DatasetBuilder(store);
        final DatasetBuilder.Result first = builder.build();
        clock.addAndGet(60_000);
        final DatasetBuilder.Result again = builder.build();
        assertThat(again.existed()).isTrue();
        assertThat(again.id()).isEqualTo(first.id());
        assertThat(again.manifest().toString()).isEqualTo(first.manifest().toString());
        store.insert(List.of(Fixtures.exchange("new", 9_000, "a brand new question here",
                "with a brand new answer", "stop")));
        assertThat(builder.build().id()).isNotEqualTo(first.id());
        store.modified(Fixtures.config("validationPercent", "30"));
        assertThat(builder.build().id()).isNotEqualTo(first.id());
        assertThat(store.datasets()).hasSize(3);
        try (var files = Files.list(builder.root())) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .allMatch(n -> n.startsWith("ds-"));
        }
    }

    @Test
    void refusesToBuildNothing() throws Exception {
        final LearningStore store = Fixtures.store(dir, clock);
        store.insert(List.of(Fixtures.exchange("cut", 1, "q", "partial", "length")));
        assertThatThrownBy(() -> new DatasetBuilder(store).build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("finish_reason=1");
        try (var files = Files.list(dir.resolve("learning/datasets"))) {
            assertThat(files).isEmpty();
        }
    }

    @Test
    void gogoBuildsListsAndShows() throws Exception {
        final LearningStore store = filled();
        final LearningCommands commands = new LearningCommands(store);
        final String built = commands.dataset("build");
        assertThat(built).startsWith("built ds-").contains("from 43 stored");
        final String id = built.substring(6, 25);
        assertThat(commands.dataset("build")).startsWith("unchanged, already built: " + id);
        assertThat(commands.datasets()).contains(id, "SOURCE");
        assertThat(commands.dataset("show", id)).contains("\"counts\"");
        assertThat(commands.dataset("show", "ds-none")).isEqualTo("no dataset ds-none\n");
        assertThat(commands.dataset("drop")).startsWith("usage");
        assertThat(commands.dataset("drop", id)).startsWith("usage");
    }

    @Test
    void toolsAreKeptWithTheMessages() throws Exception {
        final LearningStore store = Fixtures.store(dir, clock);
        store.insert(List.of(new LearningStore.Exchange("t", 1, null, null, null, "stop",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"list\"}],\"tools\":[{\"type\":"
                + "\"function\",\"function\":{\"name\":\"ls\"}}]}",
                Fixtures.answer("ok", "stop").toString(), 0)));
        final DatasetBuilder.Result result = new DatasetBuilder(store).build();
        final Path file = result.dir().resolve(DatasetBuilder.validation("t", 10)
                ? "validation.jsonl" : "train.jsonl");
        assertThat(Fixtures.json(Files.readAllLines(file).get(0)).path("tools").path(0)
                .path("function").path("name").asText()).isEqualTo("ls");
    }
}
