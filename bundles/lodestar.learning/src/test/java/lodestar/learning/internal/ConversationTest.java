package lodestar.learning.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ConversationTest {

    @Test
    void turnsAnExchangeIntoChatMessagesWithTheAnswerLast() throws Exception {
        final Conversation c = Conversation.of(Fixtures.json("{\"messages\":["
                + "{\"role\":\"developer\",\"content\":\"rules\"},"
                + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"a\"},"
                + "{\"text\":\"b\"}]},"
                + "{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"t1\",\"type\":\"function\","
                + "\"function\":{\"name\":\"ls\",\"arguments\":\"{}\"}}]},"
                + "{\"role\":\"tool\",\"tool_call_id\":\"t1\",\"content\":\"x.txt\"},"
                + "{\"role\":\"user\",\"content\":\"now?\",\"name\":\"me\"}],"
                + "\"tools\":[{\"type\":\"function\"}]}"), Fixtures.answer("done", "stop"));
        assertThat(c.messages().toString()).isEqualTo("[{\"role\":\"system\",\"content\":"
                + "\"rules\"},{\"role\":\"user\",\"content\":\"a\\nb\"},{\"role\":\"assistant\","
                + "\"tool_calls\":[{\"id\":\"t1\",\"type\":\"function\",\"function\":{\"name\":"
                + "\"ls\",\"arguments\":\"{}\"}}]},{\"role\":\"tool\",\"content\":\"x.txt\","
                + "\"tool_call_id\":\"t1\"},{\"role\":\"user\",\"content\":\"now?\",\"name\":"
                + "\"me\"},{\"role\":\"assistant\",\"content\":\"done\"}]");
        assertThat(c.lastUserText()).isEqualTo("now?");
        assertThat(c.promptChars()).isEqualTo(5 + 3 + 5 + 4);
        assertThat(c.answerText()).isEqualTo("done");
        assertThat(c.dedupText()).doesNotContain("rules").contains("user: now?",
                "assistant: done", "\"ls\"");
        assertThat(c.tools()).isNotNull();
    }

    @Test
    void anAnswerWithOnlyToolCallsIsShownAsTheirJson() throws Exception {
        final Conversation c = Conversation.of(Fixtures.request("list files"), Fixtures.json(
                "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":null,"
                + "\"tool_calls\":[{\"id\":\"t\"}]}}]}"));
        assertThat(c.answerText()).isEqualTo("[{\"id\":\"t\"}]");
        assertThat(c.messages().get(2).has("content")).isFalse();
        assertThat(c.tools()).isNull();
    }

    @Test
    void refusesWhatIsNotText() {
        assertThatThrownBy(() -> Conversation.of(Fixtures.json("{}"), Fixtures.json("{}")))
                .isInstanceOf(Conversation.Unsupported.class);
        assertThatThrownBy(() -> Conversation.of(Fixtures.json("{\"messages\":[{\"role\":"
                + "\"user\",\"content\":[{\"type\":\"image_url\"}]}]}"), Fixtures.json("{}")))
                .hasMessageContaining("image_url");
        assertThatThrownBy(() -> Conversation.of(Fixtures.json("{\"messages\":[{\"role\":"
                + "\"robot\",\"content\":\"x\"}]}"), Fixtures.json("{}")))
                .hasMessageContaining("robot");
        assertThatThrownBy(() -> Conversation.text(Fixtures.json("7")))
                .hasMessageContaining("NUMBER");
    }
}
