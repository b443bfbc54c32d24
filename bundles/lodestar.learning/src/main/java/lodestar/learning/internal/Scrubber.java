package lodestar.learning.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Removes secrets and personal data from text before it is stored or trained on: private key
 * blocks, API keys ({@code sk-...}, AWS {@code AKIA...}/{@code ASIA...}, GitHub, Google, Slack,
 * Hugging Face), bearer tokens, {@code password=...} assignments, e-mail addresses, and any
 * configured extra pattern. Each match becomes a {@code [REDACTED_<KIND>]} marker. Immutable and
 * thread-safe.
 */
final class Scrubber {

    /** One rule: a kind and its pattern. */
    private record Rule(String kind, Pattern pattern, String replacement) {
    }

    private static final List<Rule> BUILT_IN = List.of(
            new Rule("private_key", Pattern.compile("-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----"
                    + "[\\s\\S]*?(?:-----END \\1PRIVATE KEY-----|$)"), "[REDACTED_PRIVATE_KEY]"),
            new Rule("bearer", Pattern.compile("(?i)\\b(bearer)\\s+[A-Za-z0-9._~+/=-]{8,}"),
                    "$1 [REDACTED_TOKEN]"),
            new Rule("api_key", Pattern.compile("\\bsk-[A-Za-z0-9_-]{16,}"),
                    "[REDACTED_API_KEY]"),
            new Rule("aws_key", Pattern.compile("\\b(?:AKIA|ASIA)[0-9A-Z]{16}\\b"),
                    "[REDACTED_AWS_KEY]"),
            new Rule("api_key", Pattern.compile("\\b(?:gh[pousr]_[A-Za-z0-9]{30,}"
                    + "|github_pat_[A-Za-z0-9_]{30,}|AIza[0-9A-Za-z_-]{35}"
                    + "|xox[abprs]-[A-Za-z0-9-]{10,}|hf_[A-Za-z0-9]{30,})"),
                    "[REDACTED_API_KEY]"),
            new Rule("password", Pattern.compile("(?i)\\b((?:password|passwd|pwd|secret"
                    + "|api[_-]?key|access[_-]?token)\\s*[=:]\\s*)"
                    + "(?!\\[REDACTED)[\"']?[^\\s\"',;]{6,}"
                    + "[\"']?"),
                    "$1[REDACTED_SECRET]"),
            new Rule("email", Pattern.compile("[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)*"
                    + "\\.[A-Za-z]{2,}"), "[REDACTED_EMAIL]"));

    private final List<Rule> rules;

    /**
     * Creates a scrubber with the built-in rules and extra patterns.
     *
     * @param extra extra regular expressions (blank ones are skipped)
     * @throws IllegalArgumentException when an extra pattern does not compile
     */
    Scrubber(final String... extra) {
        final List<Rule> all = new ArrayList<>(BUILT_IN);
        for (final String raw : extra == null ? new String[0] : extra) {
            if (raw == null || raw.isBlank()) {
                continue;
            }
            try {
                all.add(new Rule("custom", Pattern.compile(raw.trim()), "[REDACTED]"));
            } catch (final PatternSyntaxException e) {
                throw new IllegalArgumentException("scrubPatterns: bad pattern '" + raw + "': "
                        + e.getDescription(), e);
            }
        }
        this.rules = List.copyOf(all);
    }

    /**
     * Scrubs a text.
     *
     * @param text the text
     * @param counts where to count the redactions by kind (may be {@code null})
     * @return the text without secrets
     */
    String scrub(final String text, final Map<String, Integer> counts) {
        if (text == null || text.isEmpty()) {
            return text;
        }
        String out = text;
        for (final Rule rule : rules) {
            final Matcher matcher = rule.pattern().matcher(out);
            final StringBuilder replaced = new StringBuilder();
            int found = 0;
            while (matcher.find()) {
                if (matcher.group().startsWith("[REDACTED")) {
                    continue;
                }
                found++;
                matcher.appendReplacement(replaced, rule.replacement());
            }
            if (found > 0) {
                matcher.appendTail(replaced);
                out = replaced.toString();
                if (counts != null) {
                    counts.merge(rule.kind(), found, Integer::sum);
                }
            }
        }
        return out;
    }

    /**
     * Scrubs every string value of a JSON tree in place (keys are left alone).
     *
     * @param node the tree
     * @param counts where to count the redactions by kind (may be {@code null})
     * @return the number of redactions
     */
    int scrubTree(final JsonNode node, final Map<String, Integer> counts) {
        final Map<String, Integer> local = new LinkedHashMap<>();
        walk(node, local);
        int total = 0;
        for (final Map.Entry<String, Integer> entry : local.entrySet()) {
            total += entry.getValue();
            if (counts != null) {
                counts.merge(entry.getKey(), entry.getValue(), Integer::sum);
            }
        }
        return total;
    }

    private void walk(final JsonNode node, final Map<String, Integer> counts) {
        if (node instanceof ObjectNode object) {
            final Iterator<Map.Entry<String, JsonNode>> fields = object.fields();
            final Map<String, JsonNode> updates = new LinkedHashMap<>();
            while (fields.hasNext()) {
                final Map.Entry<String, JsonNode> field = fields.next();
                if (field.getValue().isTextual()) {
                    final String before = field.getValue().asText();
                    final String after = scrub(before, counts);
                    if (!after.equals(before)) {
                        updates.put(field.getKey(), TextNode.valueOf(after));
                    }
                } else {
                    walk(field.getValue(), counts);
                }
            }
            updates.forEach(object::set);
        } else if (node instanceof ArrayNode array) {
            for (int i = 0; i < array.size(); i++) {
                final JsonNode item = array.get(i);
                if (item.isTextual()) {
                    final String after = scrub(item.asText(), counts);
                    if (!after.equals(item.asText())) {
                        array.set(i, TextNode.valueOf(after));
                    }
                } else {
                    walk(item, counts);
                }
            }
        }
    }
}
