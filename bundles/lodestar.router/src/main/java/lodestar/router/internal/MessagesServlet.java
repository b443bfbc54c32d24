package lodestar.router.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import lodestar.api.chat.ChatRequest;
import lodestar.api.provider.ModelInfo;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletAsyncSupported;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

/**
 * The Anthropic Messages endpoints ({@code POST /v1/messages}, {@code POST
 * /v1/messages/count_tokens}) for Claude Code and other Anthropic clients
 * ({@code ANTHROPIC_BASE_URL=http://127.0.0.1:4000}). The request is routed like a chat
 * completion; when every candidate is an Anthropic provider the body passes through untranslated
 * (with {@code anthropic-version} and {@code anthropic-beta}), otherwise it is translated to the
 * canonical form, served by any provider, and the answer translated back, streamed as
 * Anthropic's named events. Errors come in Anthropic's shape.
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern({"/v1/messages", "/v1/messages/count_tokens"})
@HttpWhiteboardServletName("lodestar.router.messages")
@HttpWhiteboardServletAsyncSupported
public final class MessagesServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    /** The provider dialect that takes Anthropic bodies as they are. */
    static final String ANTHROPIC = "anthropic";
    private final transient RouterCore core;

    /**
     * Activates.
     *
     * @param core the router
     */
    @Activate
    public MessagesServlet(@Reference final RouterCore core) {
        this.core = core;
    }

    @Override
    protected void doPost(final HttpServletRequest request, final HttpServletResponse response)
            throws IOException {
        final long arrival = System.nanoTime();
        final boolean count = request.getServletPath().endsWith("/count_tokens");
        final ClientRequest.Result read = ClientRequest.read(core, request, arrival);
        if (read.error() != null) {
            AnthropicDialect.write(response, core.mapper, read.error(), null);
            return;
        }
        final ClientRequest client = read.request();
        final JsonNode tree;
        final ChatRequest chat;
        try {
            tree = core.mapper.readTree(client.body());
            final ObjectNode canonical = AnthropicIn.toCanonical(tree, core.mapper, !count);
            chat = core.mapper.treeToValue(canonical, ChatRequest.class);
        } catch (final ChatCompletionsServlet.InvalidRequest e) {
            AnthropicDialect.write(response, core.mapper, e.error(), client.requestId());
            return;
        } catch (final IOException e) {
            AnthropicDialect.write(response, core.mapper, ApiError.invalid(
                    "The request body is not valid JSON.", null), client.requestId());
            return;
        }
        final RouterCore.Plan plan = core.plan(chat.model(), chat, client.headers());
        if (plan.error() != null) {
            AnthropicDialect.write(response, core.mapper, plan.error(), client.requestId());
            return;
        }
        final boolean passthrough = plan.candidates().stream().allMatch(this::speaksAnthropic);
        if (count) {
            if (passthrough) {
                passthrough(request, client, "messages/count_tokens", (ObjectNode) tree, plan);
                return;
            }
            response.setContentType("application/json");
            response.setHeader("x-lodestar-request-id", client.requestId());
            core.mapper.writeValue(response.getOutputStream(), core.mapper.createObjectNode()
                    .put("input_tokens", BuiltInStrategies.estimateTokens(chat)));
            return;
        }
        if (passthrough) {
            passthrough(request, client, "messages", (ObjectNode) tree, plan);
            return;
        }
        final AsyncContext async = request.startAsync();
        async.setTimeout(0);
        new ChatExchange(core, client, chat, plan, async,
                new AnthropicDialect(client.requestId(), chat.model())).start();
    }

    private void passthrough(final HttpServletRequest request, final ClientRequest client,
            final String endpoint, final ObjectNode body, final RouterCore.Plan plan) {
        final AsyncContext async = request.startAsync();
        async.setTimeout(0);
        new Passthrough(core, client, endpoint, body, plan, async,
                new AnthropicDialect(client.requestId(), body.path("model").asText())).next();
    }

    private boolean speaksAnthropic(final ModelInfo model) {
        return core.provider(model.providerId()).map(p -> ANTHROPIC.equals(p.dialect()))
                .orElse(false);
    }
}
