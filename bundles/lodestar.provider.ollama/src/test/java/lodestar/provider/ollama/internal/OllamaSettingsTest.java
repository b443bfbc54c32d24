package lodestar.provider.ollama.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import lodestar.provider.ollama.internal.OllamaSettings.InvalidConfigException;
import lodestar.provider.ollama.internal.OllamaSettings.ModelMeta;
import org.junit.jupiter.api.Test;

class OllamaSettingsTest {

    private static Map<String, Object> config(final Object... keyValues) {
        final Map<String, Object> map = new HashMap<>();
        map.put("service.pid", "lodestar.provider.ollama~local");
        map.put(OllamaSettings.FILE_PROPERTY, "file:/c/lodestar.provider.ollama-local.cfg");
        for (int i = 0; i < keyValues.length; i += 2) {
            map.put((String) keyValues[i], keyValues[i + 1]);
        }
        return map;
    }

    private static String problems(final Map<String, Object> config) {
        try {
            OllamaSettings.parse(config);
        } catch (final InvalidConfigException e) {
            return e.getMessage();
        }
        throw new AssertionError("configuration was accepted: " + config);
    }

    @Test
    void defaultsApplyAndTheIdComesFromTheFactoryName() throws Exception {
        final OllamaSettings settings = OllamaSettings.parse(config("models", "m1"));

        assertThat(settings.id()).isEqualTo("ollama-local");
        assertThat(settings.baseUrl()).isEqualTo("http://127.0.0.1:11434");
        assertThat(settings.models()).containsExactly("m1");
        assertThat(settings.discoverModels()).isFalse();
        assertThat(settings.refreshSeconds()).isEqualTo(60);
        assertThat(settings.keepAlive()).isEqualTo("5m");
        assertThat(settings.connectTimeout()).isEqualTo(Duration.ofMillis(2000));
        assertThat(settings.firstByteTimeout()).isEqualTo(Duration.ofMillis(120_000));
        assertThat(settings.totalTimeout()).isEqualTo(Duration.ofMillis(600_000));
        assertThat(settings.meta("m1")).isEqualTo(ModelMeta.UNKNOWN);
    }

    @Test
    void theShippedConfigurationParsesAsFileInstallDeliversIt() throws Exception {
        final Path file = Paths.get("../../config/lodestar.provider.ollama-local.cfg");
        final Properties properties = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            properties.load(in);
        }
        final Map<String, Object> map = new HashMap<>();
        properties.forEach((k, v) -> map.put((String) k, v));
        map.put("service.pid", "lodestar.provider.ollama~local");

