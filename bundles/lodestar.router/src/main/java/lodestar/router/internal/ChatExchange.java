package lodestar.router.internal;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import lodestar.api.chat.ChatChunk;
import lodestar.api.chat.ChatRequest;
import lodestar.api.chat.ChatResponse;
import lodestar.api.chat.StreamOptions;
import lodestar.api.chat.Usage;
import lodestar.api.event.RequestEvent;
import lodestar.api.provider.CallOptions;
import lodestar.api.provider.ChatCall;
import lodestar.api.provider.ChatListener;
import lodestar.api.provider.FailureKind;
import lodestar.api.provider.ModelInfo;
import lodestar.api.provider.ModelProvider;
import lodestar.api.provider.ProviderFailure;

/**
 * One chat completion in flight: tries the plan's candidates in order, retries transient
 * failures with jittered backoff (honouring {@code Retry-After}), feeds the circuit breakers,
 * relays the answer (chunk by chunk when streamed), and publishes one request event at the end.
 *
 * <p>Before the first byte reaches the client every failure can still fail over; after it, a
 * failure ends the stream with an SSE error event.
 */
final class ChatExchange implements AsyncListener {

    private final RouterCore core;
    private final ClientRequest client;
    private final ChatRequest request;
    private final RouterCore.Plan plan;
    private final AsyncContext async;
    private final HttpServletResponse response;
    private final boolean streaming;
    private final ClientDialect dialect;
    private final Instant arrivedAt = Instant.now();

    private int candidate;
    private int attempt;
    private int attempts;
    private volatile ChatCall call;
    private volatile boolean finished;
    private boolean committed;
    private long firstByteNanos;
    private long dispatchNanos;
    private ModelInfo servedBy;
    private ProviderFailure lastFailure;
    private String lastProvider;
    private String lastModel;
    private Usage usage;
    private long streamedChars;
    private final java.util.List<String> escalations = new java.util.ArrayList<>();
    private boolean cacheHit;
    /** Kept only while a content listener exists: the answer, for the learning loop. */
    private final boolean keepContent;
    private final StringBuilder answerText = new StringBuilder();
    private final java.util.Map<Integer, String[]> answerCalls = new java.util.TreeMap<>();
    private String answerFinish;
    private ChatResponse completeAnswer;

    ChatExchange(final RouterCore core, final ClientRequest client, final ChatRequest request,
            final RouterCore.Plan plan, final AsyncContext async) {
        this(core, client, request, plan, async, new OpenAiDialect(request.streamOptions() != null
                && Boolean.TRUE.equals(request.streamOptions().includeUsage())));
    }

    ChatExchange(final RouterCore core, final ClientRequest client, final ChatRequest request,
            final RouterCore.Plan plan, final AsyncContext async, final ClientDialect dialect) {
        this.core = core;
        this.client = client;
        this.request = request;
        this.plan = plan;
        this.async = async;
        this.response = (HttpServletResponse) async.getResponse();
        this.streaming = request.isStreaming();
        this.dialect = dialect;
        this.keepContent = core.wantsContent();
        async.addListener(this);
    }

    void start() {
        if (cacheable() && !plan.candidates().isEmpty()) {
            final ModelInfo first = plan.candidates().get(0);
            final Optional<ChatResponse> hit = core.cache().flatMap(cache -> {
                try {
                    return cache.get(first, request);
                } catch (final RuntimeException e) {
                    return Optional.empty();
                }
            });
            if (hit.isPresent()) {
                answerFromCache(first, hit.get());
                return;
            }
        }
        next();
    }

