package lodestar.provider.openai.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Clock;
import lodestar.api.chat.ChatChunk;
import lodestar.api.chat.ChatResponse;
import lodestar.api.chat.Usage;
import lodestar.api.provider.ChatListener;
import lodestar.api.provider.FailureKind;
import lodestar.api.provider.ProviderFailure;
import lodestar.provider.common.Exchange;
import lodestar.provider.common.SseReader;

/** A chat completion call: a JSON answer, or a stream of chunks ended by {@code [DONE]}. */
final class ChatExchange extends Exchange<Settings> {

    /** Largest non-streamed answer accepted. */
    static final int MAX_ANSWER_BYTES = 32 * 1024 * 1024;
    private static final String DONE = "[DONE]";

    private final ChatListener listener;
    private String contentType;
    private SseReader events;
    private Body answer;
    private Usage usage;

    ChatExchange(final Settings settings, final ObjectMapper mapper, final Clock clock,
            final boolean stream, final ChatListener listener) {
        super(settings, mapper, clock, stream, Failures.REDACTOR, Failures::httpError);
        this.listener = listener;
    }

    @Override
    protected void error(final ProviderFailure failure) {
        listener.onError(failure);
    }

    @Override
    protected void begin(final String type, final long contentLength) {
        contentType = type;
        if (stream && isEventStream(type)) {
            events = new SseReader();
        } else {
            answer = new Body(MAX_ANSWER_BYTES, contentLength);
        }
    }

    @Override
    protected void content(final ByteBuffer bytes) throws IOException {
        if (events != null) {
            events.feed(bytes, this::onEvent);
        } else if (!answer.append(bytes)) {
            fail(FailureKind.PROTOCOL, status(), "answer larger than " + MAX_ANSWER_BYTES
                    + " bytes");
        }
    }

    @Override
    protected void complete() throws IOException {
        if (events != null) {
            final SseReader.Event last = events.end();
            if (last == null || onEvent(last)) {
                fail(FailureKind.CONNECTION, status(), "stream ended before [DONE]");
            }
            return;
        }
        final int status = status();
        final JsonNode tree = mapper.readTree(answer.array(), 0, answer.size());
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
        final ChatResponse response = mapper.treeToValue(tree, ChatResponse.class);
        if (deliver(() -> listener.onResponse(response))) {
            finish(() -> listener.onComplete(response.usage()));
        }
    }

    /** Handles one event of a stream; {@code false} once the call is finished. */
    private boolean onEvent(final SseReader.Event event) throws IOException {
        if (isFinished()) {
            return false;
        }
        final String data = event.data() == null ? "" : event.data().trim();
        if (data.isEmpty()) {
            return true;
        }
        final int status = status();
        if (DONE.equals(data)) {
            final Usage last = usage;
            finish(() -> listener.onComplete(last));
            return false;
        }
        final JsonNode node = mapper.readTree(data);
        if (node == null || !node.isObject()) {
            fail(FailureKind.PROTOCOL, status, "stream event is not a JSON object");
            return false;
        }
        if ("error".equals(event.type()) || node.has("error") && !node.has("choices")) {
            fail(Failures.inlineError(node.has("error") ? node.get("error") : node, status,
                    outputStarted(), settings.apiKey()));
            return false;
        }
        final ChatChunk chunk = mapper.treeToValue(node, ChatChunk.class);
        if (chunk.usage() != null) {
            usage = chunk.usage();
        }
        if (!deliver(() -> listener.onChunk(chunk))) {
            return false;
        }
        return true;
    }
}
