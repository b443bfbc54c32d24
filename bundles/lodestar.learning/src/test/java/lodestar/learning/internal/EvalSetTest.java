package lodestar.learning.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvalSetTest {

    @TempDir
    Path dir;

    private Path write(final String... lines) throws Exception {
        final Path file = dir.resolve("set.jsonl");
        Files.writeString(file, String.join("\n", lines) + "\n");
        return file;
    }

    @Test
    void readsPromptsMessagesAndEveryCheckType() throws Exception {
        final Path file = write(
                "// a comment",
                "{\"id\":\"a\",\"prompt\":\"2+2?\",\"system\":\"Answer with a number.\","
                        + "\"check\":{\"type\":\"exact\",\"answer\":\"4\"}}",
                "",
                "{\"id\":\"b\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                        + "\"check\":{\"type\":\"regex\",\"pattern\":\"h(i|ello)\","
                        + "\"ignore_case\":true}}",
                "{\"prompt\":\"say x\",\"check\":{\"type\":\"contains\",\"value\":\"x\"}}",
                "{\"id\":\"d\",\"prompt\":\"code\",\"check\":{\"type\":\"unit_test\","
                        + "\"language\":\"SH\",\"test\":\"f\",\"command\":\"sh {file}\","
                        + "\"file\":\"t.sh\"}}");
        final EvalSet set = EvalSet.load(file);
        assertThat(set.items()).extracting(EvalSet.Item::id).containsExactly("a", "b",
                "line-5", "d");
        assertThat(set.items().get(0).messages().toString()).isEqualTo(
                "[{\"role\":\"system\",\"content\":\"Answer with a number.\"},"
                + "{\"role\":\"user\",\"content\":\"2+2?\"}]");
        assertThat(set.items().get(0).check()).isEqualTo(new EvalSet.Check("exact", "4", false,
                null, null, null));
        assertThat(set.items().get(1).messages().toString()).isEqualTo(
                "[{\"role\":\"user\",\"content\":\"hi\"}]");
        assertThat(set.items().get(1).check().ignoreCase()).isTrue();
        assertThat(set.items().get(2).check().value()).isEqualTo("x");
        assertThat(set.items().get(3).check()).isEqualTo(new EvalSet.Check("unit_test", "f",
                false, "sh", "sh {file}", "t.sh"));
        assertThat(set.sha256()).hasSize(64).isEqualTo(EvalSet.sha256(file));
        Files.writeString(file, Files.readString(file) + " ");
        assertThat(EvalSet.sha256(file)).isNotEqualTo(set.sha256());
    }

    @Test
    void invalidLinesAreNamed() throws Exception {
        assertThatThrownBy(() -> EvalSet.load(write("{\"prompt\":\"a\",\"check\":{\"type\":"
                + "\"exact\",\"value\":\"1\"}}", "{nope"))).isInstanceOf(
                        IllegalArgumentException.class).hasMessageContaining("line 2: not JSON");
        assertThatThrownBy(() -> EvalSet.load(write("{\"prompt\":\"a\",\"check\":{\"type\":"
                + "\"fuzzy\"}}"))).hasMessageContaining("line 1: check type must be");
        assertThatThrownBy(() -> EvalSet.load(write("{\"check\":{\"type\":\"exact\","
                + "\"value\":\"1\"}}"))).hasMessageContaining("needs \"prompt\"");
        assertThatThrownBy(() -> EvalSet.load(write("{\"prompt\":\"a\"}")))
                .hasMessageContaining("needs \"check\"");
        assertThatThrownBy(() -> EvalSet.load(write("{\"prompt\":\"a\",\"check\":{\"type\":"
                + "\"exact\"}}"))).hasMessageContaining("needs \"value\"");
        assertThatThrownBy(() -> EvalSet.load(write("{\"prompt\":\"a\",\"check\":{\"type\":"
                + "\"contains\",\"value\":\"\"}}"))).hasMessageContaining("non-empty");
        assertThatThrownBy(() -> EvalSet.load(write("{\"prompt\":\"a\",\"check\":{\"type\":"
                + "\"regex\",\"pattern\":\"(\"}}"))).hasMessageContaining("invalid pattern");
        assertThatThrownBy(() -> EvalSet.load(write("{\"prompt\":\"a\",\"check\":{\"type\":"
                + "\"regex\"}}"))).hasMessageContaining("needs \"pattern\"");
        assertThatThrownBy(() -> EvalSet.load(write("{\"prompt\":\"a\",\"check\":{\"type\":"
                + "\"unit_test\"}}"))).hasMessageContaining("needs \"test\"");
        assertThatThrownBy(() -> EvalSet.load(write("{\"messages\":[{\"content\":\"x\"}],"
                + "\"check\":{\"type\":\"contains\",\"value\":\"x\"}}")))
                .hasMessageContaining("needs a role");
        assertThatThrownBy(() -> EvalSet.load(write("[1]"))).hasMessageContaining(
                "not a JSON object");
        final String line = "{\"id\":\"x\",\"prompt\":\"a\",\"check\":{\"type\":\"contains\","
                + "\"value\":\"a\"}}";
        assertThatThrownBy(() -> EvalSet.load(write(line, line))).hasMessageContaining(
                "line 2: duplicate id x");
        assertThatThrownBy(() -> EvalSet.load(write("// nothing"))).hasMessageContaining(
                "holds no prompt");
    }

    @Test
    void theShippedExampleSetIsValid() throws Exception {
        final Path example = Path.of("docs/benchmark/coding.jsonl");
        final EvalSet set = EvalSet.load(example);
        assertThat(set.items()).hasSizeGreaterThanOrEqualTo(5);
        assertThat(set.items()).extracting(i -> i.check().type()).contains("exact", "regex",
                "contains", "unit_test");
    }

    /** Reference answers of the shipped set's unit tests: each passes, an empty answer fails. */
    private static final Map<String, String> REFERENCE = Map.of(
            "py-fizz", "```python\ndef fizz(n):\n    if n % 15 == 0:\n        return 'FizzBuzz'\n"
                    + "    if n % 3 == 0:\n        return 'Fizz'\n    if n % 5 == 0:\n"
                    + "        return 'Buzz'\n    return str(n)\n```",
            "py-dedupe", "```python\ndef dedupe(items):\n    seen = set()\n    out = []\n"
                    + "    for x in items:\n        if x not in seen:\n            seen.add(x)\n"
                    + "            out.append(x)\n    return out\n```",
            "py-parse-duration", "```python\nimport re\ndef seconds(text):\n"
                    + "    m = re.fullmatch(r'(?:(\\d+)h)?(?:(\\d+)m)?(?:(\\d+)s)?', text)\n"
                    + "    if not text or not m:\n        raise ValueError(text)\n"
                    + "    h, mi, s = (int(g or 0) for g in m.groups())\n"
                    + "    return h * 3600 + mi * 60 + s\n```",
            "sh-count-lines", "```sh\ncount_lines() { wc -l < \"$1\"; }\n```");

    @Test
    void theShippedUnitTestsPassOnReferenceAnswers() throws Exception {
        final boolean python = Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
                .anyMatch(p -> Files.isExecutable(Path.of(p, "python3")));
        final Checks checks = new Checks(Checks.commands("python=python3 {file},sh=sh {file}"),
                Duration.ofSeconds(20), 2000, "off");
        int run = 0;
        for (final EvalSet.Item item : EvalSet.load(Path.of("docs/benchmark/coding.jsonl"))
                .items()) {
            if (!"unit_test".equals(item.check().type())
                    || "python".equals(item.check().language()) && !python) {
                continue;
            }
            final Checks.Verdict good = checks.judge(item.check(), REFERENCE.get(item.id()));
            assertThat(good.passed()).as(item.id() + ": " + good.detail()).isTrue();
            assertThat(checks.judge(item.check(), "```\n```").passed()).as(item.id()).isFalse();
            run++;
        }
        assertThat(run).isGreaterThanOrEqualTo(1);
    }
}
