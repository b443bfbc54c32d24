package lodestar.router.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.stream.Collectors;
import lodestar.api.chat.ChatRequest;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletAsyncSupported;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

/** {@code POST /v1/chat/completions}, streamed or not. */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern("/v1/chat/completions")
@HttpWhiteboardServletName("lodestar.router.chat")
@HttpWhiteboardServletAsyncSupported
public final class ChatCompletionsServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    private final transient RouterCore core;

    /**
     * Activates.
     *
     * @param core the router
     */
    @Activate
    public ChatCompletionsServlet(@Reference final RouterCore core) {
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
        try {
            chat = parse(client.body());
        } catch (final InvalidRequest e) {
            Responses.error(response, core.mapper, e.error, client.requestId());
            return;
        }
        final RouterCore.Plan plan = core.plan(chat.model(), chat, client.headers());
        if (plan.error() != null) {
            Responses.error(response, core.mapper, plan.error(), client.requestId());
            return;
        }
        final AsyncContext async = request.startAsync();
        async.setTimeout(0);
        new ChatExchange(core, client, chat, plan, async).start();
    }

    ChatRequest parse(final byte[] body) throws InvalidRequest {
        final JsonNode tree;
        try {
            tree = core.mapper.readTree(body);
        } catch (final JsonProcessingException e) {
            throw new InvalidRequest(ApiError.invalid("The request body is not valid JSON: "
                    + e.getOriginalMessage(), null));
        } catch (final IOException e) {
            throw new InvalidRequest(ApiError.invalid("The request body could not be read.",
                    null));
        }
        if (tree == null || !tree.isObject()) {
            throw new InvalidRequest(ApiError.invalid("The request body must be a JSON object.",
                    null));
        }
        if (!tree.path("model").isTextual() || tree.path("model").asText().isBlank()) {
            throw new InvalidRequest(ApiError.invalid("'model' is required and must be a "
                    + "string.", "model"));
        }
        if (!tree.path("messages").isArray()) {
            throw new InvalidRequest(ApiError.invalid("'messages' is required and must be an "
                    + "array.", "messages"));
        }
        try {
            return core.mapper.treeToValue(tree, ChatRequest.class);
        } catch (final JsonMappingException e) {
            final String field = e.getPath().stream()
                    .map(r -> r.getFieldName() != null ? r.getFieldName()
                            : "[" + r.getIndex() + "]")
                    .collect(Collectors.joining(".")).replace(".[", "[");
            throw new InvalidRequest(ApiError.invalid("Invalid type for '" + field + "': "
                    + e.getOriginalMessage().replaceAll(" at \\[Source.*", ""), field));
        } catch (final JsonProcessingException e) {
            throw new InvalidRequest(ApiError.invalid("Invalid request: "
                    + e.getOriginalMessage(), null));
        }
    }

    /** A request that cannot be served as sent. */
    static final class InvalidRequest extends Exception {
        private static final long serialVersionUID = 1L;
        private final transient ApiError error;

        InvalidRequest(final ApiError error) {
            super(error.message(), null, false, false);
            this.error = error;
        }

        ApiError error() {
            return error;
        }
    }
}
