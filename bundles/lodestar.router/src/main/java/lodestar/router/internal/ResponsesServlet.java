package lodestar.router.internal;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import lodestar.api.chat.ChatRequest;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletAsyncSupported;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

/**
 * The OpenAI Responses endpoint ({@code POST /v1/responses}) for Codex CLI and other Responses
 * clients: translated to the canonical form, routed and served by any provider, and answered as
 * a {@code response} object or the {@code response.*} event stream. Stateless: the whole
 * conversation comes in {@code input}.
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern("/v1/responses")
@HttpWhiteboardServletName("lodestar.router.responses")
@HttpWhiteboardServletAsyncSupported
public final class ResponsesServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    private final transient RouterCore core;

    /**
     * Activates.
     *
     * @param core the router
     */
    @Activate
    public ResponsesServlet(@Reference final RouterCore core) {
        this.core = core;
    }

    @Override
    protected void doPost(final HttpServletRequest request, final HttpServletResponse response)
            throws IOException {
        final long arrival = System.nanoTime();
        final ClientRequest.Result read = ClientRequest.read(core, request, arrival);
        if (read.error() != null) {
            Responses.error(response, core.mapper, read.error(), null);
            return;
        }
        final ClientRequest client = read.request();
        final ChatRequest chat;
        final List<String> ignored = new ArrayList<>();
        try {
            final JsonNode tree = core.mapper.readTree(client.body());
            chat = core.mapper.treeToValue(ResponsesIn.toCanonical(tree, core.mapper, ignored),
                    ChatRequest.class);
        } catch (final ChatCompletionsServlet.InvalidRequest e) {
            Responses.error(response, core.mapper, e.error(), client.requestId());
            return;
        } catch (final IOException e) {
            Responses.error(response, core.mapper, ApiError.invalid(
                    "The request body is not valid JSON.", null), client.requestId());
            return;
        }
        final RouterCore.Plan plan = core.plan(chat.model(), chat, client.headers());
        if (plan.error() != null) {
            Responses.error(response, core.mapper, plan.error(), client.requestId());
            return;
        }
        if (!ignored.isEmpty()) {
            response.setHeader("x-lodestar-ignored-tools", String.join(",", ignored));
        }
        final AsyncContext async = request.startAsync();
        async.setTimeout(0);
        new ChatExchange(core, client, chat, plan, async,
                new ResponsesDialect(client.requestId(), chat.model())).start();
    }
}
