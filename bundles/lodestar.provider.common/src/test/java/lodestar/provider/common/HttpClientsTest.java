package lodestar.provider.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.RedirectProtocolHandler;
import org.eclipse.jetty.client.WWWAuthenticationProtocolHandler;
import org.junit.jupiter.api.Test;

class HttpClientsTest {

    @Test
    void theClientFollowsNoRedirectsDecodesNothingAndRunsStepsOnItsThreads() throws Exception {
        final HttpClient client = HttpClients.start("lodestar-test-x", Duration.ofSeconds(3));
        try {
            assertThat(client.isStarted()).isTrue();
            assertThat(client.isFollowRedirects()).isFalse();
            assertThat(client.getConnectTimeout()).isEqualTo(3000);
            assertThat(client.getIdleTimeout()).isEqualTo(HttpClients.IDLE_TIMEOUT_MS);
            assertThat(client.getMaxConnectionsPerDestination())
                    .isEqualTo(HttpClients.MAX_CONNECTIONS);
            assertThat(client.getUserAgentField().getValue()).isEqualTo(HttpClients.USER_AGENT);
            assertThat(client.getContentDecoderFactories()).isEmpty();
            assertThat(client.getProtocolHandlers().remove(RedirectProtocolHandler.NAME))
                    .isNull();
            assertThat(client.getProtocolHandlers().remove(WWWAuthenticationProtocolHandler.NAME))
                    .isNull();
            final CompletableFuture<String> thread = new CompletableFuture<>();
            HttpClients.later(client, () -> thread.complete(Thread.currentThread().getName()));
            assertThat(thread.get(5, TimeUnit.SECONDS)).startsWith("lodestar-test-x-http");
        } finally {
            HttpClients.stop(client, "x");
        }
        assertThat(client.isStopped()).isTrue();
        final String caller = Thread.currentThread().getName();
        final CompletableFuture<String> inline = new CompletableFuture<>();
        HttpClients.later(client, () -> inline.complete(Thread.currentThread().getName()));
        assertThat(inline.get(5, TimeUnit.SECONDS)).as("stopped: runs here").isEqualTo(caller);
        HttpClients.stop(client, "x");
    }

    @Test
    void durationsAndHeaders() {
        final Duration fallback = Duration.ofSeconds(9);
        assertThat(HttpClients.positive(null, fallback)).isEqualTo(fallback);
        assertThat(HttpClients.positive(Duration.ZERO, fallback)).isEqualTo(fallback);
        assertThat(HttpClients.positive(Duration.ofSeconds(-1), fallback)).isEqualTo(fallback);
        assertThat(HttpClients.positive(Duration.ofSeconds(2), fallback))
                .isEqualTo(Duration.ofSeconds(2));
        assertThat(HttpClients.isConfigured(Map.of("X-Trace", "1"), "x-trace")).isTrue();
        assertThat(HttpClients.isConfigured(Map.of("X-Trace", "1"), "x-other")).isFalse();
    }
}
