package lodestar.provider.gemini.internal;

import static lodestar.provider.gemini.internal.Fixtures.properties;
import static lodestar.provider.gemini.internal.Fixtures.provider;
import static lodestar.provider.gemini.internal.Fixtures.request;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import lodestar.api.provider.CallOptions;
import lodestar.api.provider.ChatCall;
import lodestar.api.provider.FailureKind;
import lodestar.api.provider.ProviderFailure;
import lodestar.provider.common.Recorder;
import lodestar.provider.common.Redactor;
import lodestar.provider.common.ScriptedServer;
import lodestar.provider.common.UpstreamFailures;
import org.eclipse.jetty.client.AbstractConnectionPool;
import org.eclipse.jetty.client.Destination;
import org.junit.jupiter.api.Test;

/**
 * Upstreams that stop sending in the middle of an answer, or send what the fake does not:
 * cancellation and deadlines must abort the exchange and free its connection.
 */
class StalledStreamTest {

    private static final String CHUNK = "data: {\"candidates\":[{\"content\":{\"parts\":[{"
            + "\"text\":\"Hi\"}],\"role\":\"model\"},\"index\":0}]}\r\n\r\n";

    /** Connections in use: an aborted exchange closes its connection. */
    private static int activeConnections(final GeminiProvider provider) {
        int active = 0;
        for (final Destination destination : provider.httpClient().getDestinations()) {
            active += ((AbstractConnectionPool) destination.getConnectionPool())
                    .getActiveConnectionCount();
        }
        return active;
    }

    private static void awaitIdle(final GeminiProvider provider) throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while ((activeConnections(provider) > 0 || provider.callsInFlight() > 0)
                && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(provider.callsInFlight()).isZero();
        assertThat(activeConnections(provider)).as("connections in use").isZero();
    }

    @Test
    void cancelFreesABlockedReader() throws Exception {
        try (ScriptedServer server = new ScriptedServer(200, "text/event-stream",
                List.of(": keep-alive\n\n", CHUNK), true)) {
            final GeminiProvider provider = provider(properties(server.baseUrl()));
            final Recorder recorder = new Recorder();
            final ChatCall call = provider.chat(request("m", "hi", true), CallOptions.of("r"),
                    recorder);
            assertThat(recorder.firstOutput.await(5, TimeUnit.SECONDS)).isTrue();
            Thread.sleep(100);
            call.cancel();
            awaitIdle(provider);
            assertThat(recorder.chunks).hasSize(1);
            assertThat(recorder.terminals.get()).isZero();
            provider.deactivate();
        }
    }

    @Test
    void totalTimeoutCutsAStalledStream() throws Exception {
        try (ScriptedServer server = new ScriptedServer(200, "text/event-stream; charset=utf-8",
                List.of(CHUNK), true)) {
            final GeminiProvider provider = provider(properties(server.baseUrl()));
            final Recorder recorder = new Recorder();
            provider.chat(request("m", "hi", true),
                    new CallOptions("r", null, Duration.ofMillis(400), Map.of()), recorder);
            final ProviderFailure failure = recorder.failure();
            assertThat(failure.kind()).isEqualTo(FailureKind.TIMEOUT);
            assertThat(failure.outputStarted()).isTrue();
            assertThat(failure.message()).contains("total timeout");
            recorder.assertContract();
            awaitIdle(provider);
            provider.deactivate();
        }
    }

    @Test
    void deactivateEndsAStalledStream() throws Exception {
        try (ScriptedServer server = new ScriptedServer(200, "text/event-stream",
                List.of(CHUNK), true)) {
            final GeminiProvider provider = provider(properties(server.baseUrl()));
            final Recorder recorder = new Recorder();
            provider.chat(request("m", "hi", true), CallOptions.of("r"), recorder);
            assertThat(recorder.firstOutput.await(5, TimeUnit.SECONDS)).isTrue();
            provider.deactivate();
            final ProviderFailure failure = recorder.failure();
            assertThat(failure.kind()).isEqualTo(FailureKind.CONNECTION);
            assertThat(failure.message()).isEqualTo("provider stopped");
            assertThat(failure.outputStarted()).isTrue();
            recorder.assertContract();
        }
    }

