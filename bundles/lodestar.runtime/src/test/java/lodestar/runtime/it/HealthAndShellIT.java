package lodestar.runtime.it;

import static lodestar.test.support.Framework.endpoint;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import lodestar.api.health.HealthContributor;
import lodestar.api.health.HealthResult;
import lodestar.api.health.Severity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.junit5.context.BundleContextExtension;

@ExtendWith(BundleContextExtension.class)
class HealthAndShellIT {

    @InjectBundleContext
    BundleContext context;

    private ServiceRegistration<HealthContributor> contributor(final String name,
            final Severity severity) {
        return context.registerService(HealthContributor.class, new HealthContributor() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public List<HealthResult> check() {
                return List.of(HealthResult.of(name, severity, name + " says " + severity));
            }
        }, null);
    }

    private static boolean hasCheck(final JsonNode health, final String name) {
        for (final JsonNode check : health.path("checks")) {
            if (name.equals(check.path("name").asText())) {
                return true;
            }
        }
        return false;
    }

    @Test
    void contributorsAppearDriveTheStatusAndLeave() throws Exception {
        final String base = endpoint(context);
        final ServiceRegistration<HealthContributor> warning = contributor("it.warn",
                Severity.WARNING);
        JsonNode health = Http.healthUntil(base, h -> hasCheck(h, "it.warn"));
        assertThat(health.path("status").asText()).isEqualTo("DEGRADED");

        final ServiceRegistration<HealthContributor> critical = contributor("it.crit",
                Severity.CRITICAL);
        assertThat(Http.get(base + "/health").statusCode()).isEqualTo(503);
        health = Http.healthUntil(base, h -> hasCheck(h, "it.crit"));
        assertThat(health.path("status").asText()).isEqualTo("DOWN");

        critical.unregister();
        warning.unregister();
        health = Http.healthUntil(base, h -> !hasCheck(h, "it.warn") && !hasCheck(h, "it.crit"));
        assertThat(health.path("status").asText()).isEqualTo("UP");
        assertThat(Http.get(base + "/health").statusCode()).isEqualTo(200);
    }

    @Test
    void brokenAndSlowContributorsBecomeWarnings() throws Exception {
        final String base = endpoint(context);
        final ServiceRegistration<HealthContributor> broken = context.registerService(
                HealthContributor.class, new HealthContributor() {
                    @Override
                    public String name() {
                        return "it.broken";
                    }

                    @Override
                    public List<HealthResult> check() {
                        throw new IllegalStateException("probe exploded");
                    }
                }, null);
        final ServiceRegistration<HealthContributor> slow = context.registerService(
                HealthContributor.class, new HealthContributor() {
                    @Override
                    public String name() {
                        return "it.slow";
                    }

                    @Override
                    public List<HealthResult> check() {
                        try {
                            Thread.sleep(5_000);
                        } catch (final InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        return List.of();
                    }
                }, null);
        try {
            final JsonNode health = Http.healthUntil(base,
                    h -> hasCheck(h, "it.broken") && hasCheck(h, "it.slow"));
            assertThat(health.path("status").asText()).isEqualTo("DEGRADED");
            assertThat(health.toString()).contains("probe exploded")
                    .contains("did not answer within 2000 ms");
        } finally {
            broken.unregister();
            slow.unregister();
        }
    }

    private String token() throws Exception {
        return Files.readString(Path.of(context.getProperty("lodestar.data.dir"),
                "shell.token")).trim();
    }

    @Test
    void shellRunsCommandsForTokenHoldersOnly() throws Exception {
        final String url = endpoint(context) + "/lodestar/shell";
        final Map<String, String> auth = Map.of("X-Lodestar-Shell-Token", token());

        final HttpResponse<String> status = Http.post(url, "lodestar:status", auth);
        assertThat(status.statusCode()).isEqualTo(200);
        assertThat(status.body()).contains("lodestar.runtime").contains("Modules")
                .contains("ACTIVE                      lodestar.runtime.internal.RuntimeState");

        final HttpResponse<String> lb = Http.post(url, "lb", auth);
        assertThat(lb.statusCode()).isEqualTo(200);
        assertThat(lb.body()).contains("Lodestar Runtime");

        assertThat(Http.post(url, "lb", Map.of("X-Lodestar-Shell-Token", "nope"))
                .statusCode()).isEqualTo(401);
        assertThat(Http.post(url, "lb", Map.of()).statusCode()).isEqualTo(401);
        assertThat(Http.post(url, "lb", Map.of("X-Lodestar-Shell-Token", token(),
                "Origin", "http://evil.example")).statusCode()).isEqualTo(403);
        assertThat(Http.post(url, "   ", auth).statusCode()).isEqualTo(400);
        assertThat(Http.post(url, "x".repeat(9000), auth).statusCode()).isEqualTo(413);
        final HttpResponse<String> unknown = Http.post(url, "nosuchcommand", auth);
        assertThat(unknown.statusCode()).isEqualTo(400);
        assertThat(unknown.body()).contains("nosuchcommand");
    }
}