        // FileInstall reads .cfg with Java-properties escaping: the key arrives unescaped
        assertThat(map).containsKey("model.deepseek-coder:1.3b");
        final OllamaSettings settings = OllamaSettings.parse(map);
        assertThat(OllamaSettings.unknownKeys(map)).isEmpty();
        assertThat(settings.id()).isEqualTo("ollama");
        assertThat(settings.models()).containsExactly("deepseek-coder:1.3b", "llama3.2:3b");
        assertThat(settings.meta("deepseek-coder:1.3b"))
                .isEqualTo(new ModelMeta(16384, false, false, 0));
        assertThat(settings.meta("llama3.2:3b"))
                .isEqualTo(new ModelMeta(131072, true, false, 0));
        assertThat(settings.describedButNotListed()).isEmpty();
    }

    @Test
    void everyKeyIsRead() throws Exception {
        final OllamaSettings settings = OllamaSettings.parse(config("id", "box",
                "baseUrl", "https://gpu-box:11434/", "models", " a:1b , b ",
                "model.a:1b", "context=4096, tools=TRUE,vision=true,numCtx=2048",
                "discoverModels", "true", "refreshSeconds", "5", "keepAlive", "-1",
                "connectTimeoutMs", "100", "firstByteTimeoutMs", "200",
                "totalTimeoutMs", "300"));

        assertThat(settings.id()).isEqualTo("box");
        assertThat(settings.baseUrl()).isEqualTo("https://gpu-box:11434");
        assertThat(settings.models()).containsExactly("a:1b", "b");
        assertThat(settings.meta("a:1b")).isEqualTo(new ModelMeta(4096, true, true, 2048));
        assertThat(settings.discoverModels()).isTrue();
        assertThat(settings.refreshSeconds()).isEqualTo(5);
        assertThat(settings.keepAlive()).isEqualTo("-1");
        assertThat(settings.connectTimeout()).isEqualTo(Duration.ofMillis(100));
        assertThat(settings.firstByteTimeout()).isEqualTo(Duration.ofMillis(200));
        assertThat(settings.totalTimeout()).isEqualTo(Duration.ofMillis(300));
    }

    @Test
    void typedValuesOfAConfigFileAreAccepted() throws Exception {
        final OllamaSettings settings = OllamaSettings.parse(config(
                "models", new String[] {"a", "b,c"}, "discoverModels", Boolean.TRUE,
                "refreshSeconds", 7, "totalTimeoutMs", 9L, "keepAlive", "",
                "model.a", List.of("context=8", "tools=true")));

        assertThat(settings.models()).containsExactly("a", "b", "c");
        assertThat(settings.discoverModels()).isTrue();
        assertThat(settings.refreshSeconds()).isEqualTo(7);
        assertThat(settings.totalTimeout()).isEqualTo(Duration.ofMillis(9));
        assertThat(settings.keepAlive()).isEmpty();
        assertThat(settings.meta("a")).isEqualTo(new ModelMeta(8, true, false, 0));
    }

    @Test
    void theDefaultIdFallsBackToTheFileNameThenToOllama() {
        assertThat(OllamaSettings.defaultId(Map.of(OllamaSettings.FILE_PROPERTY,
                "file:/x/config/lodestar.provider.ollama-gpu.cfg"))).isEqualTo("ollama-gpu");
        assertThat(OllamaSettings.defaultId(Map.of("service.pid", "lodestar.provider.ollama"
                + ".4f2c", OllamaSettings.FILE_PROPERTY, "C:\\cfg\\x-y.config")))
                .isEqualTo("ollama-y");
        assertThat(OllamaSettings.defaultId(Map.of())).isEqualTo("ollama");
    }

    @Test
    void invalidValuesAreAllReported() {
        final String problems = problems(config("id", "bad id", "baseUrl", "ftp://x",
                "models", "ok,no spaces,ok", "discoverModels", "yes", "refreshSeconds", "0",
                "keepAlive", "five minutes", "connectTimeoutMs", "abc",
                "firstByteTimeoutMs", "-1", "totalTimeoutMs", "999999999999"));

        assertThat(problems)
                .contains("id 'bad id' is invalid")
                .contains("baseUrl 'ftp://x' must start with http:// or https://")
                .contains("models: 'no spaces' is not a valid Ollama model name")
                .contains("models: 'ok' is listed twice")
                .contains("discoverModels 'yes' is not true or false")
                .contains("refreshSeconds 0 is out of range")
                .contains("keepAlive 'five minutes' is not a duration")
                .contains("connectTimeoutMs 'abc' is not an integer")
                .contains("firstByteTimeoutMs -1 is out of range")
                .contains("totalTimeoutMs 999999999999 is out of range");
    }

    @Test
    void badUrlsAreRejected() {
        assertThat(problems(config("models", "m", "baseUrl", "http://"))).contains("no host");
        assertThat(problems(config("models", "m", "baseUrl", "http://h:1/?q=1")))
                .contains("query or fragment");
        assertThat(problems(config("models", "m", "baseUrl", "http://u:p@h:1")))
                .contains("user information");
        assertThat(problems(config("models", "m", "baseUrl", "http://h h")))
                .contains("is not a URL");
        assertThat(problems(config("models", "m", "baseUrl", "h:11434")))
                .contains("must start with http");
    }

    @Test
    void badModelMetadataIsRejected() {
        assertThat(problems(config("models", "m", "model.m", "context=big")))
                .contains("model.m: context 'big' is not a non-negative integer");
        assertThat(problems(config("models", "m", "model.m", "context=-1")))
                .contains("not a non-negative integer");
        assertThat(problems(config("models", "m", "model.m", "tools=maybe")))
                .contains("model.m: tools 'maybe' is not true or false");
        assertThat(problems(config("models", "m", "model.m", "color=red")))
                .contains("unknown attribute 'color'");
        assertThat(problems(config("models", "m", "model.a b", "tools=true")))
                .contains("model.a b: 'a b' is not a valid Ollama model name");
    }

    @Test
    void aProviderWithoutModelsIsRejectedUnlessItDiscoversThem() throws Exception {
        assertThat(problems(config())).contains("models is empty and discoverModels is false");
        assertThat(OllamaSettings.parse(config("discoverModels", "true")).models()).isEmpty();
    }

    @Test
    void unknownAndDescribedButUnlistedKeysAreFound() throws Exception {
        final Map<String, Object> map = config("models", "a", "modles", "typo",
                "model.b", "tools=true", "component.id", 3L, ".private", "x");

        assertThat(OllamaSettings.unknownKeys(map)).containsExactly("modles");
        assertThat(OllamaSettings.parse(map).describedButNotListed()).containsExactly("b");
        assertThat(OllamaSettings.unknownKeys(null)).isEmpty();
    }

    @Test
    void theSourceNamesTheFileOrThePid() {
        assertThat(OllamaSettings.source(config())).isEqualTo(
                "/c/lodestar.provider.ollama-local.cfg");
        assertThat(OllamaSettings.source(Map.of(OllamaSettings.FILE_PROPERTY, "/a.cfg")))
                .isEqualTo("/a.cfg");
        assertThat(OllamaSettings.source(Map.of("service.pid", "p~x")))
                .isEqualTo("configuration p~x");
        assertThat(OllamaSettings.source(null))
                .isEqualTo("configuration lodestar.provider.ollama");
    }

    @Test
    void nullPropertiesAreAnEmptyConfiguration() {
        assertThatThrownBy(() -> OllamaSettings.parse(null))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("no model to serve");
    }

    @Test
    void keepAliveAcceptsGoDurations() throws InvalidConfigException {
        for (final String value : List.of("5m", "1h30m", "10s", "0", "-1", "1.5h", "300")) {
            assertThat(OllamaSettings.parse(config("models", "m", "keepAlive", value))
                    .keepAlive()).isEqualTo(value);
        }
    }
}
