package lodestar.provider.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import lodestar.api.chat.ChatRequest;
import lodestar.api.provider.CallOptions;
import lodestar.api.provider.ChatCall;
import lodestar.api.provider.FailureKind;
import lodestar.api.provider.ModelProvider;
import lodestar.api.provider.ProviderFailure;
import org.eclipse.jetty.client.AbstractConnectionPool;
import org.eclipse.jetty.client.Destination;
import org.eclipse.jetty.client.HttpClient;
import org.junit.jupiter.api.Test;

/**
 * Upstreams that stop sending in the middle of an answer, or send what the fake upstream does
 * not (HTML error pages, redirects, challenges, JSON where a stream was asked for): what every
 * HTTP provider must do with them, whatever its dialect — cancellation and deadlines abort the
 * exchange and free its connection, bad answers are classified, nothing is followed. Run against
 * each provider by a subclass in its bundle's tests (test-jar), which adds its dialect's own
 * cases.
 */
public abstract class StalledStreamContract {

    /**
     * Activates the provider (without registering it) against a base URL.
     *
     * @param server the scripted upstream
     * @return the provider
     */
    protected abstract ModelProvider start(ScriptedServer server);

    /**
     * Calls the provider's {@code @Deactivate} method.
     *
     * @param provider the provider
     */
    protected abstract void stop(ModelProvider provider);

    /**
     * The provider's HTTP client.
     *
     * @param provider the provider
     * @return the client
     */
    protected abstract HttpClient client(ModelProvider provider);

    /**
     * The provider's calls in flight.
     *
     * @param provider the provider
     * @return how many
     */
    protected abstract int callsInFlight(ModelProvider provider);

    /**
     * A one-message chat request.
     *
     * @param stream whether streamed
     * @return the request
     */
    protected abstract ChatRequest request(boolean stream);

    /**
     * One server-sent event of the dialect carrying the text {@code Hi}.
     *
     * @return the event, with its blank line
     */
    protected abstract String chunk();

    /**
     * A non-streamed answer of the dialect, sent as {@code application/json}.
     *
     * @return the JSON
     */
    protected abstract String jsonAnswer();

    /** Connections in use: an aborted exchange closes its connection. */
    private int activeConnections(final ModelProvider provider) {
        int active = 0;
        for (final Destination destination : client(provider).getDestinations()) {
            active += ((AbstractConnectionPool) destination.getConnectionPool())
                    .getActiveConnectionCount();
        }
        return active;
    }

    /**
     * Waits until the provider has no call in flight and no connection in use (5 s at most).
     *
     * @param provider the provider
     * @throws InterruptedException when interrupted
     */
    protected final void awaitIdle(final ModelProvider provider) throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while ((activeConnections(provider) > 0 || callsInFlight(provider) > 0)
                && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(callsInFlight(provider)).isZero();
        assertThat(activeConnections(provider)).as("connections in use").isZero();
    }

    /**
     * The failure of one call against a scripted answer.
     *
     * @param server the scripted upstream
     * @param stream whether streamed
     * @return the failure
     */
    private ProviderFailure failure(final ScriptedServer server, final boolean stream) {
        final ModelProvider provider = start(server);
        try {
            final Recorder recorder = new Recorder();
            provider.chat(request(stream), CallOptions.of("r"), recorder);
            return recorder.failure();
        } finally {
            stop(provider);
        }
    }

    @Test
    void cancelFreesABlockedReader() throws Exception {
        try (ScriptedServer server = new ScriptedServer(200, "text/event-stream",
                List.of(": keep-alive\n\n", chunk()), true)) {
            final ModelProvider provider = start(server);
            final Recorder recorder = new Recorder();
            final ChatCall call = provider.chat(request(true), CallOptions.of("r"), recorder);
            assertThat(recorder.firstOutput.await(5, TimeUnit.SECONDS)).isTrue();
            Thread.sleep(100);
            call.cancel();
            final int seen = recorder.chunks.size();
            awaitIdle(provider);
            assertThat(recorder.chunks).as("nothing delivered after cancel").hasSize(seen)
                    .isNotEmpty();
            assertThat(recorder.terminals.get()).isZero();
            stop(provider);
        }
    }

    @Test
    void totalTimeoutCutsAStalledStream() throws Exception {
        try (ScriptedServer server = new ScriptedServer(200, "text/event-stream; charset=utf-8",
                List.of(chunk()), true)) {
            final ModelProvider provider = start(server);
            final Recorder recorder = new Recorder();
            provider.chat(request(true), new CallOptions("r", null, Duration.ofMillis(400),
                    Map.of()), recorder);
            final ProviderFailure failure = recorder.failure();
            assertThat(failure.kind()).isEqualTo(FailureKind.TIMEOUT);
            assertThat(failure.outputStarted()).isTrue();
            assertThat(failure.message()).contains("total timeout");
            recorder.assertContract();
            awaitIdle(provider);
            stop(provider);
        }
    }

