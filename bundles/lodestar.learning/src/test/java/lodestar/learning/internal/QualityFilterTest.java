package lodestar.learning.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class QualityFilterTest {

    private static QualityFilter filter(final Map<String, Double> ratings,
            final Object... pairs) {
        return new QualityFilter(QualityFilter.Settings.of(Fixtures.config(pairs)), ratings);
    }

    private static LearningStore.Exchange ex(final String id, final String user,
            final String answer, final String finish) {
        return Fixtures.exchange(id, 1, user, answer, finish);
    }

    @Test
    void keepsAGoodExchangeScrubbed() {
        final QualityFilter f = filter(Map.of());
        final Conversation c = f.accept(ex("a", "my mail is x@y.io, fix my regex",
                "use \\d+ here", "stop")).orElseThrow();
        assertThat(c.messages().toString()).contains("[REDACTED_EMAIL]").doesNotContain("x@y.io");
        assertThat(f.redactions()).containsEntry("email", 1);
        assertThat(f.rejected().values()).allMatch(v -> v == 0);
    }

    @Test
    void countsEveryRejectionByReason() {
        final QualityFilter f = filter(Map.of("neg", -1.0), "maxAnswerChars", "20",
                "minPromptChars", "3", "maxPromptChars", "60");
        assertThat(f.accept(new LearningStore.Exchange("u", 1, null, null, null, "stop", "{",
                "{}", 0))).isEmpty();
        assertThat(f.accept(new LearningStore.Exchange("u2", 1, null, null, null, "stop", "",
                "{}", 0))).isEmpty();
        assertThat(f.accept(ex("neg", "question one", "answer", "stop"))).isEmpty();
        assertThat(f.accept(new LearningStore.Exchange("err", 1, null, null, null, "stop",
                Fixtures.request("q").toString(), "{\"error\":{}}", 0))).isEmpty();
        assertThat(f.accept(ex("len", "question two", "cut", "length"))).isEmpty();
        assertThat(f.accept(new LearningStore.Exchange("img", 1, null, null, null, "stop",
                "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\"}]}]}",
                Fixtures.answer("a", "stop").toString(), 0))).isEmpty();
        assertThat(f.accept(ex("ref", "question three", "I'm sorry, I can't", "stop"))).isEmpty();
        assertThat(f.accept(ex("short", "q", "fine", "stop"))).isEmpty();
        assertThat(f.accept(ex("long", "q".repeat(70), "fine", "stop"))).isEmpty();
        assertThat(f.accept(ex("noans", "question four", "  ", "stop"))).isEmpty();
        assertThat(f.accept(ex("longans", "question five", "x".repeat(21), "stop"))).isEmpty();
        assertThat(f.accept(ex("ok", "question six is here", "fine answer", "stop"))).isPresent();
        assertThat(f.accept(ex("dup", "Question six is here!", "fine answer", "stop"))).isEmpty();
        assertThat(f.rejected()).containsEntry("unparsable", 2L)
                .containsEntry("negative_feedback", 1L).containsEntry("not_successful", 1L)
                .containsEntry("finish_reason", 1L).containsEntry("unsupported_content", 1L)
                .containsEntry("refused", 1L).containsEntry("prompt_too_short", 1L)
                .containsEntry("prompt_too_long", 1L).containsEntry("answer_too_short", 1L)
                .containsEntry("answer_too_long", 1L).containsEntry("duplicate", 1L)
                .containsEntry("near_duplicate", 0L).containsEntry("unrated", 0L);
        assertThat(f.rejected().keySet()).containsExactlyElementsOf(QualityFilter.REASONS);
    }

    @Test
    void nearDuplicatesAreRejected() {
        final QualityFilter f = filter(Map.of(), "shingleWords", "2",
                "nearDuplicateThreshold", "0.6");
        final String q = "how do I reverse a linked list in java without recursion and keep "
                + "it readable for the team during review";
        assertThat(f.accept(ex("a", q, "iterate with three pointers", "stop"))).isPresent();
        assertThat(f.accept(ex("b", q + " please", "iterate with three pointers", "stop")))
                .isEmpty();
        assertThat(f.rejected()).containsEntry("near_duplicate", 1L);
    }

    @Test
    void positiveFeedbackCanBeRequiredAndFinishReasonsWidened() {
        final QualityFilter f = filter(Map.of("good", 1.0, "meh", 0.0),
                "requirePositiveFeedback", "true", "acceptFinishReasons", "stop,tool_calls",
                "refusalPattern", "");
        assertThat(f.accept(ex("good", "question", "I'm sorry but ok", "tool_calls")))
                .isPresent();
        assertThat(f.accept(ex("meh", "question two", "b", "stop"))).isEmpty();
        assertThat(f.accept(ex("none", "question three", "c", "stop"))).isEmpty();
        assertThat(f.rejected()).containsEntry("unrated", 2L);
        assertThat(f.settings().acceptFinishReasons()).containsExactly("stop", "tool_calls");
    }

    @Test
    void theFinishReasonComesFromTheAnswerWhenNotRecorded() {
        final QualityFilter f = filter(Map.of());
        assertThat(f.accept(new LearningStore.Exchange("x", 1, null, null, null, null,
                Fixtures.request("q").toString(), Fixtures.answer("a", "length").toString(), 0)))
                .isEmpty();
        assertThat(f.rejected()).containsEntry("finish_reason", 1L);
    }

    @Test
    void aBadRefusalPatternIsRefused() {
        assertThatThrownBy(() -> filter(Map.of(), "refusalPattern", "("))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("refusalPattern");
    }
}
