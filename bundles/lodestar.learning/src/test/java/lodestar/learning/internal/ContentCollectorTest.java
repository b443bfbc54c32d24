package lodestar.learning.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import lodestar.api.event.ExchangeContent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContentCollectorTest {

    @TempDir
    Path dir;
    private final AtomicLong clock = new AtomicLong(5_000);

    @Test
    void storesScrubbedExchangesAndCountsRedactions() throws Exception {
        final LearningStore store = Fixtures.store(dir, clock, "collect", "true");
        final ContentCollector collector = new ContentCollector(store.config(), store);
        collector.onContent(Fixtures.content("r1", 100, "my key is sk-abcdefghijklmnopqrstuv",
                "mail ops@example.com", "stop"));
        collector.onContent(new ExchangeContent("r2", null, null, "p", "m",
                Fixtures.request("hi"), Fixtures.answer("hello", "stop"), "stop"));
        collector.onContent(null);
        collector.onContent(new ExchangeContent("r3", null, null, "p", "m", null, null, null));
        // the quality benchmark's own prompts never become training data
        collector.onContent(new ExchangeContent("r4", null, "lodestar-benchmark-bench-1", "p",
                "m", Fixtures.request("eval prompt"), Fixtures.answer("eval answer", "stop"),
                "stop"));
        collector.deactivate();
        final List<LearningStore.Exchange> rows = new ArrayList<>();
        store.scan(rows::add);
        assertThat(rows).extracting(LearningStore.Exchange::requestId)
                .containsExactlyInAnyOrder("r1", "r2");
        final LearningStore.Exchange first = rows.stream()
                .filter(e -> e.requestId().equals("r1")).findFirst().orElseThrow();
        assertThat(first.requestJson()).doesNotContain("sk-abc").contains("[REDACTED_API_KEY]");
        assertThat(first.answerJson()).doesNotContain("ops@").contains("[REDACTED_EMAIL]");
        assertThat(first.redactions()).isEqualTo(2);
        assertThat(first.finishReason()).isEqualTo("stop");
        final Map<String, Object> stats = collector.stats();
        assertThat(stats).containsEntry("received", 5L).containsEntry("stored", 2L)
                .containsEntry("failed", 2L).containsEntry("benchmark", 1L)
                .containsEntry("excludedModel", 0L);
        assertThat(stats.get("redactions")).isEqualTo(Map.of("api_key", 1, "email", 1));
    }

    @Test
    void dropsWhatIsTooLargeOrDoesNotFit() throws Exception {
        final LearningStore store = Fixtures.store(dir, clock, "collect", "true",
                "maxStoredChars", "300", "queueSize", "1");
        final ContentCollector collector = new ContentCollector(store.config(), store);
        collector.onContent(Fixtures.content("big", 1, "x".repeat(400), "y", "stop"));
        for (int i = 0; i < 200; i++) {
            collector.onContent(Fixtures.content("r" + i, i, "q", "a", "stop"));
        }
        collector.deactivate();
        final Map<String, Object> stats = collector.stats();
        assertThat(stats).containsEntry("tooLarge", 1L);
        assertThat((Long) stats.get("stored") + (Long) stats.get("dropped")).isEqualTo(200L);
        assertThat(store.exchangeCount()).isEqualTo((Long) stats.get("stored"));
    }

    @Test
    void theRegistrysOwnVersionsDoNotLearnFromTheirOwnAnswers() throws Exception {
        final LearningStore store = Fixtures.store(dir, clock, "collect", "true");
        final ContentCollector collector = new ContentCollector(store.config(), store);
        collector.onContent(new ExchangeContent("own", null, "s", "ollama",
                "lodestar-coder:v2", Fixtures.request("q"), Fixtures.answer("a", "stop"),
                "stop"));
        collector.onContent(new ExchangeContent("paid", null, "s", "openai", "gpt-4o",
                Fixtures.request("q2"), Fixtures.answer("a2", "stop"), "stop"));
        collector.deactivate();
        assertThat(collector.stats()).containsEntry("excludedModel", 1L)
                .containsEntry("stored", 1L);
        // empty: every model's answers are kept
        final LearningStore all = Fixtures.store(dir.resolve("all"), clock, "collect", "true",
                "excludeModels", "");
        final ContentCollector everything = new ContentCollector(all.config(), all);
        everything.onContent(new ExchangeContent("own2", null, "s", "ollama",
                "lodestar-coder:v2", Fixtures.request("q"), Fixtures.answer("a", "stop"),
                "stop"));
        everything.deactivate();
        assertThat(everything.stats()).containsEntry("excludedModel", 0L)
                .containsEntry("stored", 1L);
    }
}
