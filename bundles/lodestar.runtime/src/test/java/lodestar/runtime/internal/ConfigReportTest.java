package lodestar.runtime.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigReportTest {

    @Test
    void sourceIsTheFileWhenFileInstallMadeTheConfiguration() {
        assertThat(ConfigReport.source(Map.of(ConfigReport.FILE_PROPERTY,
                "file:/srv/config/lodestar.runtime.cfg"), "lodestar.runtime"))
                .isEqualTo("/srv/config/lodestar.runtime.cfg");
        assertThat(ConfigReport.source(Map.of(ConfigReport.FILE_PROPERTY, "/x.cfg"), "p"))
                .isEqualTo("/x.cfg");
        assertThat(ConfigReport.source(Map.of(), "lodestar.runtime"))
                .isEqualTo("configuration lodestar.runtime");
        assertThat(ConfigReport.source(null, "p")).isEqualTo("configuration p");
    }

    @Test
    void secretValuesAreMaskedAndFrameworkKeysDropped() {
        final Map<String, String> redacted = ConfigReport.redact(Map.of(
                "apiKey", "sk-live-123", "_proxyKeys", "k1", "password", "p", "authToken", "t",
                "instanceName", "alpha", "service.pid", "lodestar.runtime",
                "felix.fileinstall.filename", "file:/x", "component.id", 3));

        assertThat(redacted).containsOnlyKeys("apiKey", "_proxyKeys", "password", "authToken",
                "instanceName");
        assertThat(redacted.get("apiKey")).isEqualTo("****");
        assertThat(redacted.get("_proxyKeys")).isEqualTo("****");
        assertThat(redacted.get("instanceName")).isEqualTo("alpha");
        assertThat(redacted.values()).doesNotContain("sk-live-123", "k1", "p", "t");
        assertThat(ConfigReport.redact(null)).isEmpty();
    }

    @Test
    void secretDetectionCoversCommonNames() {
        assertThat(ConfigReport.isSecret("OPENAI_API_KEY")).isTrue();
        assertThat(ConfigReport.isSecret("clientSecret")).isTrue();
        assertThat(ConfigReport.isSecret("credentials")).isTrue();
        assertThat(ConfigReport.isSecret("instanceName")).isFalse();
        assertThat(ConfigReport.isSecret("baseUrl")).isFalse();
    }

}
