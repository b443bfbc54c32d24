package lodestar.router.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.TextNode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import lodestar.api.chat.ChatMessage;
import lodestar.api.chat.ChatRequest;
import lodestar.api.chat.ToolDefinition;
import lodestar.api.event.RequestEvent;
import lodestar.api.event.RequestListener;
import lodestar.api.provider.FailureKind;
import lodestar.api.provider.ModelInfo;
import lodestar.api.provider.ProviderFailure;
import lodestar.api.routing.RouteDecision;
import lodestar.api.routing.RoutingContext;
import org.junit.jupiter.api.Test;

class RouterLogicTest {

    static final ModelInfo LOCAL = new ModelInfo("deepseek-coder:1.3b", "ollama", 16_384, false,
            false, true, 0, 0);
    static final ModelInfo MINI = new ModelInfo("gpt-4o-mini", "openai", 128_000, true, true,
            false, 0.15e-6, 0.6e-6);
    static final ModelInfo BIG = new ModelInfo("gpt-4o", "openai", 128_000, true, true, false,
            2.5e-6, 10e-6);
    static final ModelInfo GROK = new ModelInfo("grok-code-fast-1", "xai", 256_000, true, false,
            false, 0.2e-6, 1.5e-6);

    static final class TestClock extends Clock {
        Instant now = Instant.parse("2026-11-26T10:00:00Z");

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(final ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    private static ChatRequest prompt(final String text, final boolean tools, final boolean image) {
        final ChatMessage message = image
                ? new ChatMessage("user", com.fasterxml.jackson.databind.node.JsonNodeFactory
                        .instance.arrayNode().add(com.fasterxml.jackson.databind.node
                                .JsonNodeFactory.instance.objectNode().put("type", "image_url")),
                        null, null, null, null)
                : new ChatMessage("user", TextNode.valueOf(text), null, null, null, null);
        return new ChatRequest("auto", List.of(message), false, null,
                tools ? List.of(new ToolDefinition("function",
                        new ToolDefinition.Function("f", null, null, null), null)) : null,
                null, null, null, null, null);
    }

    private static RoutingContext context(final ChatRequest request, final String targets,
            final List<ModelInfo> available) {
        return new RoutingContext("auto", request, Map.of(),
                targets == null ? Map.of() : Map.of("targets", targets), available);
    }

    @Test
    void targetsResolveQualifiedAndBareNamesInOrder() {
        final List<ModelInfo> all = List.of(LOCAL, MINI, BIG, GROK);

        assertThat(Targets.resolve(Targets.parse(" openai/gpt-4o , deepseek-coder:1.3b,,x"), all))
                .containsExactly(BIG, LOCAL);
        assertThat(Targets.parse(null)).isEmpty();
        assertThat(Targets.resolve(List.of("gpt-4o", "openai/gpt-4o"), all)).containsExactly(BIG);
    }

    @Test
    void fixedTakesTheFirstAvailableTarget() {
        final BuiltInStrategies.Fixed fixed = new BuiltInStrategies.Fixed();
        final RouteDecision decision = fixed.route(context(prompt("hi", false, false),
                "ollama/deepseek-coder:1.3b,openai/gpt-4o", List.of(MINI, BIG, LOCAL)));

        assertThat(fixed.name()).isEqualTo("fixed");
        assertThat(decision.candidates()).containsExactly(LOCAL);
        assertThat(decision.explanation()).contains("ollama/deepseek-coder:1.3b");
        assertThat(fixed.route(context(null, "nope", List.of(BIG))).candidates()).isEmpty();
    }

    @Test
    void fallbackKeepsTheConfiguredOrder() {
        final BuiltInStrategies.Fallback fallback = new BuiltInStrategies.Fallback();
        final RouteDecision decision = fallback.route(context(null,
                "openai/gpt-4o,xai/grok-code-fast-1,ollama/deepseek-coder:1.3b",
                List.of(LOCAL, GROK, BIG)));

        assertThat(fallback.name()).isEqualTo("fallback");
        assertThat(decision.candidates()).containsExactly(BIG, GROK, LOCAL);
        assertThat(decision.explanation()).contains("chain of 3").contains("openai/gpt-4o");
        assertThat(fallback.route(context(null, "", List.of(BIG))).explanation())
                .isEqualTo("fallback chain of 0");
    }

    @Test
    void cheapestMeetsToolsVisionAndContextNeeds() {
        final BuiltInStrategies.Cheapest cheapest = new BuiltInStrategies.Cheapest();
        final List<ModelInfo> all = List.of(BIG, GROK, MINI, LOCAL);

        assertThat(cheapest.name()).isEqualTo("cheapest");
        assertThat(cheapest.route(context(prompt("hi", false, false), null, all)).candidates())
                .containsExactly(LOCAL, MINI, GROK, BIG);
        assertThat(cheapest.route(context(prompt("hi", true, false), null, all)).candidates())
                .containsExactly(MINI, GROK, BIG);
        assertThat(cheapest.route(context(prompt("", true, true), null, all)).candidates())
                .containsExactly(MINI, BIG);
        final String huge = "x".repeat(4 * 20_000);
        assertThat(cheapest.route(context(prompt(huge, false, false), null, all)).candidates())
                .containsExactly(MINI, GROK, BIG);
        assertThat(cheapest.route(context(prompt("", true, true), "deepseek-coder:1.3b", all))
                .explanation()).contains("no model meets tools vision");
        assertThat(cheapest.route(context(null, null, all)).candidates().get(0)).isEqualTo(LOCAL);
    }

    @Test
    void breakerOpensAfterThresholdThenProbesOnce() {
        final TestClock clock = new TestClock();
        final CircuitBreaker breaker = new CircuitBreaker(clock);
        final Duration cooldown = Duration.ofSeconds(30);

        assertThat(breaker.allow()).isTrue();
        breaker.failure("SERVER_ERROR: boom", 2, cooldown);
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
        breaker.failure("SERVER_ERROR: boom", 2, cooldown);
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(breaker.allow()).isFalse();
        assertThat(breaker.isAvailable()).isFalse();
        assertThat(breaker.cooldownLeft()).isEqualTo(cooldown);
        assertThat(breaker.lastError()).contains("boom");
        assertThat(breaker.lastErrorAt()).isEqualTo(clock.now);
        assertThat(breaker.failures()).isEqualTo(2);

        clock.now = clock.now.plusSeconds(31);
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.HALF_OPEN);
        assertThat(breaker.allow()).isTrue();
        assertThat(breaker.allow()).isFalse();
        breaker.failure("again", 2, cooldown);
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);

