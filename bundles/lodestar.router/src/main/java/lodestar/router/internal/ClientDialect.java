package lodestar.router.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import lodestar.api.chat.ChatChunk;
import lodestar.api.chat.ChatResponse;
import lodestar.api.chat.Usage;

/**
 * How answers are written in the dialect the client spoke (OpenAI Chat Completions, Anthropic
 * Messages, OpenAI Responses), whatever dialect the provider spoke. One instance per request:
 * a streaming translation keeps state (open content blocks, tool indexes).
 */
interface ClientDialect {

    /** @return the client endpoint, for request events, e.g. {@code /v1/chat/completions} */
    String endpoint();

    /**
     * The bytes to send for one canonical stream chunk.
     *
     * @param chunk the chunk (a usage-only chunk included)
     * @param mapper JSON
     * @return the bytes, empty when nothing is sent for it
     * @throws IOException when JSON writing fails
     */
    byte[] chunk(ChatChunk chunk, ObjectMapper mapper) throws IOException;

    /**
     * The body of a complete (non-streamed) answer.
     *
     * @param answer the canonical answer
     * @param mapper JSON
     * @return the bytes
     * @throws IOException when JSON writing fails
     */
    byte[] response(ChatResponse answer, ObjectMapper mapper) throws IOException;

    /**
     * What ends a successful stream.
     *
     * @param usage the final usage, or {@code null} when unknown
     * @param mapper JSON
     * @return the bytes
     * @throws IOException when JSON writing fails
     */
    byte[] end(Usage usage, ObjectMapper mapper) throws IOException;

    /**
     * What ends a stream that failed after its first byte.
     *
     * @param error the error
     * @param mapper JSON
     * @return the bytes
     * @throws IOException when JSON writing fails
     */
    byte[] streamError(ApiError error, ObjectMapper mapper) throws IOException;

    /**
     * Answers an error before anything was sent, in the dialect's error shape.
     *
     * @param response the servlet response
     * @param mapper JSON
     * @param error the error
     * @param requestId the request id, or {@code null}
     * @throws IOException when the client is gone
     */
    void error(HttpServletResponse response, ObjectMapper mapper, ApiError error,
            String requestId) throws IOException;
}
