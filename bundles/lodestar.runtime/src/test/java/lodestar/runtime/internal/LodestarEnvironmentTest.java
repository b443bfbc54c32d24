package lodestar.runtime.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Paths;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LodestarEnvironmentTest {

    @Test
    void explicitPropertiesDescribeTheInstance() {
        final Map<String, String> props = Map.of("lodestar.config.dir", "/etc/lodestar",
                "lodestar.deploy.dir", "/srv/deploy", "lodestar.data.dir", "/var/lib/lodestar",
                "org.osgi.service.http.port", "4100", "org.apache.felix.http.host", "0.0.0.0",
                "felix.fileinstall.dir", "/other/config,/other/deploy");

        final LodestarEnvironment environment = LodestarEnvironment.read(props::get,
                Map.of("LODESTAR_DATA_DIR", "/ignored", "LODESTAR_PORT", "9999"));

        assertThat(environment.configDir()).isEqualTo(Paths.get("/etc/lodestar"));
        assertThat(environment.deployDir()).isEqualTo(Paths.get("/srv/deploy"));
        assertThat(environment.dataDir()).isEqualTo(Paths.get("/var/lib/lodestar"));
        assertThat(environment.bind()).isEqualTo("0.0.0.0");
        assertThat(environment.port()).isEqualTo(4100);
    }

    @Test
    void foldersDefaultToWhatFileInstallWatches() {
        final LodestarEnvironment environment = LodestarEnvironment.read(
                Map.of("felix.fileinstall.dir", "/w/config, /w/deploy")::get,
                Map.of("LODESTAR_CONFIG_DIR", "/not/used", "LODESTAR_DATA_DIR", "/d"));

        assertThat(environment.configDir()).isEqualTo(Paths.get("/w/config"));
        assertThat(environment.deployDir()).isEqualTo(Paths.get("/w/deploy"));
        assertThat(environment.dataDir()).isEqualTo(Paths.get("/d"));
    }

    @Test
    void defaultsMatchTheDocumentation() {
        final LodestarEnvironment environment = LodestarEnvironment.read(key -> null, Map.of());

        assertThat(environment.port()).isEqualTo(4000);
        assertThat(environment.bind()).isEqualTo("127.0.0.1");
        assertThat(environment.configDir()).isEqualTo(Paths.get("config").toAbsolutePath());
        assertThat(environment.deployDir()).isEqualTo(Paths.get("deploy").toAbsolutePath());
        assertThat(environment.dataDir())
                .isEqualTo(Paths.get(System.getProperty("user.home"), ".lodestar"));
    }

    @Test
    void blankValuesAndABadPortFallBack() {
        final LodestarEnvironment environment = LodestarEnvironment.read(
                Map.of("lodestar.config.dir", " ", "org.osgi.service.http.port", "http")::get,
                Map.of());

        assertThat(environment.port()).isEqualTo(LodestarEnvironment.DEFAULT_PORT);
        assertThat(environment.configDir()).isEqualTo(Paths.get("config").toAbsolutePath());
    }
}
