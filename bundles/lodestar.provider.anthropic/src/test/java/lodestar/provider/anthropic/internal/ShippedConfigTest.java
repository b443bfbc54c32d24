package lodestar.provider.anthropic.internal;

import static lodestar.provider.anthropic.internal.Fixtures.config;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import lodestar.api.provider.ModelInfo;
import org.junit.jupiter.api.Test;

/** The configuration file shipped in {@code config/} is valid and inert without a key. */
class ShippedConfigTest {

    private static Map<String, Object> load(final String name) throws Exception {
        final Path file = Paths.get("../../config", name).toAbsolutePath().normalize();
        final Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(reader);
        }
        final Map<String, Object> map = new HashMap<>();
        properties.forEach((k, v) -> map.put(k.toString(), v.toString()));
        map.put("service.pid", "lodestar.provider.anthropic~" + name.substring(
                name.indexOf('-') + 1, name.lastIndexOf('.')));
        map.put(Settings.FILE_PROPERTY, file.toUri().toString());
        return map;
    }

    private static Settings parse(final Map<String, Object> props, final Map<String, String> env) {
        return Settings.parse(config(props), props, env::get);
    }

    @Test
    void anthropic() throws Exception {
        final Map<String, Object> props = load("lodestar.provider.anthropic-anthropic.cfg");
        final Settings settings = parse(props, Map.of("ANTHROPIC_API_KEY", "sk-ant-x1234567"));
        assertThat(settings.id()).isEqualTo("anthropic");
        assertThat(settings.baseUrl()).isEqualTo("https://api.anthropic.com");
        assertThat(settings.apiKey()).isEqualTo("sk-ant-x1234567");
        assertThat(settings.anthropicVersion()).isEqualTo("2023-06-01");
        assertThat(settings.maxTokensDefault()).isEqualTo(4096);
        assertThat(settings.warnings()).isEmpty();
        assertThat(settings.models()).containsExactly(
                new ModelInfo("claude-sonnet-4-5-20250929", "anthropic", 200000, true, true,
                        false, 3e-6, 1.5e-5),
                new ModelInfo("claude-opus-4-5-20251101", "anthropic", 200000, true, true,
                        false, 5e-6, 2.5e-5));
        assertThat(settings.cachePrices().get("claude-sonnet-4-5-20250929"))
                .isEqualTo(new Settings.CachePrices(3e-7, 3.75e-6));
        assertThat(settings.cachePrices().get("claude-opus-4-5-20251101").read())
                .isEqualTo(5e-7);

        // FileInstall replaces an unset ${env:...} by nothing: still inert, and still named
        props.put(".apiKey", "");
        final Settings inert = parse(props, Map.of());
        assertThat(inert.hasKey()).isFalse();
        assertThat(inert.keyHint()).isEqualTo("ANTHROPIC_API_KEY");
    }
}
