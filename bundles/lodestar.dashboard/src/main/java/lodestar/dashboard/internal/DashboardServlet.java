package lodestar.dashboard.internal;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import lodestar.api.security.ClientKeys;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletAsyncSupported;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

/**
 * {@code GET /ui/}: the dashboard, a single page that reads the public JSON APIs of the other
 * bundles from the browser. This servlet only serves the bundled static files (no data, no
 * state, no configuration), each with a strict Content-Security-Policy, {@code nosniff} and
 * cache headers: pages are revalidated on every load (ETag), scripts and styles named with the
 * current {@code ?v=} version are cached for a year. One small answer is not a file:
 * {@code GET /ui/session} tells the page whether the key it holds may sign in (with proxy keys
 * configured, only the admin key may: 401 for an unknown key, 403 for another one).
 */
@Component(service = Servlet.class, configurationPid = "lodestar.dashboard",
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = DashboardConfig.class)
@HttpWhiteboardServletPattern(DashboardServlet.PATTERN)
@HttpWhiteboardServletName("lodestar.dashboard")
@HttpWhiteboardServletAsyncSupported
public final class DashboardServlet extends HttpServlet {

    /** The whiteboard pattern. */
    static final String PATTERN = "/ui/*";

    /**
     * The policy of every answer: only this origin's scripts, styles and API calls, no inline
     * code, no framing, no plug-ins, no {@code <base>} rewriting.
     */
    static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self'; "
            + "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
            + "base-uri 'none'; form-action 'self'; object-src 'none'";

    /** Cache-Control of versioned sub-resources. */
    static final String IMMUTABLE = "public, max-age=31536000, immutable";

    /** Cache-Control of pages and unversioned requests: cache, but ask every time (ETag). */
    static final String REVALIDATE = "no-cache";

    private static final long serialVersionUID = 1L;

    /** The sign-in check's path under {@code /ui}. */
    static final String SESSION = "/session";

    private final transient Assets assets;
    private final transient AtomicReference<ClientKeys> keys = new AtomicReference<>();
    private transient volatile String adminKeyName = "admin";

    /**
     * Creates the servlet over the files bundled with it.
     *
     * @param config its configuration
     */
    @Activate
    public DashboardServlet(final DashboardConfig config) {
        this(Assets.load());
        modified(config);
    }

    /**
     * Creates the servlet over given files.
     *
     * @param assets the files
     */
    DashboardServlet(final Assets assets) {
        this.assets = assets;
    }