    private void keep(final ChatChunk.ChunkChoice choice) {
        answerText.append(choice.delta().text());
        if (choice.delta().toolCalls() != null) {
            for (final lodestar.api.chat.ToolCall call : choice.delta().toolCalls()) {
                final String[] kept = answerCalls.computeIfAbsent(call.index() == null ? 0
                        : call.index(), i -> new String[] {null, null, ""});
                if (call.id() != null) {
                    kept[0] = call.id();
                }
                if (call.function() != null && call.function().name() != null) {
                    kept[1] = call.function().name();
                }
                if (call.function() != null && call.function().arguments() != null) {
                    kept[2] += call.function().arguments();
                }
            }
        }
        if (choice.finishReason() != null) {
            answerFinish = choice.finishReason();
        }
    }

    /** The answer as a complete canonical {@code chat.completion}, for content listeners. */
    private com.fasterxml.jackson.databind.JsonNode answerJson() {
        if (completeAnswer != null) {
            return core.mapper.valueToTree(completeAnswer);
        }
        final com.fasterxml.jackson.databind.node.ObjectNode root =
                core.mapper.createObjectNode();
        root.put("object", "chat.completion").put("model", servedBy.id());
        final com.fasterxml.jackson.databind.node.ObjectNode choice =
                root.putArray("choices").addObject().put("index", 0);
        final com.fasterxml.jackson.databind.node.ObjectNode message =
                choice.putObject("message").put("role", "assistant");
        message.put("content", answerText.toString());
        if (!answerCalls.isEmpty()) {
            final com.fasterxml.jackson.databind.node.ArrayNode calls =
                    message.putArray("tool_calls");
            answerCalls.forEach((index, call) -> {
                final com.fasterxml.jackson.databind.node.ObjectNode out = calls.addObject()
                        .put("id", call[0]).put("type", "function");
                out.putObject("function").put("name", call[1]).put("arguments", call[2]);
            });
        }
        choice.put("finish_reason", answerFinish);
        if (usage != null) {
            root.set("usage", core.mapper.valueToTree(usage));
        }
        return root;
    }

    /**
     * Why a complete answer is too poor to keep when another candidate could do better: no
     * text and no tool call, or a short refusal.
     *
     * @param answer the answer
     * @return the reason, or {@code null} when the answer is fine
     */
    static String poorAnswer(final ChatResponse answer) {
        if (answer.choices().isEmpty() || answer.choices().get(0).message() == null) {
            return "(no answer)";
        }
        final ChatResponse.Choice choice = answer.choices().get(0);
        final boolean tools = choice.message().toolCalls() != null
                && !choice.message().toolCalls().isEmpty();
        final String text = choice.message().text() == null ? ""
                : choice.message().text().trim();
        if (text.isEmpty() && !tools) {
            return "(empty answer)";
        }
        if ("content_filter".equals(choice.finishReason())) {
            return "(filtered)";
        }
        if (!tools && text.length() < 400 && REFUSAL.matcher(text).find()) {
            return "(refused)";
        }
        return null;
    }

    private static final java.util.regex.Pattern REFUSAL = java.util.regex.Pattern.compile(
            "^(I'?m sorry|Sorry|I apologi[sz]e)?[,.]?\\s*(but )?(I|As an AI)[^.]{0,40}"
                    + "\\b(can(no|')t|cannot|am unable to|won'?t be able to|am not able to)"
                    + "\\b[^.]{0,30}\\b(help|assist|comply|provide|do that)",
            java.util.regex.Pattern.CASE_INSENSITIVE);

    /** Only complete, deterministic answers are cached: not streamed, temperature 0 or a seed. */
    private boolean cacheable() {
        return !streaming && (request.seed() != null || request.temperature() != null
                && request.temperature() == 0.0);
    }

    private synchronized void answerFromCache(final ModelInfo model, final ChatResponse answer) {
        usage = answer.usage();
        cacheHit = true;
        try {
            final byte[] json = dialect.response(answer, core.mapper);
            response.setHeader("x-lodestar-cache", "hit");
            commit(model, "application/json");
            response.setContentLength(json.length);
            response.getOutputStream().write(json);
        } catch (final IOException e) {
            clientGone();
            return;
        }
        servedBy = model;
        finish(200, null);
    }

