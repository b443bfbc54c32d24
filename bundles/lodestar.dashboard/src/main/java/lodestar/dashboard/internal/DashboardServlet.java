package lodestar.dashboard.internal;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletAsyncSupported;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

/**
 * {@code GET /ui/}: the dashboard, a single page that reads the public JSON APIs of the other
 * bundles from the browser. This servlet only serves the bundled static files (no data, no
 * state, no configuration), each with a strict Content-Security-Policy, {@code nosniff} and
 * cache headers: pages are revalidated on every load (ETag), scripts and styles named with the
 * current {@code ?v=} version are cached for a year.
 */
@Component(service = Servlet.class)
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

    private final transient Assets assets;

    /** Creates the servlet over the files bundled with it. */
    public DashboardServlet() {
        this(Assets.load());
    }

    /**
     * Creates the servlet over given files.
     *
     * @param assets the files
     */
    DashboardServlet(final Assets assets) {
        this.assets = assets;
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
