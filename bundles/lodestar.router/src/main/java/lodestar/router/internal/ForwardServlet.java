package lodestar.router.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
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
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletAsyncSupported;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

/**
 * {@code POST /v1/embeddings} and {@code POST /v1/completions}: routed by model like chat, the
 * body passed through unchanged but for the model id, the answer relayed as it arrives. Before
 * the first byte a failure fails over to the next candidate.
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern({"/v1/embeddings", "/v1/completions"})
@HttpWhiteboardServletName("lodestar.router.forward")
@HttpWhiteboardServletAsyncSupported
public final class ForwardServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    private final transient RouterCore core;

    /**
     * Activates.
     *
     * @param core the router
     */
    @Activate
    public ForwardServlet(@Reference final RouterCore core) {
        this.core = core;
    }

    @Override
    protected void doPost(final HttpServletRequest request, final HttpServletResponse response)
            throws IOException {
        final long arrival = System.nanoTime();
        final String endpoint = request.getServletPath().substring("/v1/".length());
        final ClientRequest.Result read = ClientRequest.read(core, request, arrival);
        if (read.error() != null) {
            Responses.error(response, core.mapper, read.error(), null);
            return;
        }
        final ClientRequest client = read.request();
        final JsonNode tree;
        try {
            tree = core.mapper.readTree(client.body());
        } catch (final IOException e) {
            Responses.error(response, core.mapper, ApiError.invalid(
                    "The request body is not valid JSON.", null), client.requestId());
            return;
        }
        if (tree == null || !tree.path("model").isTextual()) {
            Responses.error(response, core.mapper, ApiError.invalid(
                    "'model' is required and must be a string.", "model"), client.requestId());
            return;
        }
        final RouterCore.Plan plan = core.plan(tree.path("model").asText(), null,
                client.headers());
        if (plan.error() != null) {
            Responses.error(response, core.mapper, plan.error(), client.requestId());
            return;
        }
        final AsyncContext async = request.startAsync();
        async.setTimeout(0);
        new Forward(core, client, endpoint, (ObjectNode) tree, plan, async).next();
    }

    /** One forwarded request in flight. */
    private static final class Forward implements ForwardListener {
        private final RouterCore core;
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

        Forward(final RouterCore core, final ClientRequest client, final String endpoint,
                final ObjectNode body, final RouterCore.Plan plan, final AsyncContext async) {
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
                            CallOptions.of(client.requestId()), this);
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
                Responses.error(response, core.mapper, error, client.requestId());
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
            core.breaker(current.providerId()).failure(failure.kind() + ": "
                    + failure.message(), core.settings().cooldownAfter(),
                    core.settings().cooldown());
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
}
