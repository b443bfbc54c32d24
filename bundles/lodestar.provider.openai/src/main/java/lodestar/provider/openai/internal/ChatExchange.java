package lodestar.provider.openai.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.time.Clock;
import lodestar.api.chat.ChatChunk;
import lodestar.api.chat.ChatResponse;
import lodestar.api.chat.Usage;
import lodestar.api.provider.ChatListener;
import lodestar.api.provider.FailureKind;
import lodestar.api.provider.ProviderFailure;

/** A chat completion call: a JSON answer, or a stream of chunks ended by {@code [DONE]}. */
final class ChatExchange extends Exchange {

    /** Largest non-streamed answer accepted. */
    static final int MAX_ANSWER_BYTES = 32 * 1024 * 1024;
    private static final String DONE = "[DONE]";

    private final ChatListener listener;

    ChatExchange(final Settings settings, final ObjectMapper mapper, final Clock clock,
            final boolean stream, final ChatListener listener) {
        super(settings, mapper, clock, stream);
        this.listener = listener;
    }

    @Override
    protected void error(final ProviderFailure failure) {
        listener.onError(failure);
    }

    @Override
    protected void success(final HttpResponse<InputStream> response, final InputStream in)
            throws IOException {
        final int status = response.statusCode();
        final String contentType = response.headers().firstValue("content-type").orElse(null);
        if (stream && isEventStream(contentType)) {
            readStream(status, in);
            return;
        }
        final byte[] bytes = readUpTo(in, MAX_ANSWER_BYTES + 1);
        if (bytes.length > MAX_ANSWER_BYTES) {
            fail(FailureKind.PROTOCOL, status, "answer larger than " + MAX_ANSWER_BYTES
                    + " bytes");
            return;
        }
        final JsonNode tree = mapper.readTree(bytes);
        if (tree == null || !tree.isObject()) {
            fail(FailureKind.PROTOCOL, status, "upstream answer is not a JSON object");
            return;
        }
        if (tree.has("error") && !tree.has("choices")) {
            fail(Failures.inlineError(tree.get("error"), status, false, settings.apiKey()));
            return;
        }
        if (stream) {
            fail(FailureKind.PROTOCOL, status, "expected text/event-stream, got "
                    + contentType);
            return;
        }
        final ChatResponse answer = mapper.treeToValue(tree, ChatResponse.class);
        if (deliver(() -> listener.onResponse(answer))) {
            markOutputStarted();
            finish(() -> listener.onComplete(answer.usage()));
        }
    }

    private void readStream(final int status, final InputStream in) throws IOException {
        final SseReader reader = new SseReader(in);
        Usage usage = null;
        for (SseReader.Event event = reader.next(); event != null; event = reader.next()) {
            if (isFinished()) {
                return;
            }
            final String data = event.data() == null ? "" : event.data().trim();
            if (data.isEmpty()) {
                continue;
            }
            if (DONE.equals(data)) {
                final Usage last = usage;
                finish(() -> listener.onComplete(last));
                return;
            }
            final JsonNode node = mapper.readTree(data);
            if (node == null || !node.isObject()) {
                fail(FailureKind.PROTOCOL, status, "stream event is not a JSON object");
                return;
            }
            if ("error".equals(event.type()) || node.has("error") && !node.has("choices")) {
                fail(Failures.inlineError(node.has("error") ? node.get("error") : node, status,
                        outputStarted(), settings.apiKey()));
                return;
            }
            final ChatChunk chunk = mapper.treeToValue(node, ChatChunk.class);
            if (chunk.usage() != null) {
                usage = chunk.usage();
            }
            if (!deliver(() -> listener.onChunk(chunk))) {
                return;
            }
            markOutputStarted();
        }
        fail(FailureKind.CONNECTION, status, "stream ended before [DONE]");
    }
}