    /**
     * Applies a changed configuration.
     *
     * @param config the configuration
     */
    @Modified
    void modified(final DashboardConfig config) {
        final String name = config.adminKeyName();
        adminKeyName = name == null || name.isBlank() ? "admin" : name.trim();
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void setKeys(final ClientKeys clientKeys) {
        keys.set(clientKeys);
    }

    void unsetKeys(final ClientKeys clientKeys) {
        keys.compareAndSet(clientKeys, null);
    }

    @Override
    protected void service(final HttpServletRequest request, final HttpServletResponse response)
            throws IOException {
        secure(response);
        final String method = request.getMethod();
        final boolean head = "HEAD".equals(method);
        if (!head && !"GET".equals(method)) {
            response.setHeader("Allow", "GET, HEAD");
            plain(response, 405, "Method " + method + " not allowed: the dashboard is read-only.",
                    false);
            return;
        }
        final String path = request.getPathInfo();
        if (SESSION.equals(path)) {
            session(request, response, head);
            return;
        }
        if (path == null || path.isEmpty()) {
            // "/ui" -> "/ui/", so that the page's relative asset URLs resolve under /ui/
            response.setHeader("Cache-Control", REVALIDATE);
            response.sendRedirect(request.getContextPath() + request.getServletPath() + "/");
            return;
        }
        final Assets.Asset asset = assets.find("/".equals(path) ? "index.html"
                : path.substring(1));
        if (asset == null || !path.startsWith("/")) {
            plain(response, 404, "Not found. The dashboard is at /ui/.", head);
            return;
        }
        response.setHeader("ETag", asset.etag());
        response.setHeader("Cache-Control", !asset.page()
                && assets.version().equals(request.getParameter("v")) ? IMMUTABLE : REVALIDATE);
        if (matches(request.getHeader("If-None-Match"), asset.etag())) {
            response.setStatus(304);
            return;
        }
        response.setStatus(200);
        response.setContentType(asset.contentType());
        response.setContentLength(asset.body().length);
        if (!head) {
            try (OutputStream out = response.getOutputStream()) {
                out.write(asset.body());
            }
        }
    }

    /**
     * {@code GET /ui/session}: 200 {@code {"keysRequired", "name"}} when the presented key may
     * sign in (any request while the proxy has no keys); 401 for a missing or unknown key; 403
     * for a valid key that is not the admin key.
     */
    private void session(final HttpServletRequest request, final HttpServletResponse response,
            final boolean head) throws IOException {
        final ClientKeys current = keys.get();
        final boolean required = current != null && current.required();
        final String admin = adminKeyName;
        if (!required) {
            json(response, 200, "{\"keysRequired\":false,\"name\":null}", head);
            return;
        }
        final Optional<String> name = current.authenticate(request.getHeader("Authorization"),
                request.getHeader("x-api-key"));
        if (name.isEmpty()) {
            response.setHeader("WWW-Authenticate", "Bearer");
            json(response, 401, error("The key was not accepted: send one of the proxy's keys "
                    + "as 'Authorization: Bearer <key>'.", "authentication_error"), head);
        } else if (!admin.equals(name.get())) {
            json(response, 403, error("The dashboard needs the '" + admin + "' key; this key is "
                    + "'" + name.get() + "'.", "permission_error"), head);
        } else {
            json(response, 200, "{\"keysRequired\":true,\"name\":" + quote(name.get()) + "}",
                    head);
        }
    }

    private static String error(final String message, final String type) {
        return "{\"error\":{\"message\":" + quote(message) + ",\"type\":\"" + type + "\","
                + "\"param\":null,\"code\":\"invalid_api_key\"}}";
    }

    /**
     * A JSON string literal.
     *
     * @param text the text
     * @return it quoted and escaped
     */
    static String quote(final String text) {
        final StringBuilder out = new StringBuilder("\"");
        for (final char c : text.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (c < 0x20 || c == '<' || c == '>' || c == '&') {
                        out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }

    private static void json(final HttpServletResponse response, final int status,
            final String body, final boolean head) throws IOException {
        final byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        response.setStatus(status);
        response.setHeader("Cache-Control", "no-store");
        response.setContentType("application/json");
        response.setContentLength(bytes.length);
        if (!head) {
            try (OutputStream out = response.getOutputStream()) {
                out.write(bytes);
            }
        }
    }

    /**
     * The headers every answer carries, errors and redirects included.
     *
     * @param response the response
     */
    static void secure(final HttpServletResponse response) {
        response.setHeader("Content-Security-Policy", CSP);
        response.setHeader("X-Content-Type-Options", "nosniff");
        response.setHeader("X-Frame-Options", "DENY");
        response.setHeader("Referrer-Policy", "no-referrer");
        response.setHeader("Cross-Origin-Opener-Policy", "same-origin");
        response.setHeader("Cross-Origin-Resource-Policy", "same-origin");
    }

    private static boolean matches(final String ifNoneMatch, final String etag) {
        if (ifNoneMatch == null) {
            return false;
        }
        for (final String candidate : ifNoneMatch.split(",")) {
            final String tag = candidate.trim();
            if ("*".equals(tag) || etag.equals(tag) || ("W/" + etag).equals(tag)) {
                return true;
            }
        }
        return false;
    }

    private static void plain(final HttpServletResponse response, final int status,
            final String text, final boolean head) throws IOException {
        final byte[] body = (text + "\n").getBytes(StandardCharsets.UTF_8);
        response.setStatus(status);
        response.setHeader("Cache-Control", "no-store");
        response.setContentType("text/plain; charset=utf-8");
        response.setContentLength(body.length);
        if (!head) {
            try (OutputStream out = response.getOutputStream()) {
                out.write(body);
            }
        }
    }
}
