package lodestar.provider.openai.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.util.Arrays;
import lodestar.api.chat.Usage;
import lodestar.api.provider.FailureKind;
import lodestar.api.provider.ForwardListener;
import lodestar.api.provider.ProviderFailure;

/**
 * A forwarded call ({@code embeddings}, {@code completions}): the answer is passed on as bytes,
 * whole server-sent events for a stream, and its {@code usage} read on the way.
 */
final class ForwardExchange extends Exchange {

    /** Largest answer kept to read its usage; larger answers complete without usage. */
    static final int MAX_USAGE_SCAN_BYTES = 16 * 1024 * 1024;
    private static final int CHUNK = 64 * 1024;

    private final ForwardListener listener;

    ForwardExchange(final Settings settings, final ObjectMapper mapper, final Clock clock,
            final boolean stream, final ForwardListener listener) {
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
        final String contentType = response.headers().firstValue("content-type")
                .orElse(stream ? "text/event-stream" : "application/json");
        if (!deliver(() -> listener.onStart(contentType))) {
            return;
        }
        markOutputStarted();
        if (stream && isEventStream(contentType)) {
            readStream(status, in);
        } else {
            readWhole(in);
        }
    }

    private void readStream(final int status, final InputStream in) throws IOException {
        final SseReader reader = new SseReader(in);
        Usage usage = null;
        for (SseReader.Event event = reader.next(); event != null; event = reader.next()) {
            final byte[] raw = event.raw();
            if (!deliver(() -> listener.onBytes(raw))) {
                return;
            }
            final String data = event.data() == null ? "" : event.data().trim();
            if ("[DONE]".equals(data)) {
                final Usage last = usage;
                finish(() -> listener.onComplete(last));
                return;
            }
            if (data.contains("\"error\"")) {
                final JsonNode node = tree(data);
                if (node != null && node.has("error") && !node.has("choices")) {
                    fail(Failures.inlineError(node.get("error"), status, true,
                            settings.apiKey()));
                    return;
                }
            }
            if (data.contains("\"usage\"")) {
                final Usage found = usage(tree(data));
                usage = found != null ? found : usage;
            }
        }
        fail(FailureKind.CONNECTION, status, "stream ended before [DONE]");
    }

    private void readWhole(final InputStream in) throws IOException {
        ByteArrayOutputStream copy = new ByteArrayOutputStream();
        final byte[] buffer = new byte[CHUNK];
        for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
            if (n == 0) {
                continue;
            }
            final byte[] piece = Arrays.copyOf(buffer, n);
            if (!deliver(() -> listener.onBytes(piece))) {
                return;
            }
            if (copy != null && copy.size() + n <= MAX_USAGE_SCAN_BYTES) {
                copy.write(piece, 0, n);
            } else {
                copy = null;
            }
        }
        final Usage usage = copy == null ? null : usage(tree(copy.toByteArray()));
        finish(() -> listener.onComplete(usage));
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
