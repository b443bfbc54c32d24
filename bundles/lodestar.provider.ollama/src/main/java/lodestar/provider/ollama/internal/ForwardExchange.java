package lodestar.provider.ollama.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Consumer;
import lodestar.api.chat.Usage;
import lodestar.api.provider.ForwardListener;
import lodestar.api.provider.ProviderFailure;

/**
 * A forwarded call to Ollama's OpenAI-compatible {@code /v1/...} endpoints: the answer's bytes
 * pass through unchanged (a server-sent event stream cut at event boundaries), and the usage is
 * picked up on the way.
 */
final class ForwardExchange extends Exchange {

    private final ForwardListener listener;
    private final boolean stream;
    private Usage streamUsage;

    ForwardExchange(final Consumer<Exchange> onFinish, final ObjectMapper mapper,
            final String baseUrl, final Duration firstByteTimeout,
            final ForwardListener listener, final boolean stream) {
        super(onFinish, mapper, baseUrl, firstByteTimeout);
        this.listener = listener;
        this.stream = stream;
    }

    @Override
    void read(final HttpResponse<InputStream> response, final InputStream in)
            throws IOException {
        final String contentType = response.headers().firstValue("Content-Type")
                .orElse(stream ? "text/event-stream" : "application/json");
        if (!deliver(() -> listener.onStart(contentType), false)) {
            return;
        }
        final boolean sse = contentType.toLowerCase(Locale.ROOT).startsWith("text/event-stream");
        final SseSplitter splitter = new SseSplitter();
        final UsageScanner scanner = new UsageScanner(mapper);
        final byte[] buffer = new byte[16 * 1024];
        int read;
        while ((read = in.read(buffer)) >= 0) {
            if (isFinished()) {
                return;
            }
            final byte[] piece;
            if (sse) {
                piece = splitter.feed(buffer, read);
                scanEvents(piece);
            } else {
                scanner.feed(buffer, read);
                piece = read == 0 ? null : Arrays.copyOf(buffer, read);
            }
            if (piece != null && !deliver(() -> listener.onBytes(piece), true)) {
                return;
            }
        }
        final byte[] rest = splitter.rest();
        if (rest != null) {
            scanEvents(rest);
            if (!deliver(() -> listener.onBytes(rest), true)) {
                return;
            }
        }
        complete(sse ? streamUsage : scanner.finish());
    }

    /** Remembers the usage of a {@code data:} event that carries one. */
    private void scanEvents(final byte[] events) {
        if (events == null) {
            return;
        }
        for (final String line : new String(events, StandardCharsets.UTF_8).split("\r?\n")) {
            if (!line.startsWith("data:") || !line.contains("\"usage\"")) {
                continue;
            }
            try {
                final JsonNode usage = mapper.readTree(line.substring(5).trim()).path("usage");
                if (usage.isObject()) {
                    streamUsage = mapper.treeToValue(usage, Usage.class);
                }
            } catch (final IOException ignored) {
                // not JSON: no usage
            }
        }
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
