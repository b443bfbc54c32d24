package lodestar.provider.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class RedactorTest {

    @Test
    void sanitizeRemovesKeysAndLimitsLength() {
        final Redactor redactor = new Redactor().and(Redactor.KEY_LIKE, "[redacted]");
        assertThat(redactor.sanitize("bad key sk-proj-abcdefgh1234 here", null))
                .isEqualTo("bad key [redacted] here");
        assertThat(redactor.sanitize("xai-ABCDEFGHIJ and gsk_0123456789", null))
                .isEqualTo("[redacted] and [redacted]");
        assertThat(redactor.sanitize("Authorization: Bearer abc.def", null))
                .isEqualTo("Authorization: Bearer [redacted]");
        assertThat(redactor.sanitize("secret mykey42 leaked", "mykey42"))
                .isEqualTo("secret [redacted] leaked");
        assertThat(redactor.sanitize("secret mykey42 leaked", "")).contains("mykey42");
        assertThat(redactor.sanitize("a\n\tb", null)).isEqualTo("a b");
        assertThat(redactor.sanitize("task-manager ok", null)).isEqualTo("task-manager ok");
        assertThat(redactor.sanitize("x".repeat(600), null)).hasSize(Redactor.MESSAGE_LIMIT)
                .endsWith("...");
        assertThat(redactor.sanitize(null, null)).isEmpty();
    }

    @Test
    void rulesApplyInOrderAndLeaveTheOriginalUnchanged() {
        final Redactor plain = new Redactor();
        final Redactor google = plain.and(Pattern.compile("AIza[A-Za-z0-9]{5,}"), "[redacted]")
                .and(Pattern.compile("([?&]key=)[^&\\s]+"), "$1[redacted]");
        assertThat(google.sanitize("GET /x?key=AIzaSecret123&alt=sse", null))
                .isEqualTo("GET /x?key=[redacted]&alt=sse");
        assertThat(google.sanitize("GET /x?key=abc", null)).isEqualTo("GET /x?key=[redacted]");
        assertThat(plain.sanitize("sk-proj-abcdefgh1234 AIzaSecret123", null))
                .isEqualTo("sk-proj-abcdefgh1234 AIzaSecret123");
    }
}