    /** Sends to the current candidate, or moves on, or fails when none is left. */
    private synchronized void next() {
        while (!finished && candidate < plan.candidates().size()) {
            final ModelInfo model = plan.candidates().get(candidate);
            final ModelProvider provider = core.usable(model).orElse(null);
            if (provider == null) {
                candidate++;
                attempt = 0;
                continue;
            }
            send(provider, model);
            return;
        }
        if (!finished) {
            failWith(lastFailure == null
                    ? new ApiError(503, "no provider available for model '" + request.model()
                            + "'", "service_unavailable", "model", "no_provider_available", 0)
                    : toClientError(lastFailure));
        }
    }

    private void send(final ModelProvider provider, final ModelInfo model) {
        attempts++;
        if (dispatchNanos == 0) {
            dispatchNanos = System.nanoTime();
        }
        ChatRequest upstream = request.withModel(model.id());
        if (streaming) {
            final StreamOptions options = request.streamOptions() == null
                    ? StreamOptions.of(true)
                    : new StreamOptions(true, request.streamOptions().extra());
            upstream = upstream.withStreamOptions(options);
        }
        lastProvider = provider.id();
        lastModel = model.id();
        final CallOptions options = new CallOptions(client.requestId(), null, null,
                client.upstreamHeaders(provider.dialect()));
        call = provider.chat(upstream, options, new Relay(model));
    }

    /** Receives one provider call's outcome. */
    private final class Relay implements ChatListener {
        private final ModelInfo model;
        /** Set when this call's answer was set aside for the next candidate. */
        private boolean dropped;

        Relay(final ModelInfo model) {
            this.model = model;
        }

        @Override
        public void onChunk(final ChatChunk chunk) {
            synchronized (ChatExchange.this) {
                if (finished) {
                    return;
                }
                if (chunk.usage() != null) {
                    usage = chunk.usage();
                }
                for (final ChatChunk.ChunkChoice choice : chunk.choices()) {
                    if (choice.delta() != null) {
                        streamedChars += choice.delta().text().length();
                        if (keepContent) {
                            keep(choice);
                        }
                    }
                }
                try {
                    final byte[] bytes = dialect.chunk(chunk, core.mapper);
                    if (bytes.length == 0) {
                        return;
                    }
                    commit(model, "text/event-stream");
                    final OutputStream stream = response.getOutputStream();
                    stream.write(bytes);
                    stream.flush();
                } catch (final IOException e) {
                    clientGone();
                }
            }
        }

        @Override
        public void onResponse(final ChatResponse answer) {
            synchronized (ChatExchange.this) {
                if (finished || dropped) {
                    return;
                }
                final String poor = core.settings().escalatePoorAnswers()
                        && candidate + 1 < plan.candidates().size() ? poorAnswer(answer) : null;
                if (poor != null) {
                    dropped = true;
                    escalations.add(model.qualifiedName() + " " + poor);
                    candidate++;
                    attempt = 0;
                    core.schedule(ChatExchange.this::next, Duration.ZERO);
                    return;
                }
                usage = answer.usage();
                if (keepContent) {
                    completeAnswer = answer;
                }
                if (cacheable()) {
                    core.cache().ifPresent(cache -> {
                        try {
                            cache.put(model, request, answer);
                        } catch (final RuntimeException e) {
                            // a broken cache never fails a request
                        }
                    });
                }
                try {
                    final byte[] json = dialect.response(answer, core.mapper);
                    commit(model, "application/json");
                    response.setContentLength(json.length);
                    response.getOutputStream().write(json);
                } catch (final IOException e) {
                    clientGone();
                }
            }
        }

        @Override
        public void onComplete(final Usage finalUsage) {
            synchronized (ChatExchange.this) {
                if (finished || dropped) {
                    return;
                }
                core.breaker(model.providerId()).success();
                if (finalUsage != null) {
                    usage = finalUsage;
                }
                try {
                    commit(model, streaming ? "text/event-stream" : "application/json");
                    if (streaming) {
                        response.getOutputStream().write(dialect.end(usage, core.mapper));
                        response.getOutputStream().flush();
                    }
                } catch (final IOException e) {
                    clientGone();
                    return;
                }
                servedBy = model;
                finish(200, null);
            }
        }

