package lodestar.router.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/** Writes error answers. */
final class Responses {

    private Responses() {
    }

    static void error(final HttpServletResponse response, final ObjectMapper mapper,
            final ApiError error, final String requestId) throws IOException {
        if (response.isCommitted()) {
            return;
        }
        response.resetBuffer();
        response.setStatus(error.status());
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        if (requestId != null) {
            response.setHeader("x-lodestar-request-id", requestId);
        }
        if (error.retryAfterSeconds() > 0) {
            response.setHeader("Retry-After", Long.toString(error.retryAfterSeconds()));
        }
        mapper.writeValue(response.getOutputStream(), error.toJson());
    }
}
