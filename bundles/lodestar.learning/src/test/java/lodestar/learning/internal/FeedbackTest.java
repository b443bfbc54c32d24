package lodestar.learning.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FeedbackTest {

    @TempDir
    Path dir;
    private final AtomicLong clock = new AtomicLong(1);

    @Test
    void httpFeedbackIsStoredAndNegativeExcludes() throws Exception {
        final LearningStore store = Fixtures.store(dir, clock);
        store.insert(List.of(Fixtures.exchange("r1", 1, "q", "a", "stop")));
        final FeedbackServlet servlet = new FeedbackServlet(store, new ProxyKeys(() -> null));
        final FakeHttp.Response response = new FakeHttp.Response();
        servlet.service(FakeHttp.request("POST", null, "{\"requestId\":\"r1\",\"rating\":-1}"),
                response.proxy);
        assertThat(response.status).isEqualTo(200);
        assertThat(response.json().toString()).isEqualTo("{\"requestId\":\"r1\",\"rating\":-1.0,"
                + "\"known\":true,\"excluded\":true}");
        assertThat(store.ratings()).containsEntry("r1", -1.0);
    }

    @Test
    void badRequestsAreAnswered400Or405() throws Exception {
        final FeedbackServlet servlet = new FeedbackServlet(Fixtures.store(dir, clock),
                new ProxyKeys(() -> ""));
        for (final String body : List.of("{\"rating\":1}", "{\"requestId\":\"r\"}",
                "{\"requestId\":\"r\",\"rating\":3}", "[1]", "{x", "{\"requestId\":5,"
                        + "\"rating\":1}")) {
            final FakeHttp.Response response = new FakeHttp.Response();
            servlet.service(FakeHttp.request("POST", null, body), response.proxy);
            assertThat(response.status).as(body).isEqualTo(400);
            assertThat(response.json().path("error").path("message").asText()).isNotEmpty();
        }
        final FakeHttp.Response big = new FakeHttp.Response();
        servlet.service(FakeHttp.request("POST", null, "x".repeat(70_000)), big.proxy);
        assertThat(big.status).isEqualTo(413);
        final FakeHttp.Response get = new FakeHttp.Response();
        servlet.service(FakeHttp.request("GET", null, null), get.proxy);
        assertThat(get.status).isEqualTo(405);
        assertThat(get.headers).containsEntry("Allow", "POST");
    }

    @Test
    void proxyKeysAreRequiredWhenConfigured() throws Exception {
        final FeedbackServlet servlet = new FeedbackServlet(Fixtures.store(dir, clock),
                new ProxyKeys(() -> "admin:k-admin, dev:k-dev"));
        final String body = "{\"requestId\":\"r9\",\"rating\":0.5}";
        final FakeHttp.Response none = new FakeHttp.Response();
        servlet.service(FakeHttp.request("POST", null, body), none.proxy);
        assertThat(none.status).isEqualTo(401);
        assertThat(none.headers).containsEntry("WWW-Authenticate", "Bearer");
        final FakeHttp.Response wrong = new FakeHttp.Response();
        servlet.service(FakeHttp.request("POST", null, body, "Authorization", "Bearer nope"),
                wrong.proxy);
        assertThat(wrong.status).isEqualTo(401);
        final FakeHttp.Response ok = new FakeHttp.Response();
        servlet.service(FakeHttp.request("POST", null, body, "x-api-key", "k-dev"), ok.proxy);
        assertThat(ok.status).isEqualTo(200);
        assertThat(ok.json().path("known").asBoolean()).isFalse();
    }

    @Test
    void proxyKeysParseLikeTheRouter() {
        assertThat(ProxyKeys.parse("admin:a, b ,,c:d")).isEqualTo(Map.of("a", "admin",
                "b", "key2", "d", "c"));
        assertThat(ProxyKeys.parse(null)).isEmpty();
        assertThat(ProxyKeys.parse("${env:LODESTAR_SURELY_UNSET_VARIABLE}")).isEmpty();
        final ProxyKeys keys = new ProxyKeys(() -> "admin:a,dev:b");
        assertThat(keys.check(FakeHttp.request("GET", null, null, "Authorization", "Bearer b"),
                "admin").status()).isEqualTo(403);
        assertThat(keys.check(FakeHttp.request("GET", null, null, "Authorization", "bearer a"),
                "admin").who()).isEqualTo("admin");
        assertThat(new ProxyKeys(() -> null).check(FakeHttp.request("GET", null, null), "admin")
                .allowed()).isTrue();
    }

    @Test
    void gogoFeedbackAndStats() throws Exception {
        final LearningStore store = Fixtures.store(dir, clock, "collect", "true");
        final LearningCommands commands = new LearningCommands(store);
        assertThat(commands.feedback("r1", -1)).contains("rated r1 -1.00",
                "excluded from training", "no stored exchange");
        assertThat(commands.learning()).contains("collect    off", "stored     0");
        final ContentCollector collector = new ContentCollector(store.config(), store);
        commands.setCollector(collector);
        collector.onContent(Fixtures.content("r1", 1, "q", "a", "stop"));
        collector.deactivate();
        assertThat(commands.learning()).contains("collect    on", "stored     1", "received");
        assertThat(commands.feedback("r1", 1)).isEqualTo("rated r1 +1.00\n");
    }
}