    @Test
    void errorEventMidStreamEndsTheCall() throws Exception {
        try (ScriptedServer server = new ScriptedServer(200, "text/event-stream", List.of(CHUNK,
                "data: {\"error\":{\"code\":429,\"message\":\"Resource has been exhausted "
                        + "(e.g. check quota).\",\"status\":\"RESOURCE_EXHAUSTED\"}}\n\n"),
                false)) {
            final GeminiProvider provider = provider(properties(server.baseUrl()));
            final Recorder recorder = new Recorder();
            provider.chat(request("m", "hi", true), CallOptions.of("r"), recorder);
            final ProviderFailure failure = recorder.failure();
            assertThat(failure.kind()).isEqualTo(FailureKind.RATE_LIMITED);
            assertThat(failure.message()).isEqualTo("Resource has been exhausted (e.g. check "
                    + "quota).");
            assertThat(failure.httpStatus()).isEqualTo(200);
            assertThat(failure.outputStarted()).isTrue();
            assertThat(recorder.chunks).hasSize(1);
            recorder.assertContract();
            provider.deactivate();
        }
    }

    @Test
    void internalErrorMidStream() throws Exception {
        try (ScriptedServer server = new ScriptedServer(200, "text/event-stream", List.of(
                ": keep-alive\n\n", CHUNK,
                "data: {\"error\":{\"code\":500,\"message\":\"An internal error has occurred."
                        + "\",\"status\":\"INTERNAL\"}}\n\n"),
                false)) {
            final GeminiProvider provider = provider(properties(server.baseUrl()));
            final Recorder recorder = new Recorder();
            provider.chat(request("m", "hi", true), CallOptions.of("r"), recorder);
            final ProviderFailure failure = recorder.failure();
            assertThat(failure.kind()).isEqualTo(FailureKind.SERVER_ERROR);
            assertThat(failure.httpStatus()).isEqualTo(200);
            provider.deactivate();
        }
    }

    @Test
    void streamWithoutAFinishReasonIsACutStream() throws Exception {
        try (ScriptedServer server = new ScriptedServer(200, "text/event-stream",
                List.of(CHUNK), false)) {
            final GeminiProvider provider = provider(properties(server.baseUrl()));
            final Recorder recorder = new Recorder();
            provider.chat(request("m", "hi", true), CallOptions.of("r"), recorder);
            final ProviderFailure failure = recorder.failure();
            assertThat(failure.kind()).isEqualTo(FailureKind.CONNECTION);
            assertThat(failure.message()).isEqualTo("stream ended before a finishReason");
            assertThat(failure.outputStarted()).isTrue();
            provider.deactivate();
        }
    }

    @Test
    void nonJsonEventIsAProtocolError() throws Exception {
        try (ScriptedServer server = new ScriptedServer(200, "text/event-stream",
                List.of("data: hello\n\n"), false)) {
            final GeminiProvider provider = provider(properties(server.baseUrl()));
            final Recorder recorder = new Recorder();
            provider.chat(request("m", "hi", true), CallOptions.of("r"), recorder);
            assertThat(recorder.failure().kind()).isEqualTo(FailureKind.PROTOCOL);
            provider.deactivate();
        }
    }

    @Test
    void htmlErrorPageIsSummarised() throws Exception {
        try (ScriptedServer server = new ScriptedServer(502, "text/html",
                List.of("<html><body>Bad gateway</body></html>"), false)) {
            final GeminiProvider provider = provider(properties(server.baseUrl()));
            final Recorder recorder = new Recorder();
            provider.chat(request("m", "hi", false), CallOptions.of("r"), recorder);
            final ProviderFailure failure = recorder.failure();
            assertThat(failure.kind()).isEqualTo(FailureKind.SERVER_ERROR);
            assertThat(failure.message()).isEqualTo(
                    "HTTP 502: <html><body>Bad gateway</body></html>");
            provider.deactivate();
        }
    }

