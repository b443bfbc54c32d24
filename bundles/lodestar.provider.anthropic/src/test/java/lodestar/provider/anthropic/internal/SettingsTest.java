package lodestar.provider.anthropic.internal;

import static lodestar.provider.anthropic.internal.Fixtures.FILE;
import static lodestar.provider.anthropic.internal.Fixtures.KEY;
import static lodestar.provider.anthropic.internal.Fixtures.config;
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
        return "anthropic";
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
        return Fixtures.properties("https://api.example.com/");
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
        props.put("service.pid", "lodestar.provider.anthropic~prod");
        final Settings settings = parse(props);
        assertThat(settings.id()).isEqualTo("anthropic-prod");
        assertThat(settings.baseUrl()).isEqualTo("https://api.anthropic.com");
        assertThat(settings.anthropicVersion()).isEqualTo("2023-06-01");
        assertThat(settings.maxTokensDefault()).isEqualTo(4096);
        assertThat(settings.hasKey()).isFalse();
        assertThat(settings.keyHint()).isEqualTo(".apiKey in configuration "
                + "lodestar.provider.anthropic~prod");
        assertThat(settings.models()).isEmpty();
        assertThat(settings.cachePrices()).isEmpty();
        assertThat(settings.connectTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(settings.firstByteTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(settings.totalTimeout()).isEqualTo(Duration.ofMinutes(10));
        assertThat(settings.probeInterval()).isEqualTo(Duration.ofSeconds(60));
        assertThat(settings.extraHeaders()).isEmpty();
        assertThat(settings.warnings()).isEmpty();
    }

    @Test
    void idComesFromTheConfigurationOrItsName() {
        final Map<String, Object> props = props();
        assertThat(parse(props).id()).isEqualTo("anthropic-test");
        props.put("id", "claude");
        assertThat(parse(props).id()).isEqualTo("claude");
        props.remove("id");
        props.remove("service.pid");
        assertThat(parse(props).id()).isEqualTo("anthropic-test");
        props.remove(Settings.FILE_PROPERTY);
        assertThat(parse(props).id()).isEqualTo("anthropic");
        assertThat(Configs.source(props, Settings.PID))
                .isEqualTo("configuration lodestar.provider.anthropic");
    }

    @Test
    void aVersionSegmentInTheBaseUrlIsDroppedWithAWarning() {
        final Map<String, Object> props = props();
        props.put("baseUrl", "https://gateway.example.com/anthropic/v1/");
        final Settings settings = parse(props);
        assertThat(settings.baseUrl()).isEqualTo("https://gateway.example.com/anthropic");
        assertThat(settings.warnings()).containsExactly("baseUrl ends with /v1: the provider "
                + "adds /v1/ itself; using https://gateway.example.com/anthropic");
    }

    @Test
    void modelMetadataIsReadInUsdPerToken() {
        final Map<String, Object> props = props();
        props.put("models", "claude-a, claude-b,,claude-a, claude-c");
        props.put("model.claude-a", "context=200000,tools=true,vision=true,input=3.00,"
                + "output=15.00,cachedInput=0.30,cacheWrite=3.75");
        props.put("model.claude-b", " vision = FALSE , tools=false ");
        props.put("model.claude-c", "input=5,cachedInput=0.5");
        final Settings settings = parse(props);
        final List<ModelInfo> models = settings.models();
        assertThat(models).hasSize(3);
        assertThat(models.get(0)).isEqualTo(new ModelInfo("claude-a", "anthropic-test", 200000,
                true, true, false, 3e-6, 1.5e-5));
        assertThat(models.get(1)).isEqualTo(new ModelInfo("claude-b", "anthropic-test", 0,
                false, false, false, 0, 0));
        assertThat(settings.cachePrices()).containsOnlyKeys("claude-a", "claude-c");
        assertThat(settings.cachePrices().get("claude-a"))
                .isEqualTo(new Settings.CachePrices(0.3e-6, 3.75e-6));
        assertThat(settings.cachePrices().get("claude-c"))
                .isEqualTo(new Settings.CachePrices(0.5e-6, 5e-6));
    }

    @Test
    void unknownKeysAndStrayMetadataAreWarnings() {
        final Map<String, Object> props = props();
        props.put("baseURL", "typo");
        props.put("model.claude-9", "context=1");
        props.put("component.name", "x");
        props.put("felix.fileinstall.dir", "/x");
        final Settings settings = parse(props);
        assertThat(settings.warnings()).containsExactly(
                "unknown key 'baseURL' (known keys: .apiKey, anthropicVersion, baseUrl, "
                        + "connectTimeoutMs, extraHeaders, firstByteTimeoutMs, id, "
                        + "maxTokensDefault, models, probeSeconds, totalTimeoutMs and "
                        + "model.<modelId>)",
                "'model.claude-9' describes a model that is not in 'models'; ignored");
    }

    @Test
    void badNumbersAreRejected() {
        final Map<String, Object> props = props();
        props.put("connectTimeoutMs", "-1");
        props.put("firstByteTimeoutMs", "0");
        props.put("totalTimeoutMs", "ten minutes");
        props.put("maxTokensDefault", "0");
        props.put("probeSeconds", "-3");
        assertThat(invalid(props).problems()).containsExactly(
                "maxTokensDefault must be positive (is 0)",
                "connectTimeoutMs must be positive (is -1)",
                "firstByteTimeoutMs must be positive (is 0)",
                "totalTimeoutMs is not a whole number of milliseconds",
                "probeSeconds must be between 0 and 86400 (is -3)");
    }

    @Test
    void badModelMetadataIsRejected() {
        final Map<String, Object> props = props();
        props.put("model.fake-small", "context=lots,tools=maybe,input=-1,colour=red,vision,"
                + "cachedInput=x");
        assertThat(invalid(props).problems()).containsExactly(
                "model.fake-small: context is not a whole number ('lots')",
                "model.fake-small: tools must be true or false (is 'maybe')",
                "model.fake-small: input must be between 0 and 1000000 USD per 1M tokens (is -1)",
                "model.fake-small: unknown attribute 'colour' (known: context, tools, vision, "
                        + "input, output, cachedInput, cacheWrite)",
                "model.fake-small: 'vision' needs a value (name=value)",
                "model.fake-small: cachedInput is not a number ('x')");
    }

    @Test
    void otherMistakesAreRejected() {
        final Map<String, Object> props = props();
        props.put("id", "my provider");
        props.put("anthropicVersion", "2023 06 01");
        props.put("models", "a, b c");
        props.put("extraHeaders", "x-api-key: k; NoColon; Bad Name: v; anthropic-version: 1");
        assertThat(invalid(props).problems()).containsExactly(
                "id 'my provider' is invalid (1 to 64 letters, digits, '.', '_' or '-', "
                        + "starting with a letter or digit)",
                "anthropicVersion '2023 06 01' is invalid (e.g. 2023-06-01)",
                "extraHeaders must not set x-api-key (set by the provider or the HTTP client)",
                "extraHeaders entry 1 is not 'Name: value'",
                "extraHeaders has an invalid header name 'Bad Name'",
                "extraHeaders must not set anthropic-version (set by the provider or the HTTP "
                        + "client)",
                "models: model id 'b c' contains white space");
    }

    @Test
    void nonTextValuesAreReported() {
        final Map<String, Object> props = props();
        assertThatThrownBy(() -> Settings.parse(new BrokenConfig(), props, k -> null))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("id cannot be read as text")
                .hasMessageContaining("maxTokensDefault is not a whole number")
                .hasMessageContaining("probeSeconds is not a whole number of seconds");
    }

    /** A typed configuration whose methods fail, as a bad conversion would. */
    @SuppressWarnings("all")
    private static final class BrokenConfig implements AnthropicConfig {
        @Override
        public Class<? extends java.lang.annotation.Annotation> annotationType() {
            return AnthropicConfig.class;
        }

        @Override
        public String id() {
            throw new IllegalArgumentException("conversion");
        }

        @Override
        public String baseUrl() {
            return "https://x";
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
        public String anthropicVersion() {
            return "";
        }

        @Override
        public int maxTokensDefault() {
            throw new IllegalArgumentException("conversion");
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
            throw new IllegalArgumentException("conversion");
        }
    }
}
