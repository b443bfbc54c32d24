package lodestar.dashboard.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.annotation.Annotation;
import java.util.Map;
import java.util.Optional;
import lodestar.api.security.ClientKeys;
import org.junit.jupiter.api.Test;

/** {@code GET /ui/session}: only the admin key signs in while the proxy has keys. */
class SessionTest {

    /** Keys as the router would check them: name by key. */
    private static ClientKeys keys(final Map<String, String> byKey) {
        return new ClientKeys() {
            @Override
            public boolean required() {
                return !byKey.isEmpty();
            }

            @Override
            public Optional<String> authenticate(final String authorization,
                    final String apiKey) {
                if (byKey.isEmpty()) {
                    return Optional.of("");
                }
                final String key = authorization != null && authorization.startsWith("Bearer ")
                        ? authorization.substring(7) : apiKey;
                return Optional.ofNullable(key == null ? null : byKey.get(key));
            }
        };
    }

    private static DashboardConfig config(final String admin) {
        return new DashboardConfig() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return DashboardConfig.class;
            }

            @Override
            public String adminKeyName() {
                return admin;
            }
        };
    }

    private static Http.Response session(final DashboardServlet servlet, final String key)
            throws Exception {
        final Http.Request request = new Http.Request("GET", DashboardServlet.SESSION);
        if (key != null) {
            request.header("Authorization", "Bearer " + key);
        }
        final Http.Response response = new Http.Response();
        servlet.service(request.proxy(), response.proxy());
        return response;
    }

    @Test
    void withoutRouterOrKeysEveryoneSignsIn() throws Exception {
        final DashboardServlet servlet = new DashboardServlet(config("admin"));
        assertThat(session(servlet, null).status).isEqualTo(200);
        assertThat(session(servlet, null).text()).isEqualTo("{\"keysRequired\":false,"
                + "\"name\":null}");
        servlet.setKeys(keys(Map.of()));
        assertThat(session(servlet, "anything").status).isEqualTo(200);
    }

    @Test
    void onlyTheAdminKeySignsInWhenTheProxyHasKeys() throws Exception {
        final DashboardServlet servlet = new DashboardServlet(config("admin"));
        final ClientKeys clientKeys = keys(Map.of("sk-admin", "admin", "sk-dev", "dev"));
        servlet.setKeys(clientKeys);
        final Http.Response none = session(servlet, null);
        assertThat(none.status).isEqualTo(401);
        assertThat(none.header("WWW-Authenticate")).isEqualTo("Bearer");
        assertThat(none.header("Cache-Control")).isEqualTo("no-store");
        assertThat(none.text()).contains("\"type\":\"authentication_error\"");
        assertThat(session(servlet, "sk-wrong").status).isEqualTo(401);
        final Http.Response dev = session(servlet, "sk-dev");
        assertThat(dev.status).isEqualTo(403);
        assertThat(dev.text()).contains("needs the 'admin' key").contains("'dev'")
                .contains("\"type\":\"permission_error\"");
        final Http.Response admin = session(servlet, "sk-admin");
        assertThat(admin.status).isEqualTo(200);
        assertThat(admin.text()).isEqualTo("{\"keysRequired\":true,\"name\":\"admin\"}");
        assertThat(admin.contentType).isEqualTo("application/json");
        assertThat(admin.header("Content-Security-Policy")).isEqualTo(DashboardServlet.CSP);

        servlet.modified(config("ops"));
        assertThat(session(servlet, "sk-admin").status).as("renamed").isEqualTo(403);
        servlet.modified(config(" "));
        assertThat(session(servlet, "sk-admin").status).as("blank means admin").isEqualTo(200);
        servlet.unsetKeys(clientKeys);
        assertThat(session(servlet, null).status).as("router gone").isEqualTo(200);
    }

    @Test
    void namesAreQuotedAsJsonWithoutMarkup() {
        assertThat(DashboardServlet.quote("a\"b\\c<d>&\n")).isEqualTo(
                "\"a\\\"b\\\\c\\u003cd\\u003e\\u0026\\u000a\"");
    }
}
