package lodestar.router.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
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
        new Passthrough(core, client, endpoint, (ObjectNode) tree, plan, async,
                new OpenAiDialect(false)).next();
    }
}