    @Test
    void jsonThatIsNotAnObjectIsAProtocolError() throws Exception {
        try (ScriptedServer server = new ScriptedServer(200, "application/json",
                List.of("[1, 2]"), false)) {
            final GeminiProvider provider = provider(properties(server.baseUrl()));
            final Recorder recorder = new Recorder();
            provider.chat(request("m", "hi", false), CallOptions.of("r"), recorder);
            assertThat(recorder.failure().kind()).isEqualTo(FailureKind.PROTOCOL);
            final Recorder streamed = new Recorder();
            provider.chat(request("m", "hi", true), CallOptions.of("r"), streamed);
            assertThat(streamed.failure().kind()).isEqualTo(FailureKind.PROTOCOL);
            provider.deactivate();
        }
    }

    @Test
    void jsonAnswerToAStreamRequestIsAProtocolError() throws Exception {
        try (ScriptedServer server = new ScriptedServer(200, "application/json",
                List.of("{\"candidates\":[]}"), false)) {
            final GeminiProvider provider = provider(properties(server.baseUrl()));
            final Recorder recorder = new Recorder();
            provider.chat(request("m", "hi", true), CallOptions.of("r"), recorder);
            final ProviderFailure failure = recorder.failure();
            assertThat(failure.kind()).isEqualTo(FailureKind.PROTOCOL);
            assertThat(failure.message()).contains("expected text/event-stream");
            provider.deactivate();
        }
    }

    @Test
    void redirectsAreNotFollowed() throws Exception {
        try (ScriptedServer server = new ScriptedServer(301, "text/html",
                List.of("moved"), false)) {
            final GeminiProvider provider = provider(properties(server.baseUrl()));
            final Recorder recorder = new Recorder();
            provider.chat(request("m", "hi", false), CallOptions.of("r"), recorder);
            final ProviderFailure failure = recorder.failure();
            assertThat(failure.kind()).isEqualTo(FailureKind.BAD_REQUEST);
            assertThat(failure.httpStatus()).isEqualTo(301);
            assertThat(failure.message()).isEqualTo("HTTP 301: moved");
            assertThat(server.requests()).isEqualTo(1);
            provider.deactivate();
        }
    }

    @Test
    void anAuthenticationChallengeIsAnAnswerLikeAnyOther() throws Exception {
        try (ScriptedServer server = new ScriptedServer(401, "application/json",
                List.of("{\"error\":{\"message\":\"bad key\"}}"), false)
                .header("WWW-Authenticate", "Bearer realm=\"api\"")) {
            final GeminiProvider provider = provider(properties(server.baseUrl()));
            final Recorder recorder = new Recorder();
            provider.chat(request("m", "hi", true), CallOptions.of("r"), recorder);
            final ProviderFailure failure = recorder.failure();
            assertThat(failure.kind()).isEqualTo(FailureKind.AUTHENTICATION);
            assertThat(failure.message()).isEqualTo("bad key");
            assertThat(server.requests()).isEqualTo(1);
            provider.deactivate();
        }
    }

    @Test
    void aLongErrorBodyIsCutAtItsLimit() throws Exception {
        final String page = "<html>" + "x".repeat(UpstreamFailures.ERROR_BODY_LIMIT) + "</html>";
        try (ScriptedServer server = new ScriptedServer(500, "text/html", List.of(page, page),
                true)) {
            final GeminiProvider provider = provider(properties(server.baseUrl()));
            final Recorder recorder = new Recorder();
            provider.chat(request("m", "hi", false), CallOptions.of("r"), recorder);
            final ProviderFailure failure = recorder.failure();
            assertThat(failure.kind()).isEqualTo(FailureKind.SERVER_ERROR);
            assertThat(failure.message()).startsWith("HTTP 500: <html>xxx")
                    .hasSize(Redactor.MESSAGE_LIMIT);
            awaitIdle(provider);
            provider.deactivate();
        }
    }
}