        @Override
        public void onError(final ProviderFailure failure) {
            synchronized (ChatExchange.this) {
                if (finished || dropped) {
                    return;
                }
                handleFailure(model, failure);
            }
        }
    }

    private void handleFailure(final ModelInfo model, final ProviderFailure failure) {
        lastFailure = failure;
        final FailureKind kind = failure.kind();
        core.recordFailure(model.providerId(), failure);
        if (committed) {
            streamError(failure);
            return;
        }
        if (kind == FailureKind.BAD_REQUEST) {
            failWith(new ApiError(400, "The upstream rejected the request: "
                    + failure.message(), "invalid_request_error", null, "upstream_bad_request",
                    0));
            return;
        }
        final RouterCore.Settings settings = core.settings();
        if (kind.isRetryable() && attempt + 1 < settings.maxAttempts()) {
            final Duration delay = backoff(settings, failure, attempt);
            if (delay.compareTo(settings.backoffMax()) <= 0) {
                attempt++;
                core.schedule(this::retrySame, delay);
                return;
            }
        }
        candidate++;
        attempt = 0;
        core.schedule(this::next, Duration.ZERO);
    }

    private synchronized void retrySame() {
        if (finished) {
            return;
        }
        final ModelInfo model = plan.candidates().get(candidate);
        final ModelProvider provider = core.usable(model).orElse(null);
        if (provider == null) {
            candidate++;
            attempt = 0;
            next();
            return;
        }
        send(provider, model);
    }

    static Duration backoff(final RouterCore.Settings settings, final ProviderFailure failure,
            final int retry) {
        final long base = settings.backoffBase().toMillis();
        final long exponential = base * (1L << Math.min(10, retry));
        final long jittered = exponential / 2
                + ThreadLocalRandom.current().nextLong(exponential / 2 + 1);
        final Duration wait = Duration.ofMillis(jittered);
        return failure.retryAfter() != null && failure.retryAfter().compareTo(wait) > 0
                ? failure.retryAfter() : wait;
    }

    private void commit(final ModelInfo model, final String contentType) {
        if (committed) {
            return;
        }
        committed = true;
        firstByteNanos = System.nanoTime();
        response.setStatus(200);
        response.setContentType(contentType);
        response.setCharacterEncoding("UTF-8");
        if (streaming) {
            response.setHeader("Cache-Control", "no-cache");
            response.setHeader("X-Accel-Buffering", "no");
        }
        headers(model);
    }

    private void headers(final ModelInfo model) {
        response.setHeader("x-lodestar-request-id", client.requestId());
        if (model != null) {
            response.setHeader("x-lodestar-model", model.qualifiedName());
        }
        response.setHeader("x-lodestar-route", plan.strategy() + "; " + plan.explanation()
                + (attempts > 1 ? "; attempts=" + attempts : "")
                + (escalations.isEmpty() ? "" : "; escalated: "
                        + String.join(", ", escalations)));
        final long overhead = (dispatchNanos == 0 ? System.nanoTime() : dispatchNanos)
                - client.arrivalNanos();
        response.setHeader("x-lodestar-overhead-ms", Responses.millis(overhead));
    }

    private void streamError(final ProviderFailure failure) {
        try {
            final ApiError error = new ApiError(502, "The upstream failed mid-stream ("
                    + failure.kind().name().toLowerCase(Locale.ROOT) + "): " + failure.message(),
                    "upstream_error", null, "stream_interrupted", 0);
            final OutputStream stream = response.getOutputStream();
            stream.write(dialect.streamError(error, core.mapper));
            stream.flush();
        } catch (final IOException e) {
            clientGone();
            return;
        }
        finish(200, "stream_interrupted");
    }

