package lodestar.provider.openai.internal;

import static lodestar.provider.openai.internal.Fixtures.config;
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

/** The configuration files shipped in {@code config/} are valid and inert without a key. */
class ShippedConfigTest {

    private static Map<String, Object> load(final String name) throws Exception {
        final Path file = Paths.get("../../config", name).toAbsolutePath().normalize();
        final Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(reader);
        }
        final Map<String, Object> map = new HashMap<>();
        properties.forEach((k, v) -> map.put(k.toString(), v.toString()));
        map.put("service.pid", "lodestar.provider.openai~" + name.substring(
                name.indexOf('-') + 1, name.lastIndexOf('.')));
        map.put(Settings.FILE_PROPERTY, file.toUri().toString());
        return map;
    }

    private static Settings parse(final Map<String, Object> props, final Map<String, String> env) {
        return Settings.parse(config(props), props, env::get);
    }

    @Test
    void openAi() throws Exception {
        final Map<String, Object> props = load("lodestar.provider.openai-openai.cfg");
        final Settings settings = parse(props, Map.of("OPENAI_API_KEY", "sk-x1234567"));
        assertThat(settings.id()).isEqualTo("openai");
        assertThat(settings.baseUrl()).isEqualTo("https://api.openai.com/v1");
        assertThat(settings.apiKey()).isEqualTo("sk-x1234567");
        assertThat(settings.warnings()).isEmpty();
        assertThat(settings.models()).containsExactly(
                new ModelInfo("gpt-4o", "openai", 128000, true, true, false, 2.5e-6, 1e-5),
                new ModelInfo("gpt-4o-mini", "openai", 128000, true, true, false, 0.15e-6,
                        0.6e-6));

        // FileInstall replaces an unset ${env:...} by nothing: still inert, and still named
        props.put(".apiKey", "");
        final Settings inert = parse(props, Map.of());
        assertThat(inert.hasKey()).isFalse();
        assertThat(inert.keyHint()).isEqualTo("OPENAI_API_KEY");
    }

    @Test
    void xai() throws Exception {
        final Map<String, Object> props = load("lodestar.provider.openai-xai.cfg");
        assertThat(parse(props, Map.of()).keyHint()).isEqualTo("XAI_API_KEY");
        final Settings settings = parse(props, Map.of("XAI_API_KEY", "xai-abcdefgh"));
        assertThat(settings.id()).isEqualTo("xai");
        assertThat(settings.baseUrl()).isEqualTo("https://api.x.ai/v1");
        assertThat(settings.warnings()).isEmpty();
        assertThat(settings.models()).containsExactly(new ModelInfo("grok-code-fast-1", "xai",
                256000, true, false, false, 0.2e-6, 1.5e-6));
    }
}
