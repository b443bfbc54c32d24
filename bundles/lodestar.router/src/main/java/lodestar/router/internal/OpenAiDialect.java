package lodestar.router.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import lodestar.api.chat.ChatChunk;
import lodestar.api.chat.ChatResponse;
import lodestar.api.chat.Usage;

/**
 * OpenAI Chat Completions: chunks as {@code data:} events ending with {@code [DONE]}; the usage
 * chunk (which Lodestar always asks the upstream for) only when the client asked for it.
 */
final class OpenAiDialect implements ClientDialect {

    private static final byte[] NOTHING = new byte[0];
    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8);

    private final boolean clientWantsUsage;

    OpenAiDialect(final boolean clientWantsUsage) {
        this.clientWantsUsage = clientWantsUsage;
    }

    @Override
    public String endpoint() {
        return "/v1/chat/completions";
    }

    @Override
    public byte[] chunk(final ChatChunk chunk, final ObjectMapper mapper) throws IOException {
        if (chunk.isUsageOnly() && !clientWantsUsage) {
            return NOTHING;
        }
        final ChatChunk out = clientWantsUsage || chunk.usage() == null ? chunk
                : new ChatChunk(chunk.id(), chunk.object(), chunk.created(), chunk.model(),
                        chunk.choices(), null, chunk.extra());
        return ("data: " + mapper.writeValueAsString(out) + "\n\n")
                .getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public byte[] response(final ChatResponse answer, final ObjectMapper mapper)
            throws IOException {
        return mapper.writeValueAsBytes(answer);
    }

    @Override
    public byte[] end(final Usage usage, final ObjectMapper mapper) {
        return DONE.clone();
    }

    @Override
    public byte[] streamError(final ApiError error, final ObjectMapper mapper)
            throws IOException {
        final byte[] event = ("data: " + mapper.writeValueAsString(error.toJson()) + "\n\n")
                .getBytes(StandardCharsets.UTF_8);
        final byte[] out = new byte[event.length + DONE.length];
        System.arraycopy(event, 0, out, 0, event.length);
        System.arraycopy(DONE, 0, out, event.length, DONE.length);
        return out;
    }

    @Override
    public void error(final HttpServletResponse response, final ObjectMapper mapper,
            final ApiError error, final String requestId) throws IOException {
        Responses.error(response, mapper, error, requestId);
    }
}
