package lodestar.learning.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Decides which stored exchanges are fit to train on, and counts every rejection by reason.
 * Checks, in this order: explicit feedback (a negative rating always excludes; with
 * {@code requirePositiveFeedback} an unrated exchange too), success (an answer with choices and
 * no error), the finish reason ({@code stop} by default: truncated answers are excluded), text
 * content, refusals (regular expression), length bounds, then exact and near duplicates of an
 * exchange kept earlier (so rejected exchanges never shadow good ones). Secrets are scrubbed
 * from what is kept. One instance per dataset build; not thread-safe.
 */
final class QualityFilter {

    /** Rejection reasons, in the order they are checked. */
    static final List<String> REASONS = List.of("unparsable", "negative_feedback", "unrated",
            "not_successful", "finish_reason", "unsupported_content", "refused",
            "prompt_too_short", "prompt_too_long", "answer_too_short", "answer_too_long",
            "duplicate", "near_duplicate");

    /** The settings a build ran with (recorded in the manifest). */
    record Settings(List<String> acceptFinishReasons, String refusalPattern,
            int minPromptChars, int maxPromptChars, int minAnswerChars, int maxAnswerChars,
            double nearDuplicateThreshold, int shingleWords, boolean requirePositiveFeedback,
            int validationPercent, List<String> scrubPatterns) {

        static Settings of(final LearningConfig config) {
            return new Settings(list(config.acceptFinishReasons()).stream()
                    .map(s -> s.toLowerCase(Locale.ROOT)).toList(),
                    config.refusalPattern() == null ? "" : config.refusalPattern(),
                    config.minPromptChars(), config.maxPromptChars(), config.minAnswerChars(),
                    config.maxAnswerChars(), config.nearDuplicateThreshold(),
                    config.shingleWords(), config.requirePositiveFeedback(),
                    Math.max(0, Math.min(50, config.validationPercent())),
                    Arrays.stream(config.scrubPatterns()).filter(s -> !s.isBlank()).toList());
        }

        /**
         * The values of a list setting: array elements, each also split at commas (a
         * {@code .cfg} file gives one string).
         *
         * @param values the values
         * @return trimmed, non-empty values
         */
        static List<String> list(final String[] values) {
            return Arrays.stream(values == null ? new String[0] : values)
                    .flatMap(v -> Arrays.stream(v.split(","))).map(String::trim)
                    .filter(v -> !v.isEmpty()).toList();
        }
    }

    private final ObjectMapper mapper = new ObjectMapper();
    private final Settings settings;
    private final Pattern refusal;
    private final Scrubber scrubber;
    private final Map<String, Double> ratings;
    private final MinHash duplicates;
    private final Map<String, Long> rejected = new LinkedHashMap<>();
    private final Map<String, Integer> redactions = new LinkedHashMap<>();

    /**
     * Creates a filter.
     *
     * @param settings the rules
     * @param ratings explicit feedback by request id
     * @throws IllegalArgumentException on a bad refusal or scrub pattern
     */
    QualityFilter(final Settings settings, final Map<String, Double> ratings) {
        this.settings = settings;
        this.ratings = ratings;
        try {
            this.refusal = settings.refusalPattern().isBlank() ? null
                    : Pattern.compile(settings.refusalPattern());
        } catch (final PatternSyntaxException e) {
            throw new IllegalArgumentException("refusalPattern: " + e.getDescription(), e);
        }
        this.scrubber = new Scrubber(settings.scrubPatterns().toArray(String[]::new));
        this.duplicates = new MinHash(settings.shingleWords(),
                settings.nearDuplicateThreshold());
        for (final String reason : REASONS) {
            rejected.put(reason, 0L);
        }
    }

    /**
     * Judges one exchange.
     *
     * @param exchange the stored exchange
     * @return the conversation to train on (scrubbed), or empty when rejected (counted)
     */
    Optional<Conversation> accept(final LearningStore.Exchange exchange) {
        final String reason;
        final Conversation[] kept = new Conversation[1];
        reason = judge(exchange, kept);
        if (reason != null) {
            rejected.merge(reason, 1L, Long::sum);
            return Optional.empty();
        }
        return Optional.of(kept[0]);
    }

    private String judge(final LearningStore.Exchange exchange, final Conversation[] kept) {
        final JsonNode request;
        final JsonNode answer;
        try {
            request = mapper.readTree(exchange.requestJson());
            answer = mapper.readTree(exchange.answerJson());
        } catch (final IOException | RuntimeException e) {
            return "unparsable";
        }
        if (request == null || answer == null || request.isMissingNode()
                || answer.isMissingNode()) {
            return "unparsable";
        }
        final Double rating = ratings.get(exchange.requestId());
        if (rating != null && rating < 0) {
            return "negative_feedback";
        }
        if (settings.requirePositiveFeedback() && (rating == null || rating <= 0)) {
            return "unrated";
        }
        if (answer.has("error") || !answer.path("choices").isArray()
                || answer.path("choices").isEmpty()) {
            return "not_successful";
        }
        final String finish = exchange.finishReason() != null ? exchange.finishReason()
                : answer.path("choices").path(0).path("finish_reason").asText("");
        if (!settings.acceptFinishReasons().contains(finish.toLowerCase(Locale.ROOT))) {
            return "finish_reason";
        }
        scrubber.scrubTree(request, redactions);
        scrubber.scrubTree(answer, redactions);
        final Conversation conversation;
        try {
            conversation = Conversation.of(request, answer);
        } catch (final Conversation.Unsupported e) {
            return "unsupported_content";
        }
        if (refusal != null && refusal.matcher(conversation.answerText()).find()) {
            return "refused";
        }
        final String length = length(conversation);
        if (length != null) {
            return length;
        }
        switch (duplicates.offer(conversation.dedupText())) {
            case DUPLICATE:
                return "duplicate";
            case NEAR_DUPLICATE:
                return "near_duplicate";
            default:
                kept[0] = conversation;
                return null;
        }
    }

    private String length(final Conversation conversation) {
        if (conversation.lastUserText().strip().length() < settings.minPromptChars()) {
            return "prompt_too_short";
        }
        if (conversation.promptChars() > settings.maxPromptChars()) {
            return "prompt_too_long";
        }
        final int answer = conversation.answerText().strip().length();
        if (answer < Math.max(1, settings.minAnswerChars())) {
            return "answer_too_short";
        }
        if (answer > settings.maxAnswerChars()) {
            return "answer_too_long";
        }
        return null;
    }

    /** @return rejections by reason, every reason listed */
    Map<String, Long> rejected() {
        return new LinkedHashMap<>(rejected);
    }

    /** @return redactions made while filtering, by kind */
    Map<String, Integer> redactions() {
        return new LinkedHashMap<>(redactions);
    }

    /** @return the settings */
    Settings settings() {
        return settings;
    }
}
