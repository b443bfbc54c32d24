package lodestar.provider.ollama.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.Consumer;
import lodestar.api.chat.ChatChunk;
import lodestar.api.chat.ChatResponse;
import lodestar.api.chat.Usage;
import lodestar.api.provider.ChatListener;
import lodestar.api.provider.FailureKind;
import lodestar.api.provider.ProviderFailure;

/** A native {@code /api/chat} call: NDJSON lines to canonical chunks, or one answer. */
final class ChatExchange extends Exchange {

    /** Longest NDJSON line, and longest complete answer, accepted. */
    static final int MAX_LINE = 16 * 1024 * 1024;

    private final ChatListener listener;
    private final OllamaTranslator translator;
    private final String id;
    private final String model;
    private final boolean stream;

    ChatExchange(final Consumer<Exchange> onFinish, final ObjectMapper mapper,
            final String baseUrl, final Duration firstByteTimeout, final ChatListener listener,
            final OllamaTranslator translator, final String id, final String model,
            final boolean stream) {
        super(onFinish, mapper, baseUrl, firstByteTimeout);
        this.listener = listener;
        this.translator = translator;
        this.id = id;
        this.model = model;
        this.stream = stream;
    }

    @Override
    void read(final HttpResponse<InputStream> response, final InputStream in)
            throws IOException {
        final int status = response.statusCode();
        if (!stream) {
            final byte[] bytes = in.readNBytes(MAX_LINE + 1);
            if (bytes.length > MAX_LINE) {
                fail(FailureKind.PROTOCOL, status, "the answer of Ollama is longer than "
                        + MAX_LINE + " bytes");
                return;
            }
            final JsonNode answer = parse(bytes, status);
            if (answer == null) {
                return;
            }
            final ChatResponse translated = translator.response(answer, id, model);
            if (deliver(() -> listener.onResponse(translated), true)) {
                complete(translated.usage());
            }
            return;
        }
        final LineReader lines = new LineReader(in, MAX_LINE);
        final OllamaTranslator.Stream state = translator.stream(id, model);
        byte[] line;
        while ((line = lines.next()) != null) {
            if (isFinished()) {
                return;
            }
            if (isBlank(line)) {
                continue;
            }
            final JsonNode node = parse(line, status);
            if (node == null) {
                return;
            }
            for (final ChatChunk chunk : state.next(node)) {
                if (!deliver(() -> listener.onChunk(chunk), true)) {
                    return;
                }
            }
            if (state.done()) {
                complete(state.usage());
                return;
            }
        }
        fail(FailureKind.CONNECTION, status,
                "the stream from Ollama ended before its final (done) line");
    }

    /** Parses a line; on an error line or invalid JSON ends the call and answers null. */
    private JsonNode parse(final byte[] line, final int status) {
        if (isBlank(line)) {
            fail(FailureKind.PROTOCOL, status, "empty answer from Ollama");
            return null;
        }
        final JsonNode node;
        try {
            node = mapper.readTree(line);
        } catch (final JsonProcessingException e) {
            fail(FailureKind.PROTOCOL, status, "invalid JSON from Ollama: "
                    + e.getOriginalMessage());
            return null;
        } catch (final IOException e) {
            fail(FailureKind.PROTOCOL, status, "unreadable answer from Ollama");
            return null;
        }
        if (node == null || !node.isObject()) {
            fail(FailureKind.PROTOCOL, status, "answer line from Ollama is not a JSON object");
            return null;
        }
        final String error = OllamaTranslator.error(node);
        if (error != null) {
            fail(FailureKind.SERVER_ERROR, status, error);
            return null;
        }
        return node;
    }

    private static boolean isBlank(final byte[] line) {
        for (final byte b : line) {
            if (b != ' ' && b != '\t' && b != '\r') {
                return false;
            }
        }
        return true;
    }

    @Override
    void notifyComplete(final Usage usage) {
        listener.onComplete(usage);
    }

    @Override
    void notifyError(final ProviderFailure failure) {
        listener.onError(failure);
    }
}
