package lodestar.provider.openai.internal;

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
 * A forwarded call ({@code embeddings}, {@code completions}): the answer is passed on as bytes,
 * whole server-sent events for a stream, and its {@code usage} read on the way.
 */
final class ForwardExchange extends Exchange<Settings> {

    /** Largest answer kept to read its usage; larger answers complete without usage. */
    static final int MAX_USAGE_SCAN_BYTES = 16 * 1024 * 1024;

    private final ForwardListener listener;
    private SseReader events;
    private Body copy;
    private Usage usage;

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
                fail(FailureKind.CONNECTION, status(), "stream ended before [DONE]");
            }
            return;
        }
        final Usage found = copy == null ? null : usage(tree(copy.toByteArray()));
        finish(() -> listener.onComplete(found));
    }

    /** Passes one event on; {@code false} once the call is finished. */
    private boolean onEvent(final SseReader.Event event) {
        final byte[] raw = event.raw();
        if (!deliver(() -> listener.onBytes(raw))) {
            return false;
        }
        final String data = event.data() == null ? "" : event.data().trim();
        if ("[DONE]".equals(data)) {
            final Usage last = usage;
            finish(() -> listener.onComplete(last));
            return false;
        }
        if (data.contains("\"error\"")) {
            final JsonNode node = tree(data);
            if (node != null && node.has("error") && !node.has("choices")) {
                fail(Failures.inlineError(node.get("error"), status(), true,
                        settings.apiKey()));
                return false;
            }
        }
        if (data.contains("\"usage\"")) {
            final Usage found = usage(tree(data));
            usage = found != null ? found : usage;
        }
        return true;
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

    private Usage usage(final JsonNode node) {
        if (node == null || !node.path("usage").isObject()) {
            return null;
        }
        try {
            return mapper.treeToValue(node.get("usage"), Usage.class);
        } catch (final IOException | IllegalArgumentException e) {
            return null;
        }
    }
}
