package lodestar.provider.common;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import lodestar.api.provider.FailureKind;
import lodestar.api.provider.ProviderFailure;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.util.thread.Scheduler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The shared exchange: one call's HTTP answer, timers and terminal listener call. */
class ExchangeTest {

    private static final ObjectMapper JSON = Collecting.JSON;
    private static final String KEY = Collecting.KEY;

    private HttpClient client;

    @BeforeEach
    void start() throws Exception {
        client = new HttpClient();
        client.start();
    }

    @AfterEach
    void stop() throws Exception {
        client.stop();
    }

    private Collecting send(final ScriptedServer server, final Collecting call) {
        final Request request = client.newRequest(URI.create(server.baseUrl() + "/x"));
        call.attachRequest(request);
        request.send(call);
        return call;
    }

    @Test
    void aSuccessfulAnswerIsDeliveredAndCompleted() throws Exception {
        try (ScriptedServer server = new ScriptedServer(200, "text/event-stream",
                List.of("data: a\n\n", "data: b\n\n"), false)) {
            final AtomicBoolean ended = new AtomicBoolean();
            final Collecting call = new Collecting(true);
            call.onEnd(() -> ended.set(true));
            send(server, call);
            assertThat(call.recorder.usage()).isNull();
            call.recorder.assertContract();
            assertThat(call.recorder.bytes()).isEqualTo("data: a\n\ndata: b\n\n");
            assertThat(call.begun).containsExactly("text/event-stream -1 true");
            assertThat(call.isFinished()).isTrue();
            assertThat(call.outputStarted()).isTrue();
            assertThat(call.isStream()).isTrue();
            assertThat(call.status()).isEqualTo(200);
            assertThat(ended).isTrue();
            assertThat(call.deliver(() -> { })).isFalse();
            call.cancel();
            call.fail(FailureKind.TIMEOUT, 0, "late");
            call.recorder.assertContract();
        }
    }

    @Test
    void anErrorAnswerIsReadByTheProvidersReader() throws Exception {
        try (ScriptedServer server = new ScriptedServer(429, "application/json",
                List.of("{\"error\":\"slow down " + KEY + "\"}"), false)
                .header("Retry-After", "3")) {
            final Collecting call = send(server, new Collecting(false));
            final ProviderFailure failure = call.recorder.failure();
            assertThat(failure.kind()).isEqualTo(FailureKind.RATE_LIMITED);
            assertThat(failure.httpStatus()).isEqualTo(429);
            assertThat(failure.message()).isEqualTo("{\"error\":\"slow down [redacted]\"} at "
                    + "2026-01-01T00:00:00Z wait PT3S");
            assertThat(call.begun).isEmpty();
        }
    }

    @Test
    void anOversizedErrorBodyEndsTheCallEarly() throws Exception {
        try (ScriptedServer server = new ScriptedServer(500, "text/plain",
                List.of("e".repeat(UpstreamFailures.ERROR_BODY_LIMIT + 10)), true)) {
            final Collecting call = send(server, new Collecting(false));
            final ProviderFailure failure = call.recorder.failure();
            assertThat(failure.kind()).isEqualTo(FailureKind.SERVER_ERROR);
            call.recorder.assertContract();
        }
    }

    @Test
    void failuresWhileReadingAreMapped() throws Exception {
        try (ScriptedServer server = new ScriptedServer(200, "application/json",
                List.of("{}"), false)) {
            final Collecting json = new Collecting(false);
            json.failOnContent = new JsonParseException(null, "Unexpected end");
            assertThat(send(server, json).recorder.failure().message())
                    .isEqualTo("invalid JSON from upstream: Unexpected end");

            final Collecting io = new Collecting(false);
            io.failOnContent = new IOException("cut");
            assertThat(send(server, io).recorder.failure().message())
                    .isEqualTo("connection failed: cut");

            final Collecting odd = new Collecting(false);
            odd.failOnComplete = new IllegalStateException("odd");
            final ProviderFailure failure = send(server, odd).recorder.failure();
            assertThat(failure.message())
                    .isEqualTo("unexpected java.lang.IllegalStateException: odd");
            assertThat(failure.outputStarted()).isTrue();
        }
    }

