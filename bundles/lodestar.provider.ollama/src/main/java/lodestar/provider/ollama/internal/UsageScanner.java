package lodestar.provider.ollama.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.async.ByteArrayFeeder;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.util.TokenBuffer;
import java.io.IOException;
import lodestar.api.chat.Usage;

/**
 * Finds the top-level {@code usage} object of a JSON answer while its bytes pass through,
 * without keeping the answer (an embeddings answer can be large).
 */
final class UsageScanner {

    private final ObjectMapper mapper;
    private final JsonParser parser;
    private final ByteArrayFeeder feeder;
    private int depth;
    private TokenBuffer capture;
    private int captureDepth;
    private boolean failed;
    private Usage usage;

    /**
     * Creates a scanner.
     *
     * @param mapper the mapper that reads the usage
     */
    UsageScanner(final ObjectMapper mapper) {
        this.mapper = mapper;
        JsonParser created;
        try {
            created = mapper.getFactory().createNonBlockingByteArrayParser();
        } catch (final IOException e) {
            created = null;
            failed = true;
        }
        this.parser = created;
        this.feeder = created == null ? null
                : (ByteArrayFeeder) created.getNonBlockingInputFeeder();
    }

    /**
     * Adds the next bytes of the answer.
     *
     * @param data the bytes
     * @param length how many of them
     */
    void feed(final byte[] data, final int length) {
        if (failed) {
            return;
        }
        try {
            feeder.feedInput(data, 0, length);
            drain();
        } catch (final IOException e) {
            failed = true;
        }
    }

    /**
     * Ends the answer.
     *
     * @return the usage found, or {@code null} (none, or the answer is not JSON)
     */
    Usage finish() {
        if (!failed) {
            try {
                feeder.endOfInput();
                drain();
            } catch (final IOException e) {
                failed = true;
            }
        }
        return usage;
    }

    private void drain() throws IOException {
        JsonToken token;
        while ((token = parser.nextToken()) != null && token != JsonToken.NOT_AVAILABLE) {
            if (capture != null) {
                capture.copyCurrentEvent(parser);
                if (token.isStructStart()) {
                    captureDepth++;
                } else if (token.isStructEnd()) {
                    captureDepth--;
                }
                if (captureDepth == 0) {
                    usage = read(capture);
                    capture = null;
                }
            } else if (token.isStructStart()) {
                depth++;
            } else if (token.isStructEnd()) {
                depth--;
            } else if (token == JsonToken.FIELD_NAME && depth == 1
                    && "usage".equals(parser.currentName())) {
                capture = new TokenBuffer(parser);
                captureDepth = 0;
            }
        }
    }

    private Usage read(final TokenBuffer buffer) {
        try (JsonParser usageParser = buffer.asParser(mapper)) {
            final Usage read = mapper.readValue(usageParser, Usage.class);
            return read == null ? usage : read;
        } catch (final IOException e) {
            return usage;
        }
    }
}
