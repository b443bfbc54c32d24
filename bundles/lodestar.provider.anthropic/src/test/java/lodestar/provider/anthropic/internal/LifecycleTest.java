package lodestar.provider.anthropic.internal;

import static lodestar.provider.anthropic.internal.Fixtures.FILE;
import static lodestar.provider.anthropic.internal.Fixtures.KEY;
import static lodestar.provider.anthropic.internal.Fixtures.config;
import static lodestar.provider.anthropic.internal.Fixtures.properties;
import static lodestar.provider.anthropic.internal.Fixtures.provider;
import static lodestar.provider.anthropic.internal.Fixtures.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import lodestar.api.provider.CallOptions;
import lodestar.api.provider.FailureKind;
import lodestar.api.provider.ForwardRequest;
import lodestar.api.provider.ModelInfo;
import lodestar.api.provider.ProviderFailure;
import lodestar.provider.common.Recorder;
import lodestar.test.upstream.FakeUpstream;
import lodestar.test.upstream.Fault;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Activation, configuration changes, the inert state without a key, and what is logged. */
class LifecycleTest {

    private FakeUpstream fake;
    private PrintStream originalErr;
    private ByteArrayOutputStream log;

    @BeforeEach
    void start() throws Exception {
        fake = FakeUpstream.start();
        originalErr = System.err;
        log = new ByteArrayOutputStream();
        System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void stop() {
        System.setErr(originalErr);
        fake.close();
    }

    private String log() {
        return log.toString(StandardCharsets.UTF_8);
    }

    @Test
    void withoutAKeyTheProviderIsInert() {
        final Map<String, Object> props = properties(fake.baseUrl());
        props.put(".apiKey", "${env:LODESTAR_TEST_MISSING_KEY}");
        final AnthropicProvider provider = provider(props);
        try {
            assertThat(provider.isAvailable()).isFalse();
            assertThat(provider.models()).isEmpty();
            assertThat(provider.id()).isEqualTo("anthropic-test");
            assertThat(log()).contains(
                    "provider anthropic-test: no API key (set LODESTAR_TEST_MISSING_KEY)");

            final Recorder recorder = new Recorder();
            provider.chat(request("fake-small", "hi", false), CallOptions.of("r"), recorder);
            final ProviderFailure failure = recorder.failure();
            assertThat(failure.kind()).isEqualTo(FailureKind.AUTHENTICATION);
            assertThat(failure.message()).contains("no API key");
            recorder.assertContract();

            final Recorder forward = new Recorder();
            provider.forward(new ForwardRequest("messages", "m", new byte[0], false), null,
                    forward);
            assertThat(forward.failure().kind()).isEqualTo(FailureKind.AUTHENTICATION);
            assertThat(fake.served()).isZero();

            // the same missing key is not reported again on an unrelated change
            props.put("models", "fake-small");
            provider.modified(config(props), props);
            assertThat(log().split("no API key", -1)).hasSize(2);
        } finally {
            provider.deactivate();
        }
    }

    @Test
    void aKeyFromTheEnvironmentIsSentAndNeverLogged() {
        final Map<String, Object> props = properties(fake.baseUrl());
        props.put(".apiKey", "$[env:LODESTAR_TEST_KEY]");
        final AnthropicProvider provider = provider(props, Map.of("LODESTAR_TEST_KEY", KEY));
        try {
            assertThat(provider.isAvailable()).isTrue();
            fake.enqueue(Fault.status(401, null, "{\"type\":\"error\",\"error\":{\"type\":"
                    + "\"authentication_error\",\"message\":\"invalid x-api-key " + KEY
                    + "\"}}"));
            final Recorder recorder = new Recorder();
            provider.chat(request("fake-small", "hi", false), CallOptions.of("r"), recorder);
            assertThat(recorder.failure().kind()).isEqualTo(FailureKind.AUTHENTICATION);
            assertThat(fake.requests().get(0).headers().get("x-api-key")).isEqualTo(KEY);
            final Recorder ok = new Recorder();
            provider.chat(request("fake-small", "hi", true), CallOptions.of("r"), ok);
            ok.usage();
        } finally {
            provider.deactivate();
        }
        assertThat(log()).contains("provider anthropic-test: 2 model(s) at " + fake.baseUrl())
                .doesNotContain(KEY).doesNotContain("0123456789abcdef");
    }

    @Test
    void anInvalidConfigurationPreventsActivation() {
        final Map<String, Object> props = properties("gopher://x");
        assertThatThrownBy(() -> provider(props))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Invalid configuration in " + FILE
                        + ": baseUrl must start with http:// or https://");
        assertThat(log()).contains("ERROR").contains(FILE).contains("provider not started");
    }

    @Test
    void modifiedAppliesAGoodConfigurationAndKeepsTheLastGoodOne() throws Exception {
        final Map<String, Object> props = properties(fake.baseUrl());
        final AnthropicProvider provider = provider(props);
        try {
            final Map<String, Object> bad = properties(fake.baseUrl());
            bad.put("model.fake-small", "context=big");
            provider.modified(config(bad), bad);
            assertThat(log()).contains("Invalid configuration in " + FILE
                    + ": model.fake-small: context is not a whole number ('big'); keeping the "
                    + "previous configuration of provider anthropic-test");
            assertThat(provider.models().get(0).contextWindow()).isEqualTo(200_000);

            final Map<String, Object> good = properties(fake.baseUrl());
            good.put("id", "renamed");
            good.put("models", "fake-large");
            good.put("connectTimeoutMs", "1000");
            good.put("maxTokensDefault", "77");
            good.put("unknownKey", "x");
            provider.modified(config(good), good);
            assertThat(provider.id()).isEqualTo("renamed");
            assertThat(provider.models()).extracting(ModelInfo::qualifiedName)
                    .containsExactly("renamed/fake-large");
            assertThat(provider.settings().connectTimeout()).isEqualTo(Duration.ofSeconds(1));
            assertThat(log()).contains("unknown key 'unknownKey'")
                    .contains("'model.fake-small' describes a model that is not in 'models'")
                    .contains("provider renamed: configuration updated");

            final Recorder recorder = new Recorder();
            provider.chat(Fixtures.toolRequest(false), CallOptions.of("r"), recorder);
            recorder.usage();
            assertThat(fake.requests().get(0).json().path("max_tokens").asInt()).isEqualTo(77);

            good.remove(".apiKey");
            provider.modified(config(good), good);
            assertThat(provider.isAvailable()).isFalse();
            assertThat(log()).contains("provider renamed: no API key (set .apiKey in " + FILE
                    + ")");
        } finally {
            provider.deactivate();
        }
        assertThat(log()).contains("provider renamed: stopped");
    }
}
