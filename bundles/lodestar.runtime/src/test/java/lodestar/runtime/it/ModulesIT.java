package lodestar.runtime.it;

import static lodestar.test.support.Framework.endpoint;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Hashtable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.junit5.context.BundleContextExtension;
import org.osgi.test.junit5.service.ServiceExtension;

@ExtendWith({BundleContextExtension.class, ServiceExtension.class})
class ModulesIT {

    @InjectBundleContext
    BundleContext context;

    @InjectService
    ConfigurationAdmin configAdmin;

    @AfterEach
    void reset() throws Exception {
        final Configuration[] existing = configAdmin.listConfigurations(
                "(service.pid=lodestar.modules)");
        if (existing != null) {
            for (final Configuration configuration : existing) {
                configuration.delete();
            }
        }
        // the next test starts from every module on, not from a deletion still on its way
        Http.healthUntil(endpoint(context),
                h -> Boolean.TRUE.equals(Http.moduleEnabled(h, "providers")));
    }

    private void providers(final boolean enabled) throws Exception {
        final Hashtable<String, Object> properties = new Hashtable<>();
        properties.put("providers.enabled", Boolean.toString(enabled));
        configAdmin.getConfiguration("lodestar.modules", "?").update(properties);
    }

    @Test
    void aBundleIsInstalledStartedSwitchedAndUninstalled() throws Exception {
        final String base = endpoint(context);
        assertThat(Http.moduleStatus(Http.healthUntil(base, h -> true), "providers"))
                .isEqualTo("missing");

        final Bundle bundle = context.installBundle("it:lodestar.provider.ittest",
                Http.emptyBundle("lodestar.provider.ittest"));
        bundle.start();
        JsonNode health = Http.healthUntil(base,
                h -> "ACTIVE".equals(Http.bundleState(h, "lodestar.provider.ittest")));
        assertThat(Http.moduleStatus(health, "providers")).isEqualTo("enabled");

        providers(false);
        health = Http.healthUntil(base,
                h -> "RESOLVED".equals(Http.bundleState(h, "lodestar.provider.ittest")));
        assertThat(Http.moduleStatus(health, "providers")).isEqualTo("disabled");
        assertThat(health.path("status").asText()).isEqualTo("UP");

        providers(true);
        Http.healthUntil(base,
                h -> "ACTIVE".equals(Http.bundleState(h, "lodestar.provider.ittest")));

        bundle.uninstall();
        health = Http.healthUntil(base,
                h -> Http.bundleState(h, "lodestar.provider.ittest") == null);
        assertThat(Http.moduleStatus(health, "providers")).isEqualTo("missing");
    }

    @Test
    void aBundleArrivingForADisabledModuleIsStopped() throws Exception {
        final String base = endpoint(context);
        providers(false);
        // "missing" alone would pass before the switch arrives: wait for the switch itself
        Http.healthUntil(base, h -> Boolean.FALSE.equals(Http.moduleEnabled(h, "providers")));

        final Bundle late = context.installBundle("it:lodestar.provider.late",
                Http.emptyBundle("lodestar.provider.late"));
        try {
            late.start();
            Http.healthUntil(base,
                    h -> "RESOLVED".equals(Http.bundleState(h, "lodestar.provider.late")));
            assertThat(late.getState()).isEqualTo(Bundle.RESOLVED);

            reset();
            Http.healthUntil(base,
                    h -> "ACTIVE".equals(Http.bundleState(h, "lodestar.provider.late")));
        } finally {
            late.uninstall();
        }
    }

    @Test
    void anInvalidSwitchKeepsTheModuleAsItWas() throws Exception {
        final String base = endpoint(context);
        final Bundle bundle = context.installBundle("it:lodestar.usage",
                Http.emptyBundle("lodestar.usage"));
        try {
            bundle.start();
            final Hashtable<String, Object> properties = new Hashtable<>();
            properties.put("usage.enabled", "perhaps");
            configAdmin.getConfiguration("lodestar.modules", "?").update(properties);
            Thread.sleep(500);
            assertThat(Http.bundleState(Http.healthUntil(base, h -> true), "lodestar.usage"))
                    .isEqualTo("ACTIVE");
        } finally {
            bundle.uninstall();
        }
    }
}
