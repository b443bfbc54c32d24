package lodestar.provider.anthropic.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Clock;
import lodestar.api.chat.Usage;
import lodestar.api.provider.FailureKind;
import lodestar.api.provider.ForwardListener;
import lodestar.api.provider.ProviderFailure;
import lodestar.provider.common.Exchange;
import lodestar.provider.common.SseReader;

/**
 * A forwarded Anthropic call ({@code messages}, {@code messages/count_tokens}): the answer is
 * passed on as bytes, unchanged (whole server-sent events for a stream), and its usage read on
 * the way: {@code message_start}'s {@code message.usage} and {@code message_delta}'s cumulative
 * {@code usage}, or a JSON message's {@code usage}. {@code message_stop} ends a stream; an
 * {@code error} event is passed on and then fails the call (output started).
 * {@code count_tokens} answers report no usage: counting is free.
 */
final class ForwardExchange extends Exchange<Settings> {

    /** Largest answer kept to read its usage; larger answers complete without usage. */
    static final int MAX_USAGE_SCAN_BYTES = 16 * 1024 * 1024;

    private final ForwardListener listener;
    private final UsageCounter usage = new UsageCounter();
    private SseReader events;
    private Body copy;

    ForwardExchange(final Settings settings, final ObjectMapper mapper, final Clock clock,
            final boolean stream, final ForwardListener listener) {
        super(settings, mapper, clock, stream, Failures.REDACTOR, Failures::httpError);
        this.listener = listener;
    }

    @Override
    protected void error(final ProviderFailure failure) {
        listener.onError(failure);
    }

    @Override
    protected void begin(final String type, final long contentLength) {
        final String contentType = type != null ? type
                : stream ? "text/event-stream" : "application/json";
        if (!deliver(() -> listener.onStart(contentType))) {
            return;
        }
        if (stream && isEventStream(contentType)) {
            events = new SseReader();
        } else {
            copy = new Body(MAX_USAGE_SCAN_BYTES, contentLength);
        }
    }

    @Override
    protected void content(final ByteBuffer bytes) throws IOException {
        if (events != null) {
            events.feed(bytes, this::onEvent);
            return;
        }
        if (!bytes.hasRemaining()) {
            return;
        }
        final byte[] piece = new byte[bytes.remaining()];
        bytes.get(piece);
        if (!deliver(() -> listener.onBytes(piece)) || copy == null) {
            return;
        }
        if (!copy.append(ByteBuffer.wrap(piece))) {
            copy = null;
        }
    }

    @Override
    protected void complete() throws IOException {
        if (events != null) {
            final SseReader.Event last = events.end();
            if (last == null || onEvent(last)) {
                fail(FailureKind.CONNECTION, status(), "stream ended before "
                        + ChatExchange.MESSAGE_STOP);
            }
            return;
        }
        final JsonNode tree = copy == null ? null : tree(copy.toByteArray());
        final Usage found = tree != null && "message".equals(tree.path("type").asText())
                ? new UsageCounter().merge(tree.get("usage")).toUsage() : null;
        finish(() -> listener.onComplete(found));
    }

    /** Passes one event on; {@code false} once the call is finished. */
    private boolean onEvent(final SseReader.Event event) {
        final byte[] raw = event.raw();
        if (!deliver(() -> listener.onBytes(raw))) {
            return false;
        }
        final String data = event.data() == null ? "" : event.data();
        final String type = event.type() != null ? event.type().trim() : guessType(data);
        switch (type) {
            case "message_start" -> {
                final JsonNode node = tree(data);
                usage.merge(node == null ? null : node.path("message").get("usage"));
            }
            case "message_delta" -> {
                final JsonNode node = tree(data);
                usage.merge(node == null ? null : node.get("usage"));
            }
            case ChatExchange.MESSAGE_STOP -> {
                final Usage last = usage.toUsage();
                finish(() -> listener.onComplete(last));
                return false;
            }
            case "error" -> {
                final JsonNode node = tree(data);
                fail(Failures.inlineError(node == null ? mapper.createObjectNode()
                        : node.path("error"),
                        status(), true, settings.apiKey()));
                return false;
            }
            default -> {
                // deltas, pings, block boundaries: passed on, nothing to read
            }
        }
        return true;
    }

    /** The type of an event without an {@code event:} line, read from its data. */
    private String guessType(final String data) {
        if (!data.contains("\"message_") && !data.contains("\"error\"")) {
            return "";
        }
        final JsonNode node = tree(data);
        return node == null ? "" : node.path("type").asText("");
    }

    private JsonNode tree(final String text) {
        try {
            return mapper.readTree(text);
        } catch (final IOException e) {
            return null;
        }
    }

    private JsonNode tree(final byte[] bytes) {
        try {
            return mapper.readTree(bytes);
        } catch (final IOException e) {
            return null;
        }
    }
}