    private void failWith(final ApiError error) {
        try {
            headers(null);
            dialect.error(response, core.mapper, error, client.requestId());
        } catch (final IOException e) {
            clientGone();
            return;
        }
        finish(error.status(), error.code() == null ? error.type() : error.code());
    }

    static ApiError toClientError(final ProviderFailure failure) {
        final String message = "All candidates failed; last: " + failure.message();
        return switch (failure.kind()) {
            case RATE_LIMITED, QUOTA_EXHAUSTED -> new ApiError(429, message, "rate_limit_error",
                    null, failure.kind() == FailureKind.QUOTA_EXHAUSTED ? "insufficient_quota"
                            : "upstream_rate_limited",
                    failure.retryAfter() == null ? 1 : Math.max(1,
                            failure.retryAfter().toSeconds()));
            case TIMEOUT -> new ApiError(504, message, "upstream_error", null,
                    "upstream_timeout", 0);
            case NOT_FOUND -> new ApiError(404, message, "invalid_request_error", "model",
                    "model_not_found", 0);
            default -> new ApiError(502, message, "upstream_error", null,
                    "upstream_" + failure.kind().name().toLowerCase(Locale.ROOT), 0);
        };
    }

    /** The client went away: cancel the upstream call and finish. */
    private synchronized void clientGone() {
        if (finished) {
            return;
        }
        final ChatCall current = call;
        if (current != null) {
            current.cancel();
        }
        finish(499, "client_closed_request");
    }

    private void finish(final int status, final String errorType) {
        if (finished) {
            return;
        }
        finished = true;
        try {
            async.complete();
        } catch (final IllegalStateException ignored) {
            // the container ended the exchange first (client gone): nothing left to close
        }
        publish(status, errorType);
    }

    private void publish(final int status, final String errorType) {
        if (keepContent && status == 200 && errorType == null && servedBy != null
                && !cacheHit) {
            try {
                final com.fasterxml.jackson.databind.JsonNode answer = answerJson();
                core.publishContent(new lodestar.api.event.ExchangeContent(client.requestId(),
                        arrivedAt, client.sessionId(), servedBy.providerId(), servedBy.id(),
                        core.mapper.valueToTree(request), answer, answer.path("choices")
                                .path(0).path("finish_reason").asText(null)));
            } catch (final RuntimeException e) {
                // content is best effort: it never fails or delays a request
            }
        }
        final long now = System.nanoTime();
        final boolean estimated = usage == null;
        final long input = estimated ? BuiltInStrategies.estimateTokens(request)
                : usage.promptTokens();
        final long output = estimated ? streamedChars / 4 : usage.completionTokens();
        final RequestEvent.TokenCounts tokens = new RequestEvent.TokenCounts(input, output,
                estimated ? 0 : usage.cachedTokens(),
                estimated ? 0 : usage.cacheCreationTokens(), estimated);
        final ModelInfo model = servedBy;
        core.events.publish(new RequestEvent(client.requestId(), arrivedAt,
                dialect.endpoint(), client.sessionId(), client.clientId(), request.model(),
                model == null ? lastProvider : model.providerId(),
                model == null ? lastModel : model.id(), plan.strategy(), plan.explanation(),
                streaming, cacheHit, tokens, Duration.ofNanos(now - client.arrivalNanos()),
                firstByteNanos == 0 ? null : Duration.ofNanos(firstByteNanos
                        - client.arrivalNanos()), status, errorType, attempts,
                model == null ? null : cacheHit ? Double.valueOf(0)
                        : model.cost(input, output),
                core.baselineCost(input, output)));
    }

    @Override
    public void onComplete(final AsyncEvent event) {
        // normal end
    }

    @Override
    public void onTimeout(final AsyncEvent event) {
        clientGone();
    }

    @Override
    public void onError(final AsyncEvent event) {
        clientGone();
    }

    @Override
    public void onStartAsync(final AsyncEvent event) {
        // not used
    }
}
