package lodestar.provider.anthropic.internal;

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

/**
 * A translated chat call: an Anthropic message translated into one {@link ChatResponse}, or an
 * Anthropic event stream translated event by event ({@link StreamTranslator}) into chunks and
 * ended by {@code message_stop}.
 */
final class ChatExchange extends Exchange<Settings> {

    /** Largest non-streamed answer accepted. */
    static final int MAX_ANSWER_BYTES = 32 * 1024 * 1024;
    /** The event that ends a stream. */
    static final String MESSAGE_STOP = "message_stop";

    private final ChatListener listener;
    private final long created;
    private String contentType;
    private SseReader events;
    private StreamTranslator translator;
    private Body answer;

    ChatExchange(final Settings settings, final ObjectMapper mapper, final Clock clock,
            final boolean stream, final ChatListener listener) {
        super(settings, mapper, clock, stream, Failures.REDACTOR, Failures::httpError);
        this.listener = listener;
        this.created = clock.instant().getEpochSecond();
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
            translator = new StreamTranslator(created);
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
                fail(FailureKind.CONNECTION, status(), "stream ended before " + MESSAGE_STOP);
            }
            return;
        }
        final int status = status();
        final JsonNode tree = mapper.readTree(answer.array(), 0, answer.size());
        if (tree == null || !tree.isObject()) {
            fail(FailureKind.PROTOCOL, status, "upstream answer is not a JSON object");
            return;
        }
        if ("error".equals(tree.path("type").asText()) || tree.has("error")
                && !tree.has("content")) {
            fail(Failures.inlineError(tree.path("error"), status, false, settings.apiKey()));
            return;
        }
        if (stream) {
            fail(FailureKind.PROTOCOL, status, "expected text/event-stream, got "
                    + contentType);
            return;
        }
        if (!"message".equals(tree.path("type").asText())) {
            fail(FailureKind.PROTOCOL, status, "upstream answer is not an Anthropic message");
            return;
        }
        final ChatResponse response = ResponseTranslator.toResponse(mapper, tree, created);
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
        final JsonNode node = mapper.readTree(data);
        if (node == null || !node.isObject()) {
            fail(FailureKind.PROTOCOL, status, "stream event is not a JSON object");
            return false;
        }
        final String type = node.path("type").asText(event.type() == null ? "" : event.type());
        if ("error".equals(type)) {
            fail(Failures.inlineError(node.path("error"), status, outputStarted(),
                    settings.apiKey()));
            return false;
        }
        for (final ChatChunk chunk : translator.onEvent(type, node)) {
            if (!deliver(() -> listener.onChunk(chunk))) {
                return false;
            }
        }
        if (translator.done()) {
            final Usage last = translator.usage();
            finish(() -> listener.onComplete(last));
            return false;
        }
        return true;
    }
}
