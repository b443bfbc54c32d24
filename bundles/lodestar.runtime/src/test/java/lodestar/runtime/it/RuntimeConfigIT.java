package lodestar.runtime.it;

import static lodestar.test.support.Framework.endpoint;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Dictionary;
import java.util.Hashtable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.junit5.context.BundleContextExtension;
import org.osgi.test.junit5.service.ServiceExtension;

@ExtendWith({BundleContextExtension.class, ServiceExtension.class})
class RuntimeConfigIT {

    @InjectBundleContext
    BundleContext context;

    @InjectService
    ConfigurationAdmin configAdmin;

    @AfterEach
    void deleteConfiguration() throws Exception {
        final Configuration[] existing = configAdmin.listConfigurations(
                "(service.pid=lodestar.runtime)");
        if (existing != null) {
            for (final Configuration configuration : existing) {
                configuration.delete();
            }
        }
    }

    private static Dictionary<String, Object> name(final String value) {
        final Hashtable<String, Object> properties = new Hashtable<>();
        properties.put("instanceName", value);
        return properties;
    }

    @Test
    void instanceNameFollowsConfigAdminLive() throws Exception {
        final String base = endpoint(context);
        final String hostName = Http.healthUntil(base, h -> h.has("instanceName"))
                .path("instanceName").asText();
        final Configuration configuration = configAdmin.getConfiguration("lodestar.runtime",
                "?");

        configuration.update(name("it-alpha"));
        Http.healthUntil(base, h -> "it-alpha".equals(h.path("instanceName").asText()));

        configuration.update(name("it-beta"));
        final JsonNode health = Http.healthUntil(base,
                h -> "it-beta".equals(h.path("instanceName").asText()));
        assertThat(health.path("status").asText()).isEqualTo("UP");
        assertThat(Http.bundleState(health, "lodestar.runtime")).isEqualTo("ACTIVE");

        configuration.delete();
        Http.healthUntil(base, h -> hostName.equals(h.path("instanceName").asText()));
    }

    @Test
    void invalidConfigurationKeepsTheLastGoodOne() throws Exception {
        final String base = endpoint(context);
        final Configuration configuration = configAdmin.getConfiguration("lodestar.runtime",
                "?");
        configuration.update(name("it-good"));
        Http.healthUntil(base, h -> "it-good".equals(h.path("instanceName").asText()));

        configuration.update(name("bad\u0001name"));
        configuration.update(name("x".repeat(500)));
        // a later valid update proves the invalid ones were delivered and rejected in order
        Thread.sleep(300);
        assertThat(Http.healthUntil(base, h -> true).path("instanceName").asText())
                .isEqualTo("it-good");
        configuration.update(name("it-after"));
        Http.healthUntil(base, h -> "it-after".equals(h.path("instanceName").asText()));
    }
}
