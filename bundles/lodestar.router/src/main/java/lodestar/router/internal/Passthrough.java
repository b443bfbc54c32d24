package lodestar.router.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import lodestar.api.chat.Usage;
import lodestar.api.event.RequestEvent;
import lodestar.api.provider.CallOptions;
import lodestar.api.provider.ForwardListener;
import lodestar.api.provider.ForwardRequest;
import lodestar.api.provider.ModelInfo;
import lodestar.api.provider.ModelProvider;
import lodestar.api.provider.ProviderFailure;

/**
 * One request forwarded without translation (OpenAI {@code /v1/embeddings} and
 * {@code /v1/completions}, Anthropic {@code /v1/messages} to an Anthropic upstream): the body
 * passes through but for the model id, the answer is relayed as it arrives; before the first
 * byte a failure fails over to the next candidate.
 */
final class Passthrough implements ForwardListener {
    private final RouterCore core;
    private final ClientDialect errors;
    private final ClientRequest client;
    private final String endpoint;
    private final ObjectNode body;
    private final RouterCore.Plan plan;
    private final AsyncContext async;
    private final HttpServletResponse response;
    private final Instant arrivedAt = Instant.now();
    private int candidate = -1;
    private ModelInfo current;
    private boolean started;
    private boolean finished;
    private ProviderFailure lastFailure;
    private long firstByte;

    Passthrough(final RouterCore core, final ClientRequest client, final String endpoint,
            final ObjectNode body, final RouterCore.Plan plan, final AsyncContext async,
            final ClientDialect errors) {
        this.errors = errors;
        this.core = core;
        this.client = client;
        this.endpoint = endpoint;
        this.body = body;
        this.plan = plan;
        this.async = async;
        this.response = (HttpServletResponse) async.getResponse();
    }

    synchronized void next() {
        while (++candidate < plan.candidates().size()) {
            final ModelInfo model = plan.candidates().get(candidate);
            final ModelProvider provider = core.usable(model).orElse(null);
            if (provider == null) {
                continue;
            }
            current = model;
            body.put("model", model.id());
            try {
                provider.forward(new ForwardRequest(endpoint, model.id(),
                        core.mapper.writeValueAsBytes(body),
                        body.path("stream").asBoolean(false)),
                        new CallOptions(client.requestId(), null, null,
                                client.upstreamHeaders(provider.dialect())), this);
            } catch (final IOException e) {
                continue;
            }
            return;
        }
        final ApiError error = lastFailure == null
                ? new ApiError(503, "no provider available", "service_unavailable", "model",
                        "no_provider_available", 0)
                : ChatExchange.toClientError(lastFailure);
        try {
            errors.error(response, core.mapper, error, client.requestId());
        } catch (final IOException ignored) {
            // client gone
        }
        end(error.status(), error.code(), null);
    }

    @Override
    public synchronized void onStart(final String contentType) {
        if (finished) {
            return;
        }
        started = true;
        firstByte = System.nanoTime();
        response.setStatus(200);
        response.setContentType(contentType == null ? "application/json" : contentType);
        response.setHeader("x-lodestar-request-id", client.requestId());
        response.setHeader("x-lodestar-model", current.qualifiedName());
        response.setHeader("x-lodestar-route", plan.strategy() + "; "
                + plan.explanation());
        response.setHeader("x-lodestar-overhead-ms",
                Responses.millis(firstByte - client.arrivalNanos()));
    }

    @Override
    public synchronized void onBytes(final byte[] data) {
        if (finished) {
            return;
        }
        try {
            response.getOutputStream().write(data);
            response.getOutputStream().flush();
        } catch (final IOException e) {
            finished = true;
            async.complete();
        }
    }

    @Override
    public synchronized void onComplete(final Usage usage) {
        if (finished) {
            return;
        }
        core.breaker(current.providerId()).success();
        end(200, null, usage);
    }

    @Override
    public synchronized void onError(final ProviderFailure failure) {
        if (finished) {
            return;
        }
        lastFailure = failure;
        core.recordFailure(current.providerId(), failure);
        if (started) {
            end(200, "stream_interrupted", null);
            return;
        }
        core.schedule(this::next, Duration.ZERO);
    }

    private void end(final int status, final String errorType, final Usage usage) {
        finished = true;
        try {
            async.complete();
        } catch (final IllegalStateException ignored) {
            // already completed
        }
        final long input = usage == null ? 0 : usage.promptTokens();
        final long output = usage == null ? 0 : usage.completionTokens();
        core.events.publish(new RequestEvent(client.requestId(), arrivedAt,
                "/v1/" + endpoint, client.sessionId(), client.clientId(),
                body.path("model").asText(), current == null ? null : current.providerId(),
                current == null ? null : current.id(), plan.strategy(), plan.explanation(),
                body.path("stream").asBoolean(false), false,
                new RequestEvent.TokenCounts(input, output, 0, 0, usage == null),
                Duration.ofNanos(System.nanoTime() - client.arrivalNanos()),
                firstByte == 0 ? null : Duration.ofNanos(firstByte - client.arrivalNanos()),
                status, errorType, candidate + 1,
                current == null ? null : current.cost(input, output), null));
    }
}
