package lodestar.learning.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A benchmark's evaluation set: a JSONL file, one prompt per line,
 * {@code {"id", "prompt" (with an optional "system") or "messages", "check": {...}}}. Blank
 * lines and lines starting with {@code //} are skipped. Checks:
 * <ul>
 * <li>{@code {"type": "exact", "value": "42"}} — the trimmed answer equals the value
 *   ({@code "answer"} is accepted for {@code "value"});</li>
 * <li>{@code {"type": "contains", "value": "..."}} — the answer contains it;</li>
 * <li>{@code {"type": "regex", "pattern": "..."}} — the pattern is found in the answer;</li>
 * <li>{@code {"type": "unit_test", "language": "python", "test": "..."}} — the answer's code
 *   block and the test run as one program (see {@link Checks}); optional {@code "command"}
 *   (template) and {@code "file"} (program file name).</li>
 * </ul>
 * {@code "ignore_case": true} applies to exact, contains and regex.
 *
 * @param path the file
 * @param sha256 the SHA-256 of its bytes
 * @param items the prompts
 */
record EvalSet(Path path, String sha256, List<EvalSet.Item> items) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One prompt.
     *
     * @param id its id
     * @param messages the chat messages sent
     * @param check how the answer is judged
     */
    record Item(String id, ArrayNode messages, Check check) {
    }

    /**
     * How an answer is judged.
     *
     * @param type {@code exact}, {@code contains}, {@code regex} or {@code unit_test}
     * @param value the expected text (exact, contains), the pattern (regex) or the test code
     *     (unit_test)
     * @param ignoreCase whether case is ignored (exact, contains, regex)
     * @param language the test's language (unit_test)
     * @param command a command template replacing the language's (unit_test), or {@code null}
     * @param file the program file name (unit_test), or {@code null}
     */
    record Check(String type, String value, boolean ignoreCase, String language,
            String command, String file) {
    }

    /**
     * Reads and validates a set.
     *
     * @param path the JSONL file
     * @return the set
     * @throws IOException when it cannot be read
     * @throws IllegalArgumentException when a line is not valid (the message names the line)
     */
    static EvalSet load(final Path path) throws IOException {
        final byte[] bytes = Files.readAllBytes(path);
        final List<Item> items = new ArrayList<>();
        final Set<String> ids = new HashSet<>();
        final String[] lines = new String(bytes, StandardCharsets.UTF_8).split("\n");
        for (int i = 0; i < lines.length; i++) {
            final String line = lines[i].trim();
            if (line.isEmpty() || line.startsWith("//")) {
                continue;
            }
            final Item item;
            try {
                item = item(JSON.readTree(line), i + 1);
            } catch (final IOException e) {
                throw new IllegalArgumentException(path + " line " + (i + 1) + ": not JSON: "
                        + e.getMessage().split("\n", 2)[0], e);
            }
            if (!ids.add(item.id())) {
                throw new IllegalArgumentException(path + " line " + (i + 1) + ": duplicate id "
                        + item.id());
            }
            items.add(item);
        }
        if (items.isEmpty()) {
            throw new IllegalArgumentException(path + " holds no prompt");
        }
        return new EvalSet(path, sha256(bytes), List.copyOf(items));
    }

    /**
     * The SHA-256 of a file, as the set's identity.
     *
     * @param path the file
     * @return lower-case hex
     * @throws IOException when it cannot be read
     */
    static String sha256(final Path path) throws IOException {
        return sha256(Files.readAllBytes(path));
    }

    private static String sha256(final byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Item item(final JsonNode node, final int line) {
        if (node == null || !node.isObject()) {
            throw invalid(line, "not a JSON object");
        }
        final String id = node.hasNonNull("id") ? node.get("id").asText() : "line-" + line;
        final ArrayNode messages = JSON.createArrayNode();
        if (node.path("messages").isArray() && !node.get("messages").isEmpty()) {
            for (final JsonNode m : node.get("messages")) {
                if (!m.path("role").isTextual()) {
                    throw invalid(line, "every message needs a role");
                }
                messages.add(m);
            }
        } else if (node.path("prompt").isTextual()) {
            if (node.path("system").isTextual()) {
                messages.addObject().put("role", "system").put("content",
                        node.get("system").asText());
            }
            messages.addObject().put("role", "user").put("content", node.get("prompt").asText());
        } else {
            throw invalid(line, "needs \"prompt\" (string) or \"messages\" (array)");
        }
        return new Item(id, messages, check(node.path("check"), line));
    }

    private static Check check(final JsonNode check, final int line) {
        if (!check.isObject()) {
            throw invalid(line, "needs \"check\": {\"type\": ...}");
        }
        final String type = check.path("type").asText("").toLowerCase(Locale.ROOT);
        final boolean ignoreCase = check.path("ignore_case").asBoolean(false);
        switch (type) {
            case "exact": {
                final JsonNode value = check.hasNonNull("value") ? check.get("value")
                        : check.get("answer");
                if (value == null || value.isContainerNode()) {
                    throw invalid(line, "an exact check needs \"value\"");
                }
                return new Check(type, value.asText(), ignoreCase, null, null, null);
            }
            case "contains":
                if (!check.path("value").isValueNode() || check.path("value").asText()
                        .isEmpty()) {
                    throw invalid(line, "a contains check needs a non-empty \"value\"");
                }
                return new Check(type, check.get("value").asText(), ignoreCase, null, null,
                        null);
            case "regex": {
                final String pattern = check.path("pattern").asText("");
                try {
                    Pattern.compile(pattern);
                } catch (final PatternSyntaxException e) {
                    throw invalid(line, "invalid pattern: " + e.getDescription());
                }
                if (pattern.isEmpty()) {
                    throw invalid(line, "a regex check needs \"pattern\"");
                }
                return new Check(type, pattern, ignoreCase, null, null, null);
            }
            case "unit_test": {
                final String test = check.path("test").asText("");
                if (test.isBlank()) {
                    throw invalid(line, "a unit_test check needs \"test\" (code)");
                }
                return new Check(type, test, false, check.path("language").asText("python")
                        .toLowerCase(Locale.ROOT), text(check, "command"), text(check, "file"));
            }
            default:
                throw invalid(line, "check type must be exact, contains, regex or unit_test, "
                        + "not '" + type + "'");
        }
    }

    private static String text(final JsonNode node, final String field) {
        return node.path(field).isTextual() && !node.get(field).asText().isBlank()
                ? node.get(field).asText() : null;
    }

    private static IllegalArgumentException invalid(final int line, final String message) {
        return new IllegalArgumentException("line " + line + ": " + message);
    }
}
