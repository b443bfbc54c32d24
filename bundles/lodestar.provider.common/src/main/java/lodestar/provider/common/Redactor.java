package lodestar.provider.common;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Makes messages safe to log and pass on: the key, bearer tokens and whatever the provider's
 * rules match removed, white space collapsed, at most {@value #MESSAGE_LIMIT} characters.
 */
public final class Redactor {

    /** Longest message passed on. */
    public static final int MESSAGE_LIMIT = 500;
    /** Keys of OpenAI-style APIs ({@code sk-}, {@code xai-}, {@code gsk_}, {@code pk-}, ...). */
    public static final Pattern KEY_LIKE = Pattern.compile(
            "(?i)(?<![A-Za-z0-9])(?:sk|xai|gsk|pk|rk)[-_][A-Za-z0-9_\\-*.]{6,}");

    private static final Pattern BEARER = Pattern.compile("(?i)bearer\\s+\\S+");
    private static final Pattern CONTROL = Pattern.compile("[\\p{Cntrl}\\s]+");

    private final List<Pattern> patterns;
    private final List<String> replacements;

    /** A redactor that removes the key and bearer tokens only; add rules with {@link #and}. */
    public Redactor() {
        this(List.of(), List.of());
    }

    private Redactor(final List<Pattern> patterns, final List<String> replacements) {
        this.patterns = patterns;
        this.replacements = replacements;
    }

    /**
     * A redactor with one more rule, applied after the key and bearer tokens are removed and
     * after the rules before it.
     *
     * @param pattern what to replace
     * @param replacement its replacement ({@code $1} refers to a group)
     * @return the new redactor; this one is unchanged
     */
    public Redactor and(final Pattern pattern, final String replacement) {
        final List<Pattern> morePatterns = new ArrayList<>(patterns);
        morePatterns.add(pattern);
        final List<String> moreReplacements = new ArrayList<>(replacements);
        moreReplacements.add(replacement);
        return new Redactor(List.copyOf(morePatterns), List.copyOf(moreReplacements));
    }

    /**
     * Makes a message safe.
     *
     * @param text the message
     * @param secret the API key, or {@code null}
     * @return the safe message
     */
    public String sanitize(final String text, final String secret) {
        String safe = text == null ? "" : text;
        if (secret != null && !secret.isEmpty()) {
            safe = safe.replace(secret, "[redacted]");
        }
        safe = BEARER.matcher(safe).replaceAll("Bearer [redacted]");
        for (int i = 0; i < patterns.size(); i++) {
            safe = patterns.get(i).matcher(safe).replaceAll(replacements.get(i));
        }
        safe = CONTROL.matcher(safe).replaceAll(" ").trim();
        return safe.length() > MESSAGE_LIMIT ? safe.substring(0, MESSAGE_LIMIT - 3) + "..." : safe;
    }
}
