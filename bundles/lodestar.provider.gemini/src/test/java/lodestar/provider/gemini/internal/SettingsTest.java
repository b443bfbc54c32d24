package lodestar.provider.gemini.internal;

import static lodestar.provider.gemini.internal.Fixtures.FILE;
import static lodestar.provider.gemini.internal.Fixtures.KEY;
import static lodestar.provider.gemini.internal.Fixtures.config;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import lodestar.api.provider.ModelInfo;
import lodestar.provider.common.Configs;
import lodestar.provider.common.InvalidConfigException;
import lodestar.provider.common.ProviderSettings;
import lodestar.provider.common.SettingsContract;
import org.junit.jupiter.api.Test;

/** The dialect's own keys, defaults and model attributes; the shared parts in the contract. */
class SettingsTest extends SettingsContract {

    @Override
    protected ProviderSettings parse(final Map<String, Object> props,
            final Map<String, String> env) {
        return Settings.parse(config(props), props, env::get);
    }

    @Override
    protected Map<String, Object> validProperties() {
        return props();
    }

    @Override
    protected String dialect() {
        return "gemini";
    }

    @Override
    protected String key() {
        return KEY;
    }

    @Override
    protected String file() {
        return FILE;
    }


    private static Map<String, Object> props() {
        return Fixtures.properties("https://api.example.com/v1/");
    }

    private static Settings parse(final Map<String, Object> props) {
        return Settings.parse(config(props), props, k -> null);
    }


    private static InvalidConfigException invalid(final Map<String, Object> props) {
        try {
            parse(props);
        } catch (final InvalidConfigException e) {
            assertThat(e.getMessage()).startsWith("Invalid configuration in " + FILE + ": ");
            assertThat(e.source()).isEqualTo(FILE);
            assertThat(e.getMessage()).doesNotContain(KEY);
            return e;
        }
        throw new AssertionError("configuration accepted: " + props);
    }

