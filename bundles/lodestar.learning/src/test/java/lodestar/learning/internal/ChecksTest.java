package lodestar.learning.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChecksTest {

    private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java")
            .toString();

    @TempDir
    Path dir;

    private final Checks checks = new Checks(Checks.commands("sh=sh {file}, java=" + JAVA
            + " {file},broken="), Duration.ofSeconds(2), 200, "off");

    private static EvalSet.Check check(final String type, final String value,
            final boolean ignoreCase) {
        return new EvalSet.Check(type, value, ignoreCase, null, null, null);
    }

    private static EvalSet.Check test(final String language, final String test) {
        return new EvalSet.Check("unit_test", test, false, language, null, null);
    }

    @Test
    void commandTemplatesAreParsed() {
        assertThat(Checks.commands("Python=python3 {file}, sh = sh {file},bad,empty="))
                .isEqualTo(Map.of("python", "python3 {file}", "sh", "sh {file}"));
        assertThat(Checks.commands(null)).isEmpty();
    }

    @Test
    void exactContainsAndRegex() throws Exception {
        assertThat(checks.judge(check("exact", "42", false), "  42\n").passed()).isTrue();
        assertThat(checks.judge(check("exact", "42", false), "42.").detail())
                .isEqualTo("expected \"42\", got \"42.\"");
        assertThat(checks.judge(check("exact", "Paris", true), "paris").passed()).isTrue();
        assertThat(checks.judge(check("exact", "Paris", false), "paris").passed()).isFalse();
        assertThat(checks.judge(check("contains", "O(n)", false), "It is O(n) time.").passed())
                .isTrue();
        assertThat(checks.judge(check("contains", "o(N)", true), "It is O(n).").passed())
                .isTrue();
        assertThat(checks.judge(check("contains", "o(N)", false), "It is O(n).").detail())
                .isEqualTo("missing \"o(N)\"");
        assertThat(checks.judge(check("regex", "\\bdef\\s+add\\(", false),
                "```python\ndef add(a, b):\n```").passed()).isTrue();
        assertThat(checks.judge(check("regex", "^SELECT", true), "select 1").passed())
                .isTrue();
        assertThat(checks.judge(check("regex", "^SELECT", false), "select 1").passed())
                .isFalse();
        assertThat(checks.judge(check("exact", "", false), null).passed()).isTrue();
        assertThat(checks.judge(check("fuzzy", "x", false), "x").passed()).isFalse();
    }

    @Test
    void codeIsTakenFromTheMatchingFence() {
        final String answer = "Here:\n```text\nnot code\n```\nand\n```py\nprint(1)\n```\n";
        assertThat(Checks.code(answer, "python")).isEqualTo("print(1)\n");
        assertThat(Checks.code(answer, "sh")).isEqualTo("not code\n");
        assertThat(Checks.code(answer, null)).isEqualTo("not code\n");
        assertThat(Checks.code("```bash\necho hi\n```", "sh")).isEqualTo("echo hi\n");
        assertThat(Checks.code("  x = 1  ", "python")).isEqualTo("x = 1");
    }

    @Test
    void aPassingProgramExitsZero() throws Exception {
        final String answer = "Sure:\n```sh\nadd() { echo $(($1 + $2)); }\n```\n";
        final Checks.Verdict verdict = checks.judge(test("sh", "[ \"$(add 2 3)\" = 5 ] || "
                + "exit 1\necho ok"), answer);
        assertThat(verdict.passed()).isTrue();
        assertThat(verdict.detail()).startsWith("exit 0 in ").endsWith("output: ok\n");
    }

    @Test
    void aFailingProgramFails() throws Exception {
        final String answer = "```sh\nadd() { echo $(($1 - $2)); }\n```";
        final Checks.Verdict verdict = checks.judge(test("sh", "[ \"$(add 2 3)\" = 5 ] || "
                + "{ echo \"wrong: $(add 2 3)\"; exit 3; }"), answer);
        assertThat(verdict.passed()).isFalse();
        assertThat(verdict.detail()).startsWith("exit 3 in ").endsWith("output: wrong: -1\n");
    }

    @Test
    void aJavaSingleFileProgramWithTheCodePlaceholder() throws Exception {
        final String answer = "```java\nclass Solution {\n  static int twice(int x) { return "
                + "2 * x; }\n}\n```";
        final String test = "public class Check {\n  public static void main(String[] a) {\n"
                + "    if (Solution.twice(21) != 42) { System.exit(1); }\n"
                + "    System.out.println(\"passed\");\n  }\n}\n{code}\n";
        final Checks.Verdict verdict = checks.judge(test("java", test), answer);
        assertThat(verdict.passed()).as(verdict.detail()).isTrue();
        assertThat(verdict.detail()).contains("passed");
        final Checks.Verdict wrong = checks.judge(test("java", test), answer.replace("2 * x",
                "x"));
        assertThat(wrong.passed()).isFalse();
        assertThat(wrong.detail()).startsWith("exit 1 ");
    }

    @Test
    void aProgramRunningPastTheLimitIsKilledWithItsChildren() throws Exception {
        final Path pid = dir.resolve("child.pid");
        final long start = System.nanoTime();
        final Checks.Verdict verdict = checks.judge(test("sh", "sleep 60 &\necho $! > " + pid
                + "\necho started\nwait"), "```sh\n: nothing\n```");
        final long millis = (System.nanoTime() - start) / 1_000_000;
        assertThat(verdict.passed()).isFalse();
        assertThat(verdict.detail()).startsWith("timed out after 2 s").contains("started");
        assertThat(millis).isLessThan(15_000);
        final long child = Long.parseLong(Files.readString(pid).trim());
        final Optional<ProcessHandle> handle = ProcessHandle.of(child);
        for (int i = 0; i < 50 && handle.isPresent() && handle.get().isAlive(); i++) {
            Thread.sleep(100);
        }
        assertThat(handle.map(ProcessHandle::isAlive).orElse(false)).isFalse();
    }

    @Test
    void theProgramRunsInAFreshFolderWithAMinimalEnvironmentThatIsDeletedAfterwards()
            throws Exception {
        final Path where = dir.resolve("where.txt");
        final Checks.Verdict verdict = checks.judge(test("sh", "pwd > " + where + "\n"
                + "env | cut -d= -f1 | sort | tr '\\n' ' '\necho\necho \"home=$HOME\""),
                "```sh\ntrue\n```");
        assertThat(verdict.passed()).as(verdict.detail()).isTrue();
        final String output = verdict.detail().substring(verdict.detail().indexOf("output: ")
                + 8);
        final Set<String> names = Arrays.stream(output.split("\n")[0].trim().split(" "))
                .collect(Collectors.toSet());
        assertThat(names).contains("PATH", "HOME", "TMPDIR", "LANG").isSubsetOf("PATH", "HOME",
                "TMPDIR", "LANG", "PWD", "OLDPWD", "SHLVL", "_");
        final Path folder = Path.of(Files.readString(where).trim());
        assertThat(folder.getFileName().toString()).startsWith("lodestar-bench-");
        assertThat(output).contains("home=" + folder);
        assertThat(folder).doesNotExist();
    }

    @Test
    void outputIsCapped() throws Exception {
        final Checks.Verdict verdict = checks.judge(test("sh", "i=0; while [ $i -lt 3000 ];"
                + " do echo 0123456789; i=$((i+1)); done"), "");
        assertThat(verdict.passed()).isTrue();
        final String output = verdict.detail().substring(verdict.detail().indexOf("output: ")
                + 8);
        assertThat(output).endsWith("[output truncated]").hasSizeLessThan(260);
    }

    @Test
    void unknownLanguagesUnsafeFileNamesAndMissingCommandsFail() throws Exception {
        assertThat(checks.judge(test("cobol", "x"), "x").detail()).isEqualTo(
                "no test command for language cobol (testCommands)");
        assertThat(checks.judge(new EvalSet.Check("unit_test", "x", false, "sh", null,
                "../evil.sh"), "x").detail()).startsWith("unsafe program file name");
        assertThat(checks.judge(new EvalSet.Check("unit_test", "x", false, "sh",
                "/nonexistent/runner {file}", null), "x").detail()).startsWith(
                        "test could not run: ");
    }

    @Test
    void testProgramsRunWithoutNetworkWhereTheMachineAllowsIt() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            final EvalSet.Check connects = new EvalSet.Check("unit_test", "socket.create_"
                    + "connection(('127.0.0.1', " + server.getLocalPort() + "), timeout=3)"
                    + ".close()", false, "python", "python3 {file}", null);
            final String answer = "```python\nimport socket\n```";
            final Duration limit = Duration.ofSeconds(20);
            final Checks open = new Checks(Map.of(), limit, 2000, "off");
            assertThat(open.prefix()).isEmpty();
            assertThat(open.judge(connects, answer).passed()).as("with network").isTrue();

            final boolean isolating = Sandbox.canIsolateNetwork();
            System.out.println("[checks] this machine can take the network away from a test "
                    + "program: " + isolating);
            final Checks auto = new Checks(Map.of(), limit, 2000, "auto");
            final Checks strict = new Checks(Map.of(), limit, 2000, "On ");
            final Checks unknown = new Checks(Map.of(), limit, 2000, "maybe");
            if (isolating) {
                assertThat(auto.prefix()).isEqualTo(Sandbox.NO_NETWORK);
                final Checks.Verdict refused = auto.judge(connects, answer);
                assertThat(refused.passed()).as("no network").isFalse();
                assertThat(refused.detail()).contains("exit 1").contains("OSError");
                assertThat(strict.judge(connects, answer).passed()).isFalse();
                assertThat(unknown.judge(connects, answer).passed()).isFalse();
                // a test that needs no network still passes behind the prefix
                final Checks.Verdict offline = strict.judge(new EvalSet.Check("unit_test",
                        "test \"$(echo ok)\" = ok", false, "sh", "sh {file}", null), "");
                assertThat(offline.passed()).as(offline.detail()).isTrue();
            } else {
                assertThat(auto.prefix()).isEmpty();
                assertThat(auto.judge(connects, answer).passed()).isTrue();
                assertThat(strict.prefix()).isNull();
                assertThat(strict.judge(connects, answer).detail()).startsWith(
                        "not run: testNetwork=on");
                assertThat(unknown.judge(connects, answer).detail()).startsWith(
                        "not run: testNetwork=on");
            }
        }
    }
}
