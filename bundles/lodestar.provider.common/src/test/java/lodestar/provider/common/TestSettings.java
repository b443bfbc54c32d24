package lodestar.provider.common;

import java.time.Duration;

/** Settings of a provider under test. */
record TestSettings(String id, String baseUrl, String apiKey, String keyHint,
        Duration connectTimeout, Duration probeInterval) implements ProviderSettings {

    static TestSettings of(final String baseUrl, final String key) {
        return new TestSettings("test", baseUrl, key, "TEST_API_KEY", Duration.ofSeconds(5),
                Duration.ofSeconds(1));
    }
}
