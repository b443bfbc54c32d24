package lodestar.provider.common;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import lodestar.api.provider.ModelInfo;

/** Settings of a provider under test: one model, 2 s to the first byte, 5 s in all. */
record TestSettings(String id, String baseUrl, String apiKey, String keyHint,
        Duration connectTimeout, Duration probeInterval) implements ProviderSettings {

    static TestSettings of(final String baseUrl, final String key) {
        return new TestSettings("test", baseUrl, key, "TEST_API_KEY", Duration.ofSeconds(5),
                Duration.ofSeconds(1));
    }

    @Override
    public Duration firstByteTimeout() {
        return Duration.ofSeconds(2);
    }

    @Override
    public Duration totalTimeout() {
        return Duration.ofSeconds(5);
    }

    @Override
    public Map<String, String> extraHeaders() {
        return Map.of("X-Extra", "configured");
    }

    @Override
    public List<ModelInfo> models() {
        return List.of(new ModelInfo(id + "-model", id, 8192, false, false, false, 0, 0));
    }

    @Override
    public String source() {
        return "lodestar.provider.test-" + id + ".cfg";
    }

    @Override
    public List<String> warnings() {
        return List.of("a warning of " + id);
    }
}
