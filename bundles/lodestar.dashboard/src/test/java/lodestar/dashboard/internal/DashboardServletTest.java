package lodestar.dashboard.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DashboardServletTest {

    private final DashboardServlet servlet = new DashboardServlet(Assets.load());

    private Http.Response call(final Http.Request request) throws Exception {
        final Http.Response response = new Http.Response();
        servlet.service(request.proxy(), response.proxy());
        return response;
    }

    private Http.Response get(final String pathInfo) throws Exception {
        return call(new Http.Request("GET", pathInfo));
    }

    private static void assertSecured(final Http.Response response) {
        assertThat(response.header("Content-Security-Policy"))
                .startsWith("default-src 'self'; script-src 'self'; style-src 'self'; "
                        + "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'")
                .doesNotContain("unsafe");
        assertThat(response.header("X-Content-Type-Options")).isEqualTo("nosniff");
        assertThat(response.header("X-Frame-Options")).isEqualTo("DENY");
        assertThat(response.header("Referrer-Policy")).isEqualTo("no-referrer");
    }

    @Test
    void theRootServesThePageWithTheVersionFilledIn() throws Exception {
        final Http.Response response = get("/");
        assertThat(response.status).isEqualTo(200);
        assertThat(response.contentType).isEqualTo("text/html; charset=utf-8");
        assertSecured(response);
        assertThat(response.header("Cache-Control")).isEqualTo("no-cache");
        assertThat(response.header("ETag")).matches("\"[0-9a-f]{32}\"");
        assertThat(response.text()).contains("<title>Lodestar dashboard</title>")
                .doesNotContain(Assets.VERSION_TOKEN)
                .contains("app.js?v=" + Assets.load().version());
        assertThat(response.contentLength).isEqualTo(
                response.text().getBytes(StandardCharsets.UTF_8).length);
    }

    @Test
    void indexHtmlByNameIsTheSamePage() throws Exception {
        assertThat(get("/index.html").text()).isEqualTo(get("/").text());
    }

    @Test
    void scriptsAndStylesHaveTheirTypesAndAreCachedWhenVersioned() throws Exception {
        final String version = Assets.load().version();
        final Map<String, String> types = Map.of("/app.js", "text/javascript; charset=utf-8",
                "/charts.js", "text/javascript; charset=utf-8",
                "/style.css", "text/css; charset=utf-8", "/favicon.svg", "image/svg+xml");
        for (final Map.Entry<String, String> entry : types.entrySet()) {
            final Http.Response plain = get(entry.getKey());
            assertThat(plain.status).as(entry.getKey()).isEqualTo(200);
            assertThat(plain.contentType).isEqualTo(entry.getValue());
            assertThat(plain.header("Cache-Control")).isEqualTo("no-cache");
            assertSecured(plain);
            final Http.Response versioned = call(new Http.Request("GET", entry.getKey())
                    .parameter("v", version));
            assertThat(versioned.header("Cache-Control"))
                    .isEqualTo("public, max-age=31536000, immutable");
            final Http.Response stale = call(new Http.Request("GET", entry.getKey())
                    .parameter("v", "000000000000"));
            assertThat(stale.header("Cache-Control")).isEqualTo("no-cache");
        }
    }

    @Test
    void aMatchingEtagAnswers304WithoutBody() throws Exception {
        final String etag = get("/app.js").header("ETag");
        for (final String header : List.of(etag, "W/" + etag, "\"other\", " + etag, "*")) {
            final Http.Response response = call(new Http.Request("GET", "/app.js")
                    .header("If-None-Match", header));
            assertThat(response.status).as(header).isEqualTo(304);
            assertThat(response.body.size()).isZero();
            assertSecured(response);
        }
        assertThat(call(new Http.Request("GET", "/app.js").header("If-None-Match", "\"x\""))
                .status).isEqualTo(200);
    }

    @Test
    void headAnswersTheHeadersOnly() throws Exception {
        final Http.Response response = call(new Http.Request("HEAD", "/style.css"));
        assertThat(response.status).isEqualTo(200);
        assertThat(response.contentLength).isPositive();
        assertThat(response.body.size()).isZero();
        final Http.Response missing = call(new Http.Request("HEAD", "/nope"));
        assertThat(missing.status).isEqualTo(404);
        assertThat(missing.body.size()).isZero();
    }

    @Test
    void slashlessPathRedirectsUnderTheFolder() throws Exception {
        final Http.Response response = get(null);
        assertThat(response.status).isEqualTo(302);
        assertThat(response.redirect).isEqualTo("/ui/");
        assertSecured(response);
        final Http.Request inContext = new Http.Request("GET", "");
        inContext.contextPath = "/lodestar";
        assertThat(call(inContext).redirect).isEqualTo("/lodestar/ui/");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/nope.js", "/app.js/", "/APP.JS", "//app.js", "/ui/app.js",
        "/sub/", "/lodestar/", "/../app.js", "/..", "/../../etc/passwd", "/..%2fapp.js",
        "/%2e%2e/app.js", "/./app.js", "/app.js%00", "/app.js\u0000.html",
        "/\\app.js", "/..\\..\\windows\\win.ini", "/lodestar/dashboard/internal/Assets.class",
        "/../Assets.class", "/META-INF/MANIFEST.MF", "/index.html/..", "/.", "/ "})
    void anythingButAListedFileIs404WithoutListingOrTraversal(final String path)
            throws Exception {
        final Http.Response response = get(path);
        assertThat(response.status).as(path).isEqualTo(404);
        assertThat(response.contentType).isEqualTo("text/plain; charset=utf-8");
        assertThat(response.header("Cache-Control")).isEqualTo("no-store");
        assertThat(response.text()).as("no listing, no echo of the path")
                .isEqualTo("Not found. The dashboard is at /ui/.\n");
        assertSecured(response);
    }

    @ParameterizedTest
    @ValueSource(strings = {"POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"})
    void otherMethodsAre405(final String method) throws Exception {
        final Http.Response response = call(new Http.Request(method, "/"));
        assertThat(response.status).isEqualTo(405);
        assertThat(response.header("Allow")).isEqualTo("GET, HEAD");
        assertThat(response.text()).contains("read-only");
        assertSecured(response);
    }

    @Test
    void aMissingAssetFailsActivationLoudly() {
        assertThatThrownBy(() -> Assets.load(List.of("index.html", "gone.js"),
                name -> name.equals("index.html") ? new byte[0] : null))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("ui/gone.js");
        assertThatThrownBy(() -> Assets.load(List.of("notes.txt"), name -> new byte[1]))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no known content type");
        assertThatThrownBy(() -> Assets.load(List.of("Makefile"), name -> new byte[1]))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void theVersionFollowsTheScripts() {
        final Assets a = Assets.load(List.of("index.html", "app.js"),
                name -> name.equals("app.js") ? "one".getBytes(StandardCharsets.UTF_8)
                        : "<script src=\"app.js?v=@VERSION@\">".getBytes(StandardCharsets.UTF_8));
        final Assets b = Assets.load(List.of("index.html", "app.js"),
                name -> name.equals("app.js") ? "two".getBytes(StandardCharsets.UTF_8)
                        : "<script src=\"app.js?v=@VERSION@\">".getBytes(StandardCharsets.UTF_8));
        assertThat(a.version()).hasSize(12).isNotEqualTo(b.version());
        assertThat(new String(a.find("index.html").body(), StandardCharsets.UTF_8))
                .isEqualTo("<script src=\"app.js?v=" + a.version() + "\">");
        assertThat(a.find("index.html").etag()).isNotEqualTo(b.find("index.html").etag());
        assertThat(a.find(null)).isNull();
        assertThat(a.find("index.html").page()).isTrue();
        assertThat(a.find("app.js").page()).isFalse();
    }
}
