package lodestar.provider.openai.internal;

import static lodestar.provider.openai.internal.Fixtures.properties;
import static lodestar.provider.openai.internal.Fixtures.provider;
import static lodestar.provider.openai.internal.Fixtures.request;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import lodestar.api.provider.CallOptions;
import lodestar.api.provider.ChatCall;
import lodestar.api.provider.FailureKind;
import lodestar.api.provider.ForwardRequest;
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

    private static final String CHUNK = "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\","
            + "\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":"
            + "\"Hi\"},\"finish_reason\":null}]}\n\n";

    /** Connections in use: an aborted exchange closes its connection. */
    private static int activeConnections(final OpenAiProvider provider) {
        int active = 0;
        for (final Destination destination : provider.httpClient().getDestinations()) {
            active += ((AbstractConnectionPool) destination.getConnectionPool())
                    .getActiveConnectionCount();
        }
        return active;
    }

    private static void awaitIdle(final OpenAiProvider provider) throws InterruptedException {
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
            final OpenAiProvider provider = provider(properties(server.baseUrl()));
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
            final OpenAiProvider provider = provider(properties(server.baseUrl()));
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
    void deactivateEndsAStalledForward() throws Exception {
        try (ScriptedServer server = new ScriptedServer(200, "text/event-stream",
                List.of("data: {\"choices\":[{\"text\":\"x\"}]}\n\n"), true)) {
            final OpenAiProvider provider = provider(properties(server.baseUrl()));
            final Recorder recorder = new Recorder();
            provider.forward(new ForwardRequest("completions", "m",
                    "{}".getBytes(StandardCharsets.UTF_8), true), CallOptions.of("r"),
                    recorder);
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
                "event: error\ndata: {\"error\":{\"message\":\"Rate limit reached\",\"type\":"
                        + "\"rate_limit_exceeded\"}}\n\n"), false)) {
            final OpenAiProvider provider = provider(properties(server.baseUrl()));
            final Recorder recorder = new Recorder();
            provider.chat(request("m", "hi", true), CallOptions.of("r"), recorder);
            final ProviderFailure failure = recorder.failure();
            assertThat(failure.kind()).isEqualTo(FailureKind.RATE_LIMITED);
            assertThat(failure.message()).isEqualTo("Rate limit reached");
            assertThat(failure.outputStarted()).isTrue();
            assertThat(recorder.chunks).hasSize(1);
            recorder.assertContract();
            provider.deactivate();
        }
    }

    @Test
    void openRouterStyleErrorCodeMidStream() throws Exception {
        try (ScriptedServer server = new ScriptedServer(200, "text/event-stream", List.of(
                ": OPENROUTER PROCESSING\n\n", CHUNK,
                "data: {\"error\":{\"code\":502,\"message\":\"Provider returned error\"}}\n\n"),
                false)) {
            final OpenAiProvider provider = provider(properties(server.baseUrl()));
            final Recorder recorder = new Recorder();
            provider.chat(request("m", "hi", true), CallOptions.of("r"), recorder);
            final ProviderFailure failure = recorder.failure();
            assertThat(failure.kind()).isEqualTo(FailureKind.SERVER_ERROR);
            assertThat(failure.httpStatus()).isEqualTo(200);
            provider.deactivate();
        }
    }

    @Test
    void streamWithoutDoneIsACutStream() throws Exception {
        try (ScriptedServer server = new ScriptedServer(200, "text/event-stream",
                List.of(CHUNK), false)) {
            final OpenAiProvider provider = provider(properties(server.baseUrl()));
            final Recorder recorder = new Recorder();
            provider.chat(request("m", "hi", true), CallOptions.of("r"), recorder);
            final ProviderFailure failure = recorder.failure();
            assertThat(failure.kind()).isEqualTo(FailureKind.CONNECTION);
            assertThat(failure.message()).isEqualTo("stream ended before [DONE]");
            assertThat(failure.outputStarted()).isTrue();
            provider.deactivate();
        }
    }

    @Test
    void nonJsonEventIsAProtocolError() throws Exception {
        try (ScriptedServer server = new ScriptedServer(200, "text/event-stream",
                List.of("data: hello\n\n"), false)) {
            final OpenAiProvider provider = provider(properties(server.baseUrl()));
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
            final OpenAiProvider provider = provider(properties(server.baseUrl()));
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
            final OpenAiProvider provider = provider(properties(server.baseUrl()));
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
                List.of("{\"id\":\"x\",\"choices\":[]}"), false)) {
            final OpenAiProvider provider = provider(properties(server.baseUrl()));
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
            final OpenAiProvider provider = provider(properties(server.baseUrl()));
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
            final OpenAiProvider provider = provider(properties(server.baseUrl()));
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
            final OpenAiProvider provider = provider(properties(server.baseUrl()));
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