    @Test
    void defaultsApply() {
        final Map<String, Object> props = new HashMap<>();
        props.put("service.pid", "lodestar.provider.gemini~prod");
        final Settings settings = parse(props);
        assertThat(settings.id()).isEqualTo("gemini-prod");
        assertThat(settings.baseUrl())
                .isEqualTo("https://generativelanguage.googleapis.com/v1beta");
        assertThat(settings.hasKey()).isFalse();
        assertThat(settings.keyHint()).isEqualTo(".apiKey in configuration "
                + "lodestar.provider.gemini~prod");
        assertThat(settings.models()).isEmpty();
        assertThat(settings.connectTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(settings.firstByteTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(settings.totalTimeout()).isEqualTo(Duration.ofMinutes(10));
        assertThat(settings.extraHeaders()).isEmpty();
        assertThat(settings.warnings()).isEmpty();
    }

    @Test
    void idComesFromTheConfigurationOrItsName() {
        final Map<String, Object> props = props();
        assertThat(parse(props).id()).isEqualTo("gemini-test");
        props.put("id", "gemini");
        assertThat(parse(props).id()).isEqualTo("gemini");
        props.remove("id");
        props.remove("service.pid");
        assertThat(parse(props).id()).isEqualTo("gemini-test");
        props.remove(Settings.FILE_PROPERTY);
        assertThat(parse(props).id()).isEqualTo("gemini");
        assertThat(Configs.source(props, Settings.PID))
                .isEqualTo("configuration lodestar.provider.gemini");
    }

    @Test
    void modelMetadataIsReadInUsdPerToken() {
        final Map<String, Object> props = props();
        props.put("models", "gemini-2.5-flash, gemini-2.0-flash,,gemini-2.5-flash");
        props.put("model.gemini-2.5-flash", "context=1048576,tools=true,vision=true,"
                + "input=0.30,output=2.50");
        props.put("model.gemini-2.0-flash", " vision = FALSE , tools=false ");
        final List<ModelInfo> models = parse(props).models();
        assertThat(models).hasSize(2);
        assertThat(models.get(0)).isEqualTo(new ModelInfo("gemini-2.5-flash", "gemini-test",
                1048576, true, true, false, 0.3e-6, 2.5e-6));
        assertThat(models.get(1)).isEqualTo(new ModelInfo("gemini-2.0-flash", "gemini-test", 0,
                false, false, false, 0, 0));
        // without metadata: tools and vision (every Gemini model takes images)
        props.put("models", "gemini-x");
        assertThat(parse(props).models().get(0)).isEqualTo(new ModelInfo("gemini-x",
                "gemini-test", 0, true, true, false, 0, 0));
    }

    @Test
    void unknownKeysAndStrayMetadataAreWarnings() {
        final Map<String, Object> props = props();
        props.put("baseURL", "typo");
        props.put("model.gpt-9", "context=1");
        props.put("component.name", "x");
        props.put("felix.fileinstall.dir", "/x");
        final Settings settings = parse(props);
        assertThat(settings.warnings()).containsExactly(
                "unknown key 'baseURL' (known keys: .apiKey, baseUrl, connectTimeoutMs, "
                        + "extraHeaders, firstByteTimeoutMs, id, models, probeSeconds, "
                        + "totalTimeoutMs and model.<modelId>)",
                "'model.gpt-9' describes a model that is not in 'models'; ignored");
    }

    @Test
    void badTimeoutsAreRejected() {
        final Map<String, Object> props = props();
        props.put("connectTimeoutMs", "-1");
        props.put("firstByteTimeoutMs", "0");
        props.put("totalTimeoutMs", "ten minutes");
        assertThat(invalid(props).problems()).containsExactly(
                "connectTimeoutMs must be positive (is -1)",
                "firstByteTimeoutMs must be positive (is 0)",
                "totalTimeoutMs is not a whole number of milliseconds");
    }

    @Test
    void badModelMetadataIsRejected() {
        final Map<String, Object> props = props();
        props.put("model.fake-small", "context=lots,tools=maybe,input=-1,colour=red,vision");
        assertThat(invalid(props).problems()).containsExactly(
                "model.fake-small: context is not a whole number ('lots')",
                "model.fake-small: tools must be true or false (is 'maybe')",
                "model.fake-small: input must be between 0 and 1000000 USD per 1M tokens (is -1)",
                "model.fake-small: unknown attribute 'colour' (known: context, tools, vision, "
                        + "input, output)",
                "model.fake-small: 'vision' needs a value (name=value)");
    }

    @Test
    void otherMistakesAreRejected() {
        final Map<String, Object> props = props();
        props.put("id", "my provider");
        props.put("models", "a, b c");
        props.put("extraHeaders", "Authorization: Bearer x; NoColon; Bad Name: v; Host: h; "
                + "X-Goog-Api-Key: k");
        assertThat(invalid(props).problems()).containsExactly(
                "id 'my provider' is invalid (1 to 64 letters, digits, '.', '_' or '-', "
                        + "starting with a letter or digit)",
                "extraHeaders must not set Authorization (set by the provider or the HTTP "
                        + "client)",
                "extraHeaders entry 1 is not 'Name: value'",
                "extraHeaders has an invalid header name 'Bad Name'",
                "extraHeaders must not set Host (set by the provider or the HTTP client)",
                "extraHeaders must not set X-Goog-Api-Key (set by the provider or the HTTP "
                        + "client)",
                "models: model id 'b c' contains white space");
    }

    @Test
    void nonTextValuesAreReported() {
        final Map<String, Object> props = props();
        props.put("timeouts", 5);
        assertThatThrownBy(() -> Settings.parse(new BrokenConfig(), props, k -> null))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("id cannot be read as text");
    }

    /** A typed configuration whose every method fails, as a bad conversion would. */
    @SuppressWarnings("all")
    private static final class BrokenConfig implements GeminiConfig {
        @Override
        public Class<? extends java.lang.annotation.Annotation> annotationType() {
            return GeminiConfig.class;
        }

        @Override
        public String id() {
            throw new IllegalArgumentException("conversion");
        }

        @Override
        public String baseUrl() {
            return "https://x/v1";
        }

        @Override
        public String _apiKey() {
            return "";
        }

        @Override
        public String models() {
            return "";
        }

        @Override
        public long connectTimeoutMs() {
            return 1;
        }

        @Override
        public long firstByteTimeoutMs() {
            return 1;
        }

        @Override
        public long totalTimeoutMs() {
            return 1;
        }

        @Override
        public String extraHeaders() {
            return "";
        }

        @Override
        public long probeSeconds() {
            return 60;
        }
    }
}
