package lodestar.provider.anthropic.internal;

import com.fasterxml.jackson.databind.JsonNode;
import lodestar.api.chat.Usage;

/**
 * Collects Anthropic usage ({@code input_tokens}, {@code output_tokens},
 * {@code cache_read_input_tokens}, {@code cache_creation_input_tokens}) from a message or from
 * the {@code message_start} and {@code message_delta} events of a stream, where later values
 * replace earlier ones (Anthropic's counts in {@code message_delta} are cumulative).
 *
 * <p>Canonical usage: {@code prompt_tokens} = {@code input_tokens} +
 * {@code cache_read_input_tokens} + {@code cache_creation_input_tokens} (Anthropic's
 * {@code input_tokens} counts only the uncached part, OpenAI's {@code prompt_tokens} counts all
 * input); {@code completion_tokens} = {@code output_tokens};
 * {@code prompt_tokens_details.cached_tokens} = {@code cache_read_input_tokens} and
 * {@code cache_creation_tokens} = {@code cache_creation_input_tokens}, present when the upstream
 * reported either. Not thread-safe.
 */
final class UsageCounter {

    private Long input;
    private Long output;
    private Long cacheRead;
    private Long cacheCreation;

    /**
     * Takes the counts present in a {@code usage} object.
     *
     * @param usage the object, or a missing/null node (ignored)
     * @return this
     */
    UsageCounter merge(final JsonNode usage) {
        if (usage == null || !usage.isObject()) {
            return this;
        }
        input = number(usage, "input_tokens", input);
        output = number(usage, "output_tokens", output);
        cacheRead = number(usage, "cache_read_input_tokens", cacheRead);
        cacheCreation = number(usage, "cache_creation_input_tokens", cacheCreation);
        return this;
    }

    private static Long number(final JsonNode usage, final String name, final Long previous) {
        final JsonNode value = usage.get(name);
        return value != null && value.canConvertToLong() ? Long.valueOf(value.asLong())
                : previous;
    }

    /**
     * The canonical usage.
     *
     * @return the usage, or {@code null} when no count was seen
     */
    Usage toUsage() {
        if (input == null && output == null && cacheRead == null && cacheCreation == null) {
            return null;
        }
        final long read = cacheRead == null ? 0 : cacheRead;
        final long written = cacheCreation == null ? 0 : cacheCreation;
        final long prompt = (input == null ? 0 : input) + read + written;
        final long completion = output == null ? 0 : output;
        final Usage.PromptTokensDetails details = cacheRead == null && cacheCreation == null
                ? null : new Usage.PromptTokensDetails(read, written);
        return new Usage(prompt, completion, prompt + completion, details, null);
    }
}
