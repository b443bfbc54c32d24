package lodestar.learning.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ScrubberTest {

    private final Scrubber scrubber = new Scrubber();

    @Test
    void removesApiKeysOfEveryKind() {
        final Map<String, Integer> counts = new HashMap<>();
        final String out = scrubber.scrub("key sk-proj-abcdefghijklmnop1234 and "
                + "sk-ant-api03-AAAAAAAAAAAAAAAAAAAA, aws AKIAIOSFODNN7EXAMPLE, gh "
                + "ghp_abcdefghijklmnopqrstuvwxyz0123456789, g AIzaSyA-1234567890abcdefghijklmno"
                + "pqrstuv", counts);
        assertThat(out).doesNotContain("sk-proj", "sk-ant", "AKIAIOSFODNN7EXAMPLE", "ghp_",
                "AIzaSy");
        assertThat(out).contains("[REDACTED_API_KEY]", "[REDACTED_AWS_KEY]");
        assertThat(counts).containsEntry("api_key", 4).containsEntry("aws_key", 1);
    }

    @Test
    void removesBearerTokensPrivateKeysPasswordsAndEmails() {
        final Map<String, Integer> counts = new HashMap<>();
        final String text = "curl -H 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.abc.def' x\n"
                + "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\nabc\n"
                + "-----END RSA PRIVATE KEY-----\nmail jane.doe@example.co.uk now\n"
                + "password = hunter22secret";
        final String out = scrubber.scrub(text, counts);
        assertThat(out).contains("Bearer [REDACTED_TOKEN]", "[REDACTED_PRIVATE_KEY]",
                "[REDACTED_EMAIL]", "password = [REDACTED_SECRET]");
        assertThat(out).doesNotContain("eyJhbGci", "MIIEow", "jane.doe", "hunter22");
        assertThat(counts).containsEntry("bearer", 1).containsEntry("private_key", 1)
                .containsEntry("email", 1).containsEntry("password", 1);
    }

    @Test
    void anUnterminatedKeyBlockIsRemovedToTheEnd() {
        assertThat(scrubber.scrub("x -----BEGIN PRIVATE KEY-----\nAAAA\nBBBB", null))
                .isEqualTo("x [REDACTED_PRIVATE_KEY]");
    }

    @Test
    void isIdempotentAndLeavesCleanTextAlone() {
        final String once = scrubber.scrub("password: abcdefgh sk-abcdefghijklmnopqrstu", null);
        assertThat(scrubber.scrub(once, null)).isEqualTo(once);
        assertThat(scrubber.scrub("def add(a, b): return a + b", null))
                .isEqualTo("def add(a, b): return a + b");
        assertThat(scrubber.scrub("", null)).isEmpty();
        assertThat(scrubber.scrub(null, null)).isNull();
    }

    @Test
    void extraPatternsApplyAndBadOnesAreRefused() {
        final Scrubber custom = new Scrubber("ACME-[0-9]{4}", " ", null);
        assertThat(custom.scrub("ticket ACME-1234", null)).isEqualTo("ticket [REDACTED]");
        assertThatThrownBy(() -> new Scrubber("(")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("scrubPatterns");
        assertThat(new Scrubber((String[]) null).scrub("a@b.io", null))
                .isEqualTo("[REDACTED_EMAIL]");
    }

    @Test
    void scrubsEveryStringOfAJsonTree() {
        final JsonNode tree = Fixtures.json("{\"messages\":[{\"role\":\"user\",\"content\":"
                + "\"my key is sk-abcdefghijklmnopqrstuvwx\"},{\"role\":\"user\",\"content\":"
                + "[{\"type\":\"text\",\"text\":\"mail me: a.b@c.org\"}]}],"
                + "\"stop\":[\"bob@example.com\"],\"n\":1}");
        final Map<String, Integer> counts = new HashMap<>();
        assertThat(scrubber.scrubTree(tree, counts)).isEqualTo(3);
        assertThat(tree.toString()).doesNotContain("sk-abc", "a.b@c.org", "bob@")
                .contains("\"role\":\"user\"");
        assertThat(counts).containsEntry("email", 2).containsEntry("api_key", 1);
        assertThat(scrubber.scrubTree(tree, null)).isZero();
    }
}
