package lodestar.learning.internal;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletAsyncSupported;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

/**
 * {@code POST /api/feedback {"requestId": "...", "rating": -1..1}}: a client's verdict on an
 * answer. A negative rating keeps the exchange out of every dataset built later. When the
 * router has proxy keys, any valid key may rate. Works whether or not collection is on (the
 * rating waits for its exchange).
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern("/api/feedback")
@HttpWhiteboardServletName("lodestar.learning.feedback")
@HttpWhiteboardServletAsyncSupported
public final class FeedbackServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    private final transient LearningStore store;
    private final transient ProxyKeys keys;

    /**
     * Activates.
     *
     * @param store the learning tables
     * @param admin ConfigurationAdmin, for the router's proxy keys
     */
    @Activate
    public FeedbackServlet(@Reference final LearningStore store,
            @Reference final ConfigurationAdmin admin) {
        this(store, ProxyKeys.of(admin));
    }

    FeedbackServlet(final LearningStore store, final ProxyKeys keys) {
        this.store = store;
        this.keys = keys;
    }

    @Override
    protected void service(final HttpServletRequest request, final HttpServletResponse response)
            throws IOException {
        if (!"POST".equals(request.getMethod())) {
            response.setHeader("Allow", "POST");
            Http.error(response, 405, "method_not_allowed", "use POST");
            return;
        }
        final String who = Http.admit(keys, null, request, response);
        if (who == null) {
            return;
        }
        try {
            Http.sameOrigin(request);
            final JsonNode body = Http.body(request);
            final JsonNode id = body.get("requestId");
            final JsonNode rating = body.get("rating");
            if (id == null || !id.isTextual() || id.asText().isBlank()) {
                throw new Http.Failure(400, "invalid_parameter", "requestId (string) is required");
            }
            if (rating == null || !rating.isNumber()) {
                throw new Http.Failure(400, "invalid_parameter", "rating (number -1..1) is "
                        + "required");
            }
            final boolean known;
            try {
                known = store.feedback(id.asText(), rating.asDouble(), "http:" + who);
            } catch (final IllegalArgumentException e) {
                throw new Http.Failure(400, "invalid_parameter", e.getMessage());
            }
            final Map<String, Object> out = new LinkedHashMap<>();
            out.put("requestId", id.asText().trim());
            out.put("rating", rating.asDouble());
            out.put("known", known);
            out.put("excluded", rating.asDouble() < 0);
            Http.send(response, 200, out);
        } catch (final Http.Failure e) {
            Http.error(response, e.status(), e.code(), e.getMessage());
        } catch (final SQLException e) {
            Http.error(response, 503, "learning_unavailable", "learning database unavailable: "
                    + e.getMessage());
        }
    }
}