    @Test
    void deactivateEndsAStalledStream() throws Exception {
        try (ScriptedServer server = new ScriptedServer(200, "text/event-stream",
                List.of(chunk()), true)) {
            final ModelProvider provider = start(server);
            final Recorder recorder = new Recorder();
            provider.chat(request(true), CallOptions.of("r"), recorder);
            assertThat(recorder.firstOutput.await(5, TimeUnit.SECONDS)).isTrue();
            stop(provider);
            final ProviderFailure failure = recorder.failure();
            assertThat(failure.kind()).isEqualTo(FailureKind.CONNECTION);
            assertThat(failure.message()).isEqualTo(ProviderCore.STOPPED);
            assertThat(failure.outputStarted()).isTrue();
            recorder.assertContract();
            assertThat(client(provider).isStopped()).isTrue();
        }
    }

    @Test
    void nonJsonEventIsAProtocolError() throws Exception {
        try (ScriptedServer server = new ScriptedServer(200, "text/event-stream",
                List.of("data: hello\n\n"), false)) {
            assertThat(failure(server, true).kind()).isEqualTo(FailureKind.PROTOCOL);
        }
    }

    @Test
    void htmlErrorPageIsSummarised() throws Exception {
        try (ScriptedServer server = new ScriptedServer(502, "text/html",
                List.of("<html><body>Bad gateway</body></html>"), false)) {
            final ProviderFailure failure = failure(server, false);
            assertThat(failure.kind()).isEqualTo(FailureKind.SERVER_ERROR);
            assertThat(failure.message()).isEqualTo(
                    "HTTP 502: <html><body>Bad gateway</body></html>");
        }
    }

    @Test
    void jsonThatIsNotAnObjectIsAProtocolError() throws Exception {
        try (ScriptedServer server = new ScriptedServer(200, "application/json",
                List.of("[1, 2]"), false)) {
            assertThat(failure(server, false).kind()).isEqualTo(FailureKind.PROTOCOL);
            assertThat(failure(server, true).kind()).isEqualTo(FailureKind.PROTOCOL);
        }
    }

    @Test
    void jsonAnswerToAStreamRequestIsAProtocolError() throws Exception {
        try (ScriptedServer server = new ScriptedServer(200, "application/json",
                List.of(jsonAnswer()), false)) {
            final ProviderFailure failure = failure(server, true);
            assertThat(failure.kind()).isEqualTo(FailureKind.PROTOCOL);
            assertThat(failure.message()).contains("expected text/event-stream");
        }
    }

    @Test
    void redirectsAreNotFollowed() throws Exception {
        try (ScriptedServer server = new ScriptedServer(301, "text/html",
                List.of("moved"), false)) {
            final ProviderFailure failure = failure(server, false);
            assertThat(failure.kind()).isEqualTo(FailureKind.BAD_REQUEST);
            assertThat(failure.httpStatus()).isEqualTo(301);
            assertThat(failure.message()).isEqualTo("HTTP 301: moved");
            assertThat(server.requests()).isEqualTo(1);
        }
    }

    @Test
    void anAuthenticationChallengeIsAnAnswerLikeAnyOther() throws Exception {
        try (ScriptedServer server = new ScriptedServer(401, "application/json",
                List.of("{\"error\":{\"message\":\"bad key\"}}"), false)
                .header("WWW-Authenticate", "Bearer realm=\"api\"")) {
            final ProviderFailure failure = failure(server, true);
            assertThat(failure.kind()).isEqualTo(FailureKind.AUTHENTICATION);
            assertThat(failure.message()).isEqualTo("bad key");
            assertThat(server.requests()).isEqualTo(1);
        }
    }

    @Test
    void aLongErrorBodyIsCutAtItsLimit() throws Exception {
        final String page = "<html>" + "x".repeat(UpstreamFailures.ERROR_BODY_LIMIT) + "</html>";
        try (ScriptedServer server = new ScriptedServer(500, "text/html", List.of(page, page),
                true)) {
            final ModelProvider provider = start(server);
            final Recorder recorder = new Recorder();
            provider.chat(request(false), CallOptions.of("r"), recorder);
            final ProviderFailure failure = recorder.failure();
            assertThat(failure.kind()).isEqualTo(FailureKind.SERVER_ERROR);
            assertThat(failure.message()).startsWith("HTTP 500: <html>xxx")
                    .hasSize(Redactor.MESSAGE_LIMIT);
            awaitIdle(provider);
            stop(provider);
        }
    }
}
