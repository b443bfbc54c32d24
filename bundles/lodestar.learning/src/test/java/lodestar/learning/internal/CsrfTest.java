package lodestar.learning.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cross-site request forgery: a state-changing call a page of another origin could make the
 * browser send is refused before it acts; the same call from the dashboard's origin or from a
 * script without browser headers goes through.
 */
class CsrfTest {

    @TempDir
    Path dir;
    private final AtomicLong clock = new AtomicLong(1_700_000_000_000L);
    private LearningStore store;
    private ModelRegistry registry;
    private LearningServlet servlet;

    @BeforeEach
    void setUp() throws Exception {
        store = Fixtures.store(dir, clock);
        registry = new ModelRegistry(store, new OllamaDeployer(
                HttpClient.newHttpClient(), Duration.ofSeconds(1)));
        servlet = new LearningServlet(store, registry, new TrainingService(store, registry),
                new ProxyKeys(() -> null));
    }

    private FakeHttp.Response post(final String path, final String body,
            final String... headers) throws Exception {
        final FakeHttp.Response response = new FakeHttp.Response();
        servlet.service(FakeHttp.request("POST", path, body, headers), response.proxy);
        return response;
    }

    private static void refused(final FakeHttp.Response response, final int status,
            final String code) {
        assertThat(response.status).as(response.text()).isEqualTo(status);
        assertThat(response.json().path("error").path("code").asText()).isEqualTo(code);
        assertThat(response.json().path("error").path("message").asText()).isNotBlank();
    }

    @Test
    void anotherOriginCannotRollBackOrApprove() throws Exception {
        refused(post("/models/coder/rollback", "{}", "Host", "127.0.0.1:4000", "Origin",
                "https://evil.example"), 403, "cross_origin");
        refused(post("/models/coder/1/approve", "{}", "Host", "127.0.0.1:4000", "Origin",
                "http://127.0.0.1:4001"), 403, "cross_origin");
        refused(post("/datasets", null, "Host", "127.0.0.1:4000", "Origin", "null"), 403,
                "cross_origin");
        refused(post("/models/coder/rollback", "{}", "Sec-Fetch-Site", "cross-site"), 403,
                "cross_origin");
        refused(post("/models/coder/rollback", "{}", "Sec-Fetch-Site", "same-site"), 403,
                "cross_origin");
        // nothing was built: the refused dataset build never ran
        assertThat(store.datasets()).isEmpty();
    }

    @Test
    void formAndPlainTextBodiesAreRefused() throws Exception {
        refused(post("/models/coder/rollback", "by=x", "Content-Type",
                "application/x-www-form-urlencoded"), 415, "unsupported_media_type");
        refused(post("/models/coder/rollback", "{}", "Content-Type", "text/plain;charset=UTF-8"),
                415, "unsupported_media_type");
        refused(post("/models/coder/rollback", "{}", "Content-Type", "multipart/form-data; b=1"),
                415, "unsupported_media_type");
    }

    @Test
    void theSameOriginAndScriptsWithoutBrowserHeadersGetThrough() throws Exception {
        // 409: the registry itself answered (nothing live to roll back), the guard let it pass
        assertThat(post("/models/coder/rollback", "{\"by\":\"ui\"}", "Host", "127.0.0.1:4000",
                "Origin", "http://127.0.0.1:4000", "Sec-Fetch-Site", "same-origin",
                "Content-Type", "application/json; charset=utf-8").status).isEqualTo(409);
        assertThat(post("/models/coder/rollback", null, "Host", "lodestar.local", "Origin",
                "http://lodestar.local:80").status).isEqualTo(409);
        assertThat(post("/models/coder/rollback", null, "Sec-Fetch-Site", "none").status)
                .isEqualTo(409);
        assertThat(post("/models/coder/rollback", null).status).isEqualTo(409);
    }

    @Test
    void readsAreNotChecked() throws Exception {
        final FakeHttp.Response response = new FakeHttp.Response();
        servlet.service(FakeHttp.request("GET", "/models", null, "Origin", "https://x.example",
                "Host", "127.0.0.1:4000"), response.proxy);
        assertThat(response.status).isEqualTo(200);
    }

    @Test
    void feedbackFromAnotherOriginIsRefusedAndNotStored() throws Exception {
        store.insert(List.of(Fixtures.exchange("r1", 1, "q", "a", "stop")));
        final FeedbackServlet feedback = new FeedbackServlet(store, new ProxyKeys(() -> null));
        final FakeHttp.Response response = new FakeHttp.Response();
        feedback.service(FakeHttp.request("POST", null, "{\"requestId\":\"r1\",\"rating\":-1}",
                "Host", "127.0.0.1:4000", "Origin", "https://evil.example"), response.proxy);
        refused(response, 403, "cross_origin");
        assertThat(store.ratings()).isEmpty();
    }

    @Test
    void approveTakesAnExplicitBooleanOverrideAndRecordsIt() throws Exception {
        final Path adapter = Files.createDirectories(dir.resolve("adapter"));
        registry.register(ModelRegistryTest.candidate(adapter, ""));
        refused(post("/models/coder/1/approve", "{\"override\":\"yes\"}"), 400,
                "invalid_parameter");
        final FakeHttp.Response ok = post("/models/coder/1/approve",
                "{\"override\":true,\"by\":\"ops\"}", "Content-Type", "application/json");
        assertThat(ok.status).as(ok.text()).isEqualTo(200);
        assertThat(ok.json().path("state").asText()).isEqualTo("approved");
        assertThat(ok.json().path("approvedBy").asText()).isEqualTo("http:open (ops)");
        final FakeHttp.Response history = new FakeHttp.Response();
        servlet.service(FakeHttp.request("GET", "/models/coder/history", null), history.proxy);
        assertThat(history.text()).contains("override given");
    }

    @Test
    void originsAreComparedByHostAndPort() {
        assertThat(Http.authority("http://127.0.0.1:4000")).isEqualTo("127.0.0.1:4000");
        assertThat(Http.authority("https://h.example:443")).isEqualTo("h.example");
        assertThat(Http.authority("http://h.example")).isEqualTo("h.example");
        assertThat(Http.authority("https://h.example:8443")).isEqualTo("h.example:8443");
        assertThat(Http.authority("null")).isEmpty();
        assertThat(Http.authority("::not a url")).isEmpty();
    }
}
