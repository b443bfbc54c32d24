package lodestar.provider.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.Dictionary;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import lodestar.api.health.HealthContributor;
import lodestar.api.provider.CallOptions;
import lodestar.api.provider.FailureKind;
import lodestar.api.provider.ModelProvider;
import lodestar.api.provider.ProviderFailure;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The provider lifecycle and call path shared by the HTTP providers. */
class ProviderCoreTest {

    private static final String KEY = Collecting.KEY;

    private ProviderCore<TestSettings> core;

    private static ProviderCore.RequestFactory<TestSettings> post(final String path) {
        return (client, settings, options) -> ProviderCore.jsonPost(client,
                settings.baseUrl() + path, "{}".getBytes(StandardCharsets.UTF_8), true);
    }

    private ProviderCore<TestSettings> core(final TestSettings settings) {
        core = new ProviderCore<>("test", settings, Collecting.REDACTOR,
                (client, current) -> new Probe<>(client, current, Collecting.REDACTOR, "/models",
                        "", (s, headers) -> { }, Probe.UNAUTHORIZED));
        return core;
    }

    @AfterEach
    void stop() {
        if (core != null) {
            core.stop();
        }
    }

    @Test
    void aCallIsSentTrackedAndForgottenWhenItEnds() throws Exception {
        try (ScriptedServer server = new ScriptedServer(200, "text/event-stream",
                List.of("data: a\n\n"), false)) {
            final TestSettings settings = TestSettings.of(server.baseUrl(), KEY);
            core(settings);
            assertThat(core.isAvailable()).isTrue();
            assertThat(core.models()).extracting(m -> m.id()).containsExactly("test-model");
            assertThat(core.settings()).isSameAs(settings);
            assertThat(core.client().isStarted()).isTrue();
            final Collecting call = new Collecting(settings, true);
            core.send(call, settings, null, post("/chat"));
            call.recorder.usage();
            call.recorder.assertContract();
            assertThat(call.recorder.bytes()).isEqualTo("data: a\n\n");
            assertThat(server.requests()).isEqualTo(1);
            assertThat(core.callsInFlight()).isZero();
        }
    }

    @Test
    void withoutAKeyNothingIsOfferedAndCallsFailWithTheHint() {
        final TestSettings settings = TestSettings.of("http://127.0.0.1:9", null);
        core(settings);
        assertThat(core.isAvailable()).isFalse();
        assertThat(core.models()).isEmpty();
        final Collecting call = new Collecting(settings, false);
        core.send(call, settings, CallOptions.of("r1"), post("/chat"));
        final ProviderFailure failure = call.recorder.failure();
        assertThat(failure.kind()).isEqualTo(FailureKind.AUTHENTICATION);
        assertThat(failure.message()).isEqualTo("provider test: no API key (set TEST_API_KEY)");
    }

    @Test
    void aRequestThatCannotBeBuiltIsABadRequest() {
        final TestSettings settings = TestSettings.of("http://127.0.0.1:9", KEY);
        core(settings);
        final Collecting call = new Collecting(settings, false);
        core.send(call, settings, null, (client, s, options) -> {
            throw new IllegalArgumentException("bad header");
        });
        final ProviderFailure failure = call.recorder.failure();
        assertThat(failure.kind()).isEqualTo(FailureKind.BAD_REQUEST);
        assertThat(failure.message()).isEqualTo("cannot build the upstream request: bad header");
        assertThat(core.callsInFlight()).isZero();
    }