        clock.now = clock.now.plusSeconds(31);
        assertThat(breaker.allow()).isTrue();
        breaker.success();
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(breaker.cooldownLeft()).isEqualTo(Duration.ZERO);
    }

    @Test
    void tokenBucketRefillsPerMinute() {
        final AtomicLong now = new AtomicLong();
        final RateLimiter limiter = new RateLimiter(60, 2, now::get);

        assertThat(limiter.acquire("a")).isZero();
        assertThat(limiter.acquire("a")).isZero();
        assertThat(limiter.acquire("a")).isEqualTo(1);
        assertThat(limiter.acquire("b")).isZero();
        now.addAndGet(1_000_000_000L);
        assertThat(limiter.acquire("a")).isZero();
        assertThat(new RateLimiter(0, 1, now::get).acquire("x")).isZero();
    }

    @Test
    void dispatcherDeliversDropsAndSurvivesFailingListeners() throws Exception {
        final List<RequestEvent> seen = new CopyOnWriteArrayList<>();
        final List<RequestListener> listeners = new ArrayList<>();
        listeners.add(event -> {
            throw new IllegalStateException("listener broken");
        });
        listeners.add(seen::add);
        final EventDispatcher dispatcher = new EventDispatcher(1000, () -> listeners);
        for (int i = 0; i < 5; i++) {
            dispatcher.publish(event("r" + i));
        }
        dispatcher.close();

        assertThat(seen).hasSize(5);
        assertThat(dispatcher.published()).isEqualTo(5);
        assertThat(dispatcher.failed()).isEqualTo(5);
        assertThat(dispatcher.dropped()).isZero();
        assertThat(dispatcher.queued()).isZero();

        final CountDownLatch block = new CountDownLatch(1);
        final EventDispatcher slow = new EventDispatcher(1, () -> List.of(event -> {
            try {
                block.await();
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
        for (int i = 0; i < 10; i++) {
            slow.publish(event("s" + i));
        }
        assertThat(slow.dropped()).isGreaterThanOrEqualTo(8);
        block.countDown();
        slow.close();
    }

    static RequestEvent event(final String id) {
        return new RequestEvent(id, Instant.EPOCH, "/v1/chat/completions", null, null, "m",
                null, null, "fixed", "", false, false, null, Duration.ZERO, null, 200, null, 1,
                null, null);
    }

    @Test
    void errorsHaveTheOpenAiShape() {
        final ApiError error = ApiError.invalid("bad", "messages");

        assertThat(error.toJson().toString()).isEqualTo("{\"error\":{\"message\":\"bad\","
                + "\"type\":\"invalid_request_error\",\"param\":\"messages\",\"code\":null}}");
        assertThat(new ApiError(401, "m", "authentication_error", null, "invalid_api_key", 0)
                .toJson().toString()).contains("\"param\":null").contains("invalid_api_key");
    }

    @Test
    void upstreamFailuresMapToClientStatuses() {
        assertThat(ChatExchange.toClientError(new ProviderFailure(FailureKind.RATE_LIMITED, 429,
                "slow down", Duration.ofSeconds(7), false))).satisfies(e -> {
                    assertThat(e.status()).isEqualTo(429);
                    assertThat(e.retryAfterSeconds()).isEqualTo(7);
                });
        assertThat(ChatExchange.toClientError(ProviderFailure.of(FailureKind.QUOTA_EXHAUSTED,
                429, "quota")).code()).isEqualTo("insufficient_quota");
        assertThat(ChatExchange.toClientError(ProviderFailure.of(FailureKind.TIMEOUT, 0, "t"))
                .status()).isEqualTo(504);
        assertThat(ChatExchange.toClientError(ProviderFailure.of(FailureKind.NOT_FOUND, 404,
                "n")).status()).isEqualTo(404);
        assertThat(ChatExchange.toClientError(ProviderFailure.of(FailureKind.SERVER_ERROR, 500,
                "s")).code()).isEqualTo("upstream_server_error");
    }

    @Test
    void backoffIsJitteredExponentialAndHonoursRetryAfter() {
        final RouterCore.Settings settings = new RouterCore.Settings(1024, 3,
                Duration.ofMillis(100), Duration.ofSeconds(2), 3, Duration.ofSeconds(30),
                Map.of(), new RateLimiter(0, 1, System::nanoTime), "", true);
        final ProviderFailure plain = ProviderFailure.of(FailureKind.SERVER_ERROR, 500, "x");

        assertThat(ChatExchange.backoff(settings, plain, 0).toMillis()).isBetween(50L, 100L);
        assertThat(ChatExchange.backoff(settings, plain, 2).toMillis()).isBetween(200L, 400L);
        assertThat(ChatExchange.backoff(settings, new ProviderFailure(FailureKind.RATE_LIMITED,
                429, "x", Duration.ofSeconds(3), false), 0)).isEqualTo(Duration.ofSeconds(3));
    }

    @Test
    void proxyKeysParseNamesAndPlainKeys() {
        assertThat(RouterCore.Settings.parseKeys("alice:sk-a, sk-b ,, bob: sk-c"))
                .containsEntry("sk-a", "alice").containsEntry("sk-b", "key2")
                .containsEntry("sk-c", "bob").hasSize(3);
        assertThat(RouterCore.Settings.parseKeys("")).isEmpty();
        assertThat(RouterCore.Settings.parseKeys(null)).isEmpty();
        assertThat(RouterCore.Settings.parseKeys("${env:LODESTAR_TEST_UNSET_VARIABLE}")).isEmpty();
    }

    @Test
    void poorAnswersAreRecognised() throws Exception {
        final com.fasterxml.jackson.databind.ObjectMapper json =
                new com.fasterxml.jackson.databind.ObjectMapper();
        final java.util.function.Function<String, lodestar.api.chat.ChatResponse> answer =
                text -> {
                    try {
                        return json.readValue("{\"id\":\"x\",\"object\":\"chat.completion\","
                                + "\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,"
                                + "\"message\":{\"role\":\"assistant\",\"content\":" + text
                                + "},\"finish_reason\":\"stop\"}]}",
                                lodestar.api.chat.ChatResponse.class);
                    } catch (final java.io.IOException e) {
                        throw new IllegalStateException(e);
                    }
                };
        assertThat(ChatExchange.poorAnswer(answer.apply("\"\""))).isEqualTo("(empty answer)");
        assertThat(ChatExchange.poorAnswer(answer.apply("null"))).isEqualTo("(empty answer)");
        assertThat(ChatExchange.poorAnswer(answer.apply(
                "\"I'm sorry, but I can't help with that.\""))).isEqualTo("(refused)");
        assertThat(ChatExchange.poorAnswer(answer.apply(
                "\"I cannot assist with this request.\""))).isEqualTo("(refused)");
        assertThat(ChatExchange.poorAnswer(answer.apply(
                "\"Sure, here is the refactored loop.\""))).isNull();
        assertThat(ChatExchange.poorAnswer(answer.apply(
                "\"I can't see why this fails, but the loop bound is off by one.\""))).isNull();
    }

    @Test
    void theClientKeyIsReadFromBearerElseXApiKey() {
        assertThat(ClientRequest.presentedKey("Bearer sk-a", "sk-b")).isEqualTo("sk-a");
        assertThat(ClientRequest.presentedKey("bearer  sk-a ", null)).isEqualTo("sk-a");
        assertThat(ClientRequest.presentedKey("Basic xyz", "sk-b")).isEqualTo("sk-b");
        assertThat(ClientRequest.presentedKey(null, null)).isNull();
    }
}