    @Test
    void aConnectionFailureIsMapped() throws Exception {
        final int port;
        try (ScriptedServer server = new ScriptedServer(200, "text/plain", List.of(), false)) {
            port = URI.create(server.origin()).getPort();
        }
        final Collecting call = new Collecting(false);
        final Request request = client.newRequest("http://127.0.0.1:" + port + "/x");
        call.attachRequest(request);
        request.send(call);
        assertThat(call.recorder.failure().kind()).isEqualTo(FailureKind.CONNECTION);
    }

    @Test
    void expiryCancellationAndTimersEndTheCall() throws Exception {
        try (ScriptedServer server = new ScriptedServer(200, "text/plain", List.of("a"), true)) {
            final Collecting stalled = new Collecting(false);
            final Scheduler.Task deadline = client.getScheduler().schedule(
                    () -> stalled.expire("too slow"), 100, TimeUnit.MILLISECONDS);
            stalled.attachDeadline(deadline);
            stalled.attachFirstByteTimer(client.getScheduler().schedule(() -> { }, 10,
                    TimeUnit.SECONDS));
            send(server, stalled);
            final ProviderFailure failure = stalled.recorder.failure();
            assertThat(failure.kind()).isEqualTo(FailureKind.TIMEOUT);
            assertThat(failure.message()).isEqualTo("too slow");
            assertThat(failure.outputStarted()).isTrue();
            stalled.expire("again");
            stalled.recorder.assertContract();

            final Collecting cancelled = new Collecting(false);
            cancelled.cancel();
            final CompletableFuture<Boolean> aborted = new CompletableFuture<>();
            final Request request = client.newRequest(URI.create(server.baseUrl() + "/x"))
                    .onRequestFailure((sent, cause) -> aborted.complete(
                            cause instanceof Exchange.CallEnded));
            cancelled.attachRequest(request);
            request.send(result -> { });
            assertThat(aborted.get(5, TimeUnit.SECONDS)).isTrue();
            final AtomicBoolean timerCancelled = new AtomicBoolean();
            final Scheduler.Task task = () -> {
                timerCancelled.set(true);
                return true;
            };
            cancelled.attachDeadline(task);
            assertThat(timerCancelled).isTrue();
            timerCancelled.set(false);
            cancelled.attachFirstByteTimer(task);
            assertThat(timerCancelled).isTrue();
            assertThat(cancelled.recorder.ended()).isFalse();
        }
    }

    @Test
    void aFailingListenerDoesNotBreakTheCall() {
        final Collecting call = new Collecting(false);
        assertThat(call.deliver(() -> {
            throw new IllegalStateException("listener bug");
        })).isTrue();
        call.fail(new ProviderFailure(FailureKind.SERVER_ERROR, 0, "x", null, false));
        assertThat(call.recorder.failure().message()).isEqualTo("x");
        call.finish(() -> call.recorder.onComplete(null));
        call.recorder.assertContract();
    }

    @Test
    void bodiesKeepBytesUpToTheirLimit() {
        final Exchange.Body body = new Exchange.Body(10, 4);
        assertThat(body.append(ByteBuffer.wrap("abcdef".getBytes(StandardCharsets.UTF_8))))
                .isTrue();
        assertThat(body.size()).isEqualTo(6);
        assertThat(new String(body.array(), 0, body.size(), StandardCharsets.UTF_8))
                .isEqualTo("abcdef");
        final ByteBuffer more = ByteBuffer.wrap("ghijkl".getBytes(StandardCharsets.UTF_8));
        assertThat(body.append(more)).isFalse();
        assertThat(more.hasRemaining()).isFalse();
        assertThat(new String(body.toByteArray(), StandardCharsets.UTF_8))
                .isEqualTo("abcdefghij");
        assertThat(new Exchange.Body(1 << 30, -1).array()).hasSize(8 * 1024);
    }

    @Test
    void eventStreamsAreRecognised() {
        assertThat(Exchange.isEventStream(null)).isTrue();
        assertThat(Exchange.isEventStream(" ")).isTrue();
        assertThat(Exchange.isEventStream(" Text/Event-Stream; charset=utf-8")).isTrue();
        assertThat(Exchange.isEventStream("application/json")).isFalse();
    }
}
