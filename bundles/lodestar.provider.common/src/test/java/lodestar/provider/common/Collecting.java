package lodestar.provider.common;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import lodestar.api.provider.FailureKind;
import lodestar.api.provider.ProviderFailure;

/** Collects the answer; what it fails on is set by the test. */
final class Collecting extends Exchange<TestSettings> {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Clock CLOCK = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"),
            ZoneOffset.UTC);
    static final Redactor REDACTOR = new Redactor().and(Redactor.KEY_LIKE, "[redacted]");
    static final String KEY = "sk-exchange-0123456789";

    final Recorder recorder = new Recorder();
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    final List<String> begun = new CopyOnWriteArrayList<>();
    final AtomicInteger httpErrors = new AtomicInteger();
    volatile IOException failOnContent;
    volatile RuntimeException failOnComplete;

    Collecting(final boolean stream) {
        this(TestSettings.of("http://h", KEY), stream);
    }

    Collecting(final TestSettings settings, final boolean stream) {
        super(settings, JSON, CLOCK, stream, REDACTOR,
                (mapper, status, body, header, now, secret) -> new ProviderFailure(
                        FailureKind.ofHttpStatus(status, ""), status, REDACTOR.sanitize(
                                new String(body, StandardCharsets.UTF_8) + " at " + now
                                + " wait " + UpstreamFailures.retryAfter(header, now),
                                secret), null, false));
    }

    @Override
    protected void error(final ProviderFailure failure) {
        recorder.onError(failure);
    }

    @Override
    protected void begin(final String contentType, final long contentLength) {
        begun.add(contentType + " " + contentLength + " " + isEventStream(contentType));
    }

    @Override
    protected void content(final ByteBuffer buffer) throws IOException {
        if (failOnContent != null) {
            throw failOnContent;
        }
        final byte[] chunk = new byte[buffer.remaining()];
        buffer.get(chunk);
        bytes.writeBytes(chunk);
        markOutputStarted();
        deliver(() -> recorder.onBytes(chunk));
    }

    @Override
    protected void complete() {
        if (failOnComplete != null) {
            throw failOnComplete;
        }
        finish(() -> recorder.onComplete(null));
    }
}