    @Test
    void theCallsTimeoutsComeBeforeTheSettings() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
                ScriptedServer stalled = new ScriptedServer(200, "text/event-stream",
                        List.of("data: a\n\n"), true)) {
            final TestSettings settings = TestSettings.of("http://127.0.0.1:"
                    + silent.getLocalPort(), KEY);
            core(settings);
            final Collecting first = new Collecting(settings, true);
            core.send(first, settings, new CallOptions("r", Duration.ofMillis(200),
                    Duration.ofSeconds(5), Map.of()), post("/chat"));
            final ProviderFailure noByte = first.recorder.failure();
            assertThat(noByte.kind()).isEqualTo(FailureKind.TIMEOUT);
            assertThat(noByte.message()).isEqualTo(UpstreamFailures.firstByteTimeout(
                    Duration.ofMillis(200)));
            final TestSettings other = TestSettings.of(stalled.baseUrl(), KEY);
            final Collecting second = new Collecting(other, true);
            core.send(second, other, new CallOptions("r", null, Duration.ofMillis(300),
                    Map.of()), post("/chat"));
            final ProviderFailure late = second.recorder.failure();
            assertThat(late.kind()).isEqualTo(FailureKind.TIMEOUT);
            assertThat(late.message()).contains("total timeout of 300 ms exceeded");
            assertThat(second.recorder.bytes()).isEqualTo("data: a\n\n");
        }
    }

    @Test
    void stoppingEndsTheCallsInFlightAndRefusesNewOnes() throws Exception {
        try (ScriptedServer server = new ScriptedServer(200, "text/event-stream",
                List.of("data: a\n\n"), true)) {
            final TestSettings settings = TestSettings.of(server.baseUrl(), KEY);
            final ProviderCore<TestSettings> stopping = core(settings);
            final Collecting call = new Collecting(settings, true);
            stopping.send(call, settings, null, post("/chat"));
            call.recorder.firstOutput.await();
            assertThat(stopping.callsInFlight()).isEqualTo(1);
            core = null;
            stopping.stop();
            final ProviderFailure failure = call.recorder.failure();
            assertThat(failure.kind()).isEqualTo(FailureKind.CONNECTION);
            assertThat(failure.message()).isEqualTo(ProviderCore.STOPPED);
            assertThat(stopping.isAvailable()).isFalse();
            assertThat(stopping.models()).isEmpty();
            assertThat(stopping.client().isStopped()).isTrue();
            final Collecting after = new Collecting(settings, false);
            stopping.send(after, settings, null, post("/chat"));
            assertThat(after.recorder.failure().message()).isEqualTo(ProviderCore.STOPPED);
        }
    }

    private static ModelProvider provider() {
        return (ModelProvider) Proxy.newProxyInstance(ProviderCoreTest.class.getClassLoader(),
                new Class<?>[] {ModelProvider.class}, (p, method, args) -> {
                    throw new UnsupportedOperationException(method.getName());
                });
    }

    @Test
    void theServicesAreRegisteredFollowANewIdAndAreRemovedOnStop() {
        final TestSettings settings = TestSettings.of("http://127.0.0.1:9", KEY);
        final ProviderCore<TestSettings> registered = core(settings);
        final RecordingContext context = new RecordingContext();
        registered.register(context.context(), provider());
        assertThat(context.calls).containsExactly(
                "registerService " + ModelProvider.class.getName(),
                "registerService " + HealthContributor.class.getName());
        final Dictionary<?, ?> properties = context.properties.get(0);
        assertThat(Collections.list(properties.keys())).hasSize(2);
        assertThat(properties.get(ModelProvider.PROVIDER_ID)).isEqualTo("test");
        assertThat(properties.get(ProviderCore.DIALECT_PROPERTY)).isEqualTo("test");
        assertThat(context.properties.get(1)).isNull();

        registered.update(new TestSettings("test", settings.baseUrl(), null, "OTHER_KEY",
                Duration.ofSeconds(2), Duration.ofSeconds(1)));
        assertThat(registered.client().getConnectTimeout()).isEqualTo(2000);
        assertThat(registered.isAvailable()).isFalse();
        assertThat(context.calls).hasSize(2);
        final TestSettings renamed = new TestSettings("renamed", settings.baseUrl(), KEY, null,
                Duration.ofSeconds(2), Duration.ofSeconds(1));
        registered.update(renamed);
        assertThat(registered.settings()).isSameAs(renamed);
        assertThat(context.calls).endsWith("setProperties");
        assertThat(context.properties.get(2).get(ModelProvider.PROVIDER_ID)).isEqualTo("renamed");

        core = null;
        registered.stop();
        assertThat(context.calls).endsWith("setProperties", "unregister", "unregister");
        registered.stop();
        assertThat(context.calls).hasSize(5);
    }

    @Test
    void aRegistrationRefusedHalfwayIsUndone() {
        final ProviderCore<TestSettings> half = core(TestSettings.of("http://h", KEY));
        core = null;
        final RecordingContext context = new RecordingContext();
        context.registrationsAllowed = 1;
        assertThatThrownBy(() -> half.register(context.context(), provider()))
                .hasMessage("bundle is stopping");
        assertThat(context.calls).containsExactly(
                "registerService " + ModelProvider.class.getName(), "unregister");
        assertThat(half.client().isStopped()).isTrue();
    }

    @Test
    void aRefusedRegistrationStopsTheClient() {
        final ProviderCore<TestSettings> refused = core(TestSettings.of("http://h", KEY));
        core = null;
        final HttpClient client = refused.client();
        assertThatThrownBy(() -> refused.register(RecordingContext.refusing("bundle stopping"),
                provider())).isInstanceOf(IllegalStateException.class)
                .hasMessage("bundle stopping");
        assertThat(client.isStopped()).isTrue();
        assertThat(refused.isAvailable()).isFalse();
    }

    @Test
    void requestsArePostsOfJsonWithTheCallsDeadlineAsIdleTimeout() throws Exception {
        try (ScriptedServer server = new ScriptedServer(200, "application/json",
                List.of("{}"), false)) {
            final TestSettings settings = TestSettings.of(server.baseUrl(), KEY);
            core(settings);
            final AtomicReference<Request> made = new AtomicReference<>();
            final Collecting call = new Collecting(settings, false);
            core.send(call, settings, new CallOptions("r", null, Duration.ofSeconds(7), Map.of()),
                    (client, s, options) -> {
                        made.set(ProviderCore.jsonPost(client, s.baseUrl() + "/chat",
                                "{}".getBytes(StandardCharsets.UTF_8), false));
                        return made.get();
                    });
            call.recorder.failureOrUsage();
            final Request request = made.get();
            assertThat(request.getMethod()).isEqualTo("POST");
            assertThat(request.getHeaders().get(HttpHeader.CONTENT_TYPE))
                    .isEqualTo("application/json");
            assertThat(request.getHeaders().get(HttpHeader.ACCEPT)).isEqualTo("application/json");
            assertThat(request.getIdleTimeout()).isEqualTo(8_000);
        }
    }

    @Test
    void forwardedHeadersSkipConfiguredRefusedAndInvalidOnes() {
        final TestSettings settings = TestSettings.of("http://h", KEY);
        core(settings);
        final Map<String, String> asked = new LinkedHashMap<>();
        asked.put("X-Trace", "1");
        asked.put("x-extra", "forwarded");
        asked.put("X-Refused", "r");
        asked.put("Bad Name", "v");
        final HttpFields.Mutable headers = HttpFields.build();
        core.forward(headers, settings, new CallOptions("r", null, null, asked),
                name -> name.equals("x-refused"));
        assertThat(headers.getFieldNamesCollection()).containsExactly("X-Trace");
        assertThat(headers.get("X-Trace")).isEqualTo("1");
    }

    @Test
    void theMapperIgnoresUnknownProperties() throws Exception {
        final ObjectMapper mapper = ProviderCore.mapper(ProviderCoreTest.class);
        record Known(String a) {
        }
        assertThat(mapper.readValue("{\"a\":\"x\",\"b\":1}", Known.class).a()).isEqualTo("x");
    }
}
