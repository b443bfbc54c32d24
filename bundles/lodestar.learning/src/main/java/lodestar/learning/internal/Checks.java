package lodestar.learning.internal;

import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Judges answers against {@link EvalSet.Check}s. A {@code unit_test} check takes the code of
 * the answer (the first fenced block tagged with the check's language, else the first fenced
 * block, else the whole answer), joins it with the test ({@code {code}} in the test is replaced
 * by it; without the placeholder the test is appended after it) and runs the program in the
 * {@link Sandbox}: it passes when the program exits 0 within the limit.
 */
final class Checks {

    private static final Pattern FENCE = Pattern.compile(
            "```[ \\t]*([A-Za-z0-9_+#.-]*)[^\\n]*\\n(.*?)```", Pattern.DOTALL);
    private static final Pattern SAFE_FILE = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}");
    private static final Map<String, String> EXTENSIONS = Map.of("python", "py", "py", "py",
            "sh", "sh", "bash", "sh", "shell", "sh", "java", "java", "javascript", "js",
            "node", "js", "js", "js", "ruby", "rb");

    /**
     * A verdict.
     *
     * @param passed whether the answer passes
     * @param detail why, short
     */
    record Verdict(boolean passed, String detail) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(Checks.class);

    private final Map<String, String> commands;
    private final Duration testTimeout;
    private final int maxOutputChars;
    private final String network;
    /** Whether {@link #prefix} is known for good (off, or isolation works). */
    private volatile boolean probed;
    /** When isolation last failed to work, {@code System.nanoTime()}; tried again after 60 s. */
    private long failedAtNanos;
    private boolean failedBefore;
    /** The prefix of every test command; {@code null} when tests may not run. */
    private volatile List<String> prefix;

    /**
     * A judge that may take the network away from the test programs.
     *
     * @param commands language to command template
     * @param testTimeout the wall-clock limit of a test program
     * @param maxOutputChars the output kept of a test program
     * @param network {@code auto} (without network where this machine allows it),
     *     {@code on} (never with network: a test that cannot be isolated fails), {@code off}
     */
    Checks(final Map<String, String> commands, final Duration testTimeout,
            final int maxOutputChars, final String network) {
        this.commands = Map.copyOf(commands);
        this.testTimeout = testTimeout;
        this.maxOutputChars = maxOutputChars;
        final String mode = network == null ? "auto" : network.trim().toLowerCase(Locale.ROOT);
        if (!List.of("auto", "on", "off").contains(mode)) {
            LOG.error("testNetwork must be auto, on or off, not '{}': taken as on", network);
        }
        this.network = List.of("auto", "off").contains(mode) ? mode : "on";
        if ("off".equals(this.network)) {
            this.prefix = List.of();
            this.probed = true;
        }
    }

    /**
     * The prefix of the test commands: probed on the first test (never in activation); a
     * success is kept, a failure is tried again after a minute (a probe may time out under
     * load).
     *
     * @return the prefix, {@code null} when {@code on} and the machine cannot isolate
     * @throws InterruptedException when interrupted
     */
    List<String> prefix() throws InterruptedException {
        if (probed) {
            return prefix;
        }
        synchronized (this) {
            if (probed) {
                return prefix;
            }
            final long now = System.nanoTime();
            if (!failedBefore || now - failedAtNanos > TimeUnit.SECONDS.toNanos(60)) {
                if (Sandbox.canIsolateNetwork()) {
                    prefix = Sandbox.NO_NETWORK;
                    probed = true;
                    return prefix;
                }
                if (!failedBefore) {
                    LOG.warn("unit_test programs {}: this machine cannot run them without "
                            + "network (unshare --user --net failed; unprivileged user "
                            + "namespaces off?); tried again every minute", "auto".equals(network)
                            ? "run WITH network access" : "all fail (testNetwork=on)");
                }
                failedBefore = true;
                failedAtNanos = now;
            }
            return "auto".equals(network) ? List.of() : null;
        }
    }

    /**
     * Parses {@code language=template,...}.
     *
     * @param text the configured list
     * @return language (lower case) to template
     */
    static Map<String, String> commands(final String text) {
        final Map<String, String> out = new LinkedHashMap<>();
        for (final String entry : text == null ? new String[0] : text.split(",")) {
            final int eq = entry.indexOf('=');
            if (eq > 0 && !entry.substring(eq + 1).isBlank()) {
                out.put(entry.substring(0, eq).trim().toLowerCase(Locale.ROOT),
                        entry.substring(eq + 1).trim());
            }
        }
        return out;
    }

    /**
     * Judges one answer.
     *
     * @param check the check
     * @param answer the model's answer
     * @return the verdict
     * @throws InterruptedException when interrupted while a test runs
     */
    Verdict judge(final EvalSet.Check check, final String answer) throws InterruptedException {
        final String text = answer == null ? "" : answer;
        switch (check.type()) {
            case "exact": {
                final boolean ok = check.ignoreCase()
                        ? text.trim().equalsIgnoreCase(check.value().trim())
                        : text.trim().equals(check.value().trim());
                return new Verdict(ok, ok ? "equal" : "expected " + quote(check.value())
                        + ", got " + quote(text));
            }
            case "contains": {
                final boolean ok = check.ignoreCase()
                        ? text.toLowerCase(Locale.ROOT).contains(check.value()
                                .toLowerCase(Locale.ROOT))
                        : text.contains(check.value());
                return new Verdict(ok, ok ? "contains " + quote(check.value())
                        : "missing " + quote(check.value()));
            }
            case "regex": {
                final boolean ok = Pattern.compile(check.value(), check.ignoreCase()
                        ? Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE : 0)
                        .matcher(text).find();
                return new Verdict(ok, (ok ? "matches /" : "no match for /") + check.value()
                        + "/");
            }
            case "unit_test":
                return unitTest(check, text);
            default:
                return new Verdict(false, "unknown check type " + check.type());
        }
    }

    private Verdict unitTest(final EvalSet.Check check, final String answer)
            throws InterruptedException {
        final String template = check.command() != null ? check.command()
                : commands.get(check.language());
        if (template == null) {
            return new Verdict(false, "no test command for language " + check.language()
                    + " (testCommands)");
        }
        final String fileName = check.file() != null ? check.file() : "program."
                + EXTENSIONS.getOrDefault(check.language(), check.language());
        if (!SAFE_FILE.matcher(fileName).matches()) {
            return new Verdict(false, "unsafe program file name " + quote(fileName));
        }
        final String code = code(answer, check.language());
        final String program = check.value().contains("{code}")
                ? check.value().replace("{code}", code) : code + "\n\n" + check.value() + "\n";
        final List<String> before = prefix();
        if (before == null) {
            return new Verdict(false, "not run: testNetwork=on and this machine cannot take the "
                    + "network away from a test program (unshare --user --net)");
        }
        try {
            final Sandbox.Outcome outcome = Sandbox.run(before, template, fileName, program,
                    testTimeout, maxOutputChars);
            if (outcome.timedOut()) {
                return new Verdict(false, "timed out after " + testTimeout.toSeconds()
                        + " s; output: " + outcome.output());
            }
            return new Verdict(outcome.passed(), "exit " + outcome.exitCode() + " in "
                    + outcome.millis() + " ms" + (outcome.output().isBlank() ? ""
                    : "; output: " + outcome.output()));
        } catch (final IOException e) {
            return new Verdict(false, "test could not run: " + e.getMessage());
        }
    }

    /**
     * The code of an answer: the first fenced block tagged with the language (or a synonym),
     * else the first fenced block, else the whole answer.
     *
     * @param answer the answer
     * @param language the language wanted, or {@code null}
     * @return the code
     */
    static String code(final String answer, final String language) {
        final Matcher fences = FENCE.matcher(answer);
        String first = null;
        final String wanted = language == null ? null : EXTENSIONS.getOrDefault(language,
                language);
        while (fences.find()) {
            final String tag = fences.group(1).toLowerCase(Locale.ROOT);
            if (first == null) {
                first = fences.group(2);
            }
            if (wanted != null && !tag.isEmpty() && (tag.equals(language)
                    || wanted.equals(EXTENSIONS.getOrDefault(tag, tag)))) {
                return fences.group(2);
            }
        }
        return first != null ? first : answer.trim();
    }

    private static String quote(final String text) {
        final String flat = text.replace("\n", "\\n");
        return "\"" + (flat.length() > 80 ? flat.substring(0, 80) + "..." : flat) + "\"";
    }
}
