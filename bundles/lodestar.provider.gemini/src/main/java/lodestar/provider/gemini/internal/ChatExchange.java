package lodestar.provider.gemini.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.function.Supplier;
import lodestar.api.chat.ChatChunk;
import lodestar.api.chat.ChatResponse;
import lodestar.api.chat.Usage;
import lodestar.api.provider.ChatListener;
import lodestar.api.provider.FailureKind;
import lodestar.api.provider.ProviderFailure;
import lodestar.provider.common.Exchange;
import lodestar.provider.common.SseReader;

/**
 * A {@code generateContent} call (one JSON answer) or a {@code streamGenerateContent?alt=sse}
 * call (server-sent events, each a whole {@code GenerateContentResponse}; the stream ends when
 * the connection does, there is no {@code [DONE]}), translated into canonical answers or chunks
 * as they arrive.
 */
final class ChatExchange extends Exchange<Settings> {

    /** Largest non-streamed answer accepted. */
    static final int MAX_ANSWER_BYTES = 32 * 1024 * 1024;

    private final ChatListener listener;
    private final String model;
    private final boolean includeUsage;
    private final Supplier<String> callIds;
    private String contentType;
    private SseReader events;
    private GeminiResponses.Stream chunks;
    private Body answer;

    /**
     * A call.
     *
     * @param settings the settings in force
     * @param mapper the JSON mapper
     * @param clock the clock (creation times, {@code Retry-After} dates)
     * @param stream whether the answer is streamed
     * @param model the model id to report in answers
     * @param includeUsage whether a stream ends with a usage-only chunk
     * @param callIds makes ids for tool calls that come without one
     * @param listener the listener
     */
    ChatExchange(final Settings settings, final ObjectMapper mapper, final Clock clock,
            final boolean stream, final String model, final boolean includeUsage,
            final Supplier<String> callIds, final ChatListener listener) {
        super(settings, mapper, clock, stream, Failures.REDACTOR, Failures::httpError);
        this.model = model;
        this.includeUsage = includeUsage;
        this.callIds = callIds;
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
            chunks = new GeminiResponses.Stream(model, clock.instant().getEpochSecond(),
                    callIds);
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
            if (last != null && !onEvent(last)) {
                return;
            }
            if (!chunks.finished()) {
                fail(FailureKind.CONNECTION, status(), "stream ended before a finishReason");
                return;
            }
            final Usage usage = chunks.usage();
            final ChatChunk usageChunk = chunks.usageChunk();
            if (includeUsage && usageChunk != null
                    && !deliver(() -> listener.onChunk(usageChunk))) {
                return;
            }
            finish(() -> listener.onComplete(usage));
            return;
        }
        final int status = status();
        JsonNode tree = mapper.readTree(answer.array(), 0, answer.size());
        if (tree != null && tree.isArray() && tree.size() > 0 && tree.get(0).has("error")) {
            tree = tree.get(0);
        }
        if (tree == null || !tree.isObject()) {
            fail(FailureKind.PROTOCOL, status, "upstream answer is not a JSON object");
            return;
        }
        if (tree.has("error") && !tree.has("candidates")) {
            fail(Failures.inlineError(tree.get("error"), status, false, settings.apiKey()));
            return;
        }
        if (stream) {
            fail(FailureKind.PROTOCOL, status, "expected text/event-stream, got "
                    + contentType);
            return;
        }
        final String blocked = GeminiResponses.blocked(tree);
        if (blocked != null) {
            fail(FailureKind.BAD_REQUEST, status, blocked);
            return;
        }
        final ChatResponse response = GeminiResponses.response(tree, model,
                clock.instant().getEpochSecond(), callIds);
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
        if (node.has("error") && !node.has("candidates")) {
            fail(Failures.inlineError(node.get("error"), status, outputStarted(),
                    settings.apiKey()));
            return false;
        }
        final String blocked = GeminiResponses.blocked(node);
        if (blocked != null) {
            fail(FailureKind.BAD_REQUEST, status, blocked);
            return false;
        }
        for (final ChatChunk chunk : chunks.onEvent(node)) {
            // marked first: a stop racing with this delivery must report output as started
            if (!deliver(() -> listener.onChunk(chunk))) {
                return false;
            }
        }
        return true;
    }
}
