package lodestar.router.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.HashSet;
import java.util.Set;
import lodestar.api.provider.ModelInfo;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

/**
 * {@code GET /v1/models}: every model of every live, available provider, then the virtual
 * models, in the OpenAI list shape.
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern("/v1/models")
@HttpWhiteboardServletName("lodestar.router.models")
public final class ModelsServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    private final transient RouterCore core;

    /**
     * Activates.
     *
     * @param core the router
     */
    @Activate
    public ModelsServlet(@Reference final RouterCore core) {
        this.core = core;
    }

    @Override
    protected void doGet(final HttpServletRequest request, final HttpServletResponse response)
            throws IOException {
        if (core.authenticate(ClientRequest.presentedKey(request)).isEmpty()) {
            Responses.error(response, core.mapper, new ApiError(401, "Incorrect or missing API "
                    + "key.", "authentication_error", null, "invalid_api_key", 0), null);
            return;
        }
        final ObjectNode list = core.mapper.createObjectNode().put("object", "list");
        final ArrayNode data = list.putArray("data");
        final Set<String> seen = new HashSet<>();
        for (final ModelInfo model : core.availableModels()) {
            if (seen.add(model.id())) {
                data.addObject().put("id", model.id()).put("object", "model").put("created", 0)
                        .put("owned_by", model.providerId());
            }
        }
        for (final VirtualModel virtual : core.virtualModels()) {
            if (seen.add(virtual.name())) {
                data.addObject().put("id", virtual.name()).put("object", "model")
                        .put("created", 0).put("owned_by", "lodestar");
            }
        }
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        core.mapper.writeValue(response.getOutputStream(), list);
    }
}
