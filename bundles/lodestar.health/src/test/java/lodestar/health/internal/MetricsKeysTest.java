package lodestar.health.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import lodestar.api.security.ClientKeys;
import org.junit.jupiter.api.Test;

/** /metrics asks for a proxy key exactly when the proxy does. */
class MetricsKeysTest {

    private static ClientKeys keys(final boolean required) {
        return new ClientKeys() {
            @Override
            public boolean required() {
                return required;
            }

            @Override
            public Optional<String> authenticate(final String authorization,
                    final String apiKey) {
                return !required ? Optional.of("") : "Bearer sk-good".equalsIgnoreCase(
                        authorization) || "sk-good".equals(apiKey) ? Optional.of("ops")
                        : Optional.empty();
            }
        };
    }

    @Test
    void keysAreCheckedOnlyWhenTheProxyHasThem() {
        assertThat(MetricsServlet.allowed(null, null, null)).as("no router").isTrue();
        assertThat(MetricsServlet.allowed(keys(false), null, null)).isTrue();
        assertThat(MetricsServlet.allowed(keys(true), null, null)).isFalse();
        assertThat(MetricsServlet.allowed(keys(true), "Bearer sk-bad", null)).isFalse();
        assertThat(MetricsServlet.allowed(keys(true), "Bearer sk-good", null)).isTrue();
        assertThat(MetricsServlet.allowed(keys(true), "bearer sk-good", null)).isTrue();
        assertThat(MetricsServlet.allowed(keys(true), null, "sk-good")).isTrue();
    }
}
