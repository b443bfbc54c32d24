package lodestar.router.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/** Writes error answers. */
final class Responses {

    private Responses() {
    }

    /**
     * Nanoseconds as milliseconds with three decimals ({@code 0.118}), without the cost of
     * {@code String.format} on the request path.
     */
    static String millis(final long nanos) {
        final long micros = Math.max(0, nanos) / 1000;
        final long fraction = micros % 1000;
        return micros / 1000 + (fraction < 10 ? ".00" : fraction < 100 ? ".0" : ".") + fraction;
    }

    /**
     * A random request id in UUID form. Request ids need to be unique, not unpredictable, so
     * this avoids {@code UUID.randomUUID()} and its contended {@code SecureRandom}.
     */
    static String requestId() {
        final ThreadLocalRandom random = ThreadLocalRandom.current();
        final long high = random.nextLong() & ~0xF000L | 0x4000L;
        final long low = random.nextLong() & 0x3FFFFFFFFFFFFFFFL | 0x8000000000000000L;
        return new UUID(high, low).toString();
    }

    static void error(final HttpServletResponse response, final ObjectMapper mapper,
            final ApiError error, final String requestId) throws IOException {
        if (response.isCommitted()) {
            return;
        }
        response.resetBuffer();
        response.setStatus(error.status());
        if (error.status() == 413) {
            // the rest of the body was not read: the connection cannot carry another request
            response.setHeader("Connection", "close");
        }
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
