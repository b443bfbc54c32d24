package lodestar.provider.gemini.internal;

import static lodestar.provider.gemini.internal.Fixtures.config;
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
        map.put("service.pid", "lodestar.provider.gemini~" + name.substring(
                name.indexOf('-') + 1, name.lastIndexOf('.')));
        map.put(Settings.FILE_PROPERTY, file.toUri().toString());
        return map;
    }

    private static Settings parse(final Map<String, Object> props, final Map<String, String> env) {
        return Settings.parse(config(props), props, env::get);
    }

    @Test
    void gemini() throws Exception {
        final Map<String, Object> props = load("lodestar.provider.gemini-gemini.cfg");
        final Settings settings = parse(props, Map.of("GEMINI_API_KEY", "AIza-test-1234567"));
        assertThat(settings.id()).isEqualTo("gemini");
        assertThat(settings.baseUrl())
                .isEqualTo("https://generativelanguage.googleapis.com/v1beta");
        assertThat(settings.apiKey()).isEqualTo("AIza-test-1234567");
        assertThat(settings.warnings()).isEmpty();
        // prices as in prices-sample.json (gemini/gemini-2.5-flash): 3e-07 and 2.5e-06 per token
        assertThat(settings.models()).containsExactly(new ModelInfo("gemini-2.5-flash",
                "gemini", 1048576, true, true, false, 3e-7, 2.5e-6));

        // FileInstall replaces an unset ${env:...} by nothing: still inert, and still named
        props.put(".apiKey", "");
        final Settings inert = parse(props, Map.of());
        assertThat(inert.hasKey()).isFalse();
        assertThat(inert.keyHint()).isEqualTo("GEMINI_API_KEY");
    }
}
