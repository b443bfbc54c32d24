package lodestar.router.internal;

import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What every proxied request goes through before routing: body limit, client key, rate limit,
 * and the headers that matter downstream.
 *
 * @param requestId Lodestar's id for the request
 * @param arrivalNanos when it arrived ({@link System#nanoTime()})
 * @param body the body bytes
 * @param clientId the client key's name, {@code ""} without keys
 * @param sessionId the session id header, or {@code null}
 * @param headers routing-relevant headers, lower-case names
 */
record ClientRequest(String requestId, long arrivalNanos, byte[] body, String clientId,
        String sessionId, Map<String, String> headers) {

    /** Headers passed to strategies and forwarded to same-dialect upstreams. */
    static final String[] ROUTING_HEADERS = {"x-lodestar-tier", "x-lodestar-session",
        "x-claude-code-session-id", "anthropic-version", "anthropic-beta"};

    /**
     * The client headers a provider may pass on to its upstream: Anthropic's
     * {@code anthropic-version} and {@code anthropic-beta}, to an Anthropic provider only.
     * Lodestar's own routing headers never leave Lodestar.
     *
     * @param dialect the provider's dialect
     * @return the headers, lower-case names
     */
    Map<String, String> upstreamHeaders(final String dialect) {
        if (!MessagesServlet.ANTHROPIC.equals(dialect)) {
            return Map.of();
        }
        final Map<String, String> out = new java.util.LinkedHashMap<>();
        headers.forEach((name, value) -> {
            if (name.startsWith("anthropic-")) {
                out.put(name, value);
            }
        });
        return out;
    }

    /**
     * Reads and checks a request.
     *
     * @param core the router
     * @param request the servlet request
     * @param arrivalNanos when it arrived
     * @return the request, or the error to answer
     * @throws IOException when the body cannot be read
     */
    /**
     * Reads and discards a refused request's body (up to the body limit), so that the
     * connection stays usable for the client's next request; a larger body is left to the
     * container, which closes the connection.
     */
    private static void drain(final HttpServletRequest request,
            final RouterCore.Settings settings) {
        final long declared = request.getContentLengthLong();
        if (declared > settings.maxBodyBytes()) {
            return;
        }
        try (InputStream in = request.getInputStream()) {
            in.readNBytes(settings.maxBodyBytes() + 1);
        } catch (final IOException | RuntimeException ignored) {
            // the client went away or sent garbage: nothing to keep alive
        }
    }

    static Result read(final RouterCore core, final HttpServletRequest request,
            final long arrivalNanos) throws IOException {
        final RouterCore.Settings settings = core.settings();
        final String presented = presentedKey(request);
        final Optional<String> client = core.authenticate(presented);
        if (client.isEmpty()) {
            drain(request, settings);
            return new Result(null, new ApiError(401, presented == null
                    ? "Missing API key: send 'Authorization: Bearer <key>'."
                    : "Incorrect API key provided.", "authentication_error", null,
                    "invalid_api_key", 0));
        }
        final long wait = settings.limiter().acquire(client.get());
        if (wait > 0) {
            drain(request, settings);
            return new Result(null, new ApiError(429, "Rate limit reached for key '"
                    + client.get() + "'; retry after " + wait + " s.", "rate_limit_error", null,
                    "rate_limit_exceeded", wait));
        }
        final long declared = request.getContentLengthLong();
        if (declared > settings.maxBodyBytes()) {
            return new Result(null, tooLarge(settings.maxBodyBytes()));
        }
        final byte[] body;
        try (InputStream in = request.getInputStream()) {
            body = in.readNBytes(settings.maxBodyBytes() + 1);
        }
        if (body.length > settings.maxBodyBytes()) {
            return new Result(null, tooLarge(settings.maxBodyBytes()));
        }
        final Map<String, String> headers = new LinkedHashMap<>();
        for (final String name : ROUTING_HEADERS) {
            final String value = request.getHeader(name);
            if (value != null) {
                headers.put(name.toLowerCase(Locale.ROOT), value);
            }
        }
        String session = headers.get("x-lodestar-session");
        if (session == null) {
            session = headers.get("x-claude-code-session-id");
        }
        return new Result(new ClientRequest(Responses.requestId(), arrivalNanos, body,
                client.get(), session, Map.copyOf(headers)), null);
    }

    /**
     * The client key a request presents: {@code Authorization: Bearer <key>} (OpenAI style),
     * else {@code x-api-key} (Anthropic style).
     *
     * @param request the servlet request
     * @return the key, or {@code null}
     */
    static String presentedKey(final HttpServletRequest request) {
        return presentedKey(request.getHeader("Authorization"), request.getHeader("x-api-key"));
    }

    /**
     * The client key in the given header values: {@code Bearer <key>}, else the x-api-key.
     *
     * @param authorization the {@code Authorization} header, or {@code null}
     * @param apiKey the {@code x-api-key} header, or {@code null}
     * @return the key, or {@code null}
     */
    static String presentedKey(final String authorization, final String apiKey) {
        if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return authorization.substring(7).trim();
        }
        return apiKey;
    }

    private static ApiError tooLarge(final int limit) {
        return new ApiError(413, "Request body larger than " + limit + " bytes.",
                "invalid_request_error", null, "request_too_large", 0);
    }

    /**
     * A read request or an error.
     *
     * @param request the request, or {@code null}
     * @param error the error, or {@code null}
     */
    record Result(ClientRequest request, ApiError error) {
    }
}
