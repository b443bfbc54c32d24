package lodestar.gpu.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GpuSettingsTest {

    @Test
    void withoutConfigurationEveryKeyHasItsDefault() {
        final List<String> warnings = new ArrayList<>();
        final GpuSettings settings = GpuSettings.of(Samples.config(), GpuSettings.DEFAULTS,
                warnings);

        assertThat(settings).isEqualTo(new GpuSettings(true, "nvidia-smi", 15, 5, "", List.of(),
                85, 95, null)).isEqualTo(GpuSettings.DEFAULTS);
        assertThat(settings.host()).isEqualTo("localhost");
        assertThat(settings.remote()).isFalse();
        assertThat(warnings).isEmpty();
    }

    @Test
    void cfgStringsAreConvertedAndTrimmed() {
        final GpuSettings settings = Samples.settings("enabled", "false", "command",
                " /opt/bin/nvidia-smi ", "intervalSeconds", "60", "timeoutSeconds", "10",
                "sshHost", " me@gpubox ", "sshOptions", "-p 2222\t-i /k", "temperatureWarnC",
                "80", "memoryWarnPercent", "90");

        assertThat(settings).isEqualTo(new GpuSettings(false, "/opt/bin/nvidia-smi", 60, 10,
                "me@gpubox", List.of("-p", "2222", "-i", "/k"), 80, 90, null));
        assertThat(settings.host()).isEqualTo("me@gpubox");
        assertThat(settings.remote()).isTrue();
    }

    @Test
    void invalidValuesAtActivationKeepTheDefaults() {
        final List<String> errors = new ArrayList<>();
        final GpuSettings settings = GpuSettings.of(Samples.config("command", "  ",
                "intervalSeconds", 0, "timeoutSeconds", 4000, "temperatureWarnC", -1,
                "memoryWarnPercent", 101), GpuSettings.DEFAULTS, errors);

        assertThat(settings).isEqualTo(GpuSettings.DEFAULTS);
        assertThat(errors).containsExactly("command is empty; keeping 'nvidia-smi'",
                "intervalSeconds 0 is outside 1..86400; keeping 15",
                "timeoutSeconds 4000 is outside 1..3600; keeping 5",
                "temperatureWarnC -1 is outside 1..200; keeping 85",
                "memoryWarnPercent 101 is outside 1..100; keeping 95");
    }

    @Test
    void anInvalidValueInAnUpdateKeepsTheValueInForce() {
        final GpuSettings current = Samples.settings("command", "/opt/nvidia-smi",
                "intervalSeconds", 60, "memoryWarnPercent", 90);
        final List<String> errors = new ArrayList<>();

        final GpuSettings next = GpuSettings.of(Samples.config("command", "",
                "intervalSeconds", -5, "memoryWarnPercent", 80), current, errors);

        assertThat(next.command()).isEqualTo("/opt/nvidia-smi");
        assertThat(next.intervalSeconds()).isEqualTo(60);
        assertThat(next.memoryWarnPercent()).isEqualTo(80);
        assertThat(errors).containsExactly("command is empty; keeping '/opt/nvidia-smi'",
                "intervalSeconds -5 is outside 1..86400; keeping 60");
    }

    @Test
    void theSourceIsTheFileElseThePid() {
        assertThat(GpuSettings.source(Map.of("felix.fileinstall.filename",
                "file:/srv/lodestar/config/lodestar.gpu.cfg", "service.pid", "lodestar.gpu")))
                .isEqualTo("/srv/lodestar/config/lodestar.gpu.cfg");
        assertThat(GpuSettings.source(Map.of("felix.fileinstall.filename", "/c/x.cfg")))
                .isEqualTo("/c/x.cfg");
        assertThat(GpuSettings.source(Map.of("service.pid", "lodestar.gpu")))
                .isEqualTo("configuration lodestar.gpu");
        assertThat(GpuSettings.source(null)).isEqualTo("configuration lodestar.gpu");
    }

    @Test
    void unknownKeysAreTheDotlessOnesNotConfigured() {
        assertThat(GpuSettings.unknownKeys(Samples.map("command", "x", "intervalSecond", "5",
                "sshhost", "h", "felix.fileinstall.filename", "f", "osgi.command.scope", "l")))
                .containsExactly("intervalSecond", "sshhost");
        assertThat(GpuSettings.unknownKeys(null)).isEmpty();
    }

    @Test
    void anSshHostThatCouldBeAnOptionOrHasSpacesIsAProblem() {
        assertThat(Samples.settings("sshHost", "-oProxyCommand=evil").problem())
                .isEqualTo("invalid sshHost '-oProxyCommand=evil': expected [user@]host, "
                        + "without spaces, not starting with '-'");
        assertThat(Samples.settings("sshHost", "gpu box").problem()).contains("'gpu box'");
        assertThat(Samples.settings("sshHost", "gpu\u0001box").problem()).contains("'gpu?box'");
        assertThat(Samples.settings("sshHost", "me@gpubox.lan").problem()).isNull();
    }

    @Test
    void sameTargetIgnoresScheduleAndThresholds() {
        final GpuSettings base = Samples.settings("sshHost", "gpubox");

        assertThat(base.sameTarget(Samples.settings("sshHost", "gpubox", "intervalSeconds", 2,
                "temperatureWarnC", 70, "timeoutSeconds", 9))).isTrue();
        assertThat(base.sameTarget(Samples.settings())).isFalse();
        assertThat(base.sameTarget(Samples.settings("sshHost", "gpubox", "command", "x")))
                .isFalse();
        assertThat(base.sameTarget(Samples.settings("sshHost", "gpubox", "sshOptions", "-4")))
                .isFalse();
        assertThat(base.sameTarget(Samples.settings("sshHost", "gpubox", "enabled", false)))
                .isFalse();
        assertThat(base.sameTarget(null)).isFalse();
    }

    @Test
    void theCanonicalConstructorNormalisesNulls() {
        final GpuSettings settings = new GpuSettings(true, "c", 1, 1, null, null, 1, 1, null);

        assertThat(settings.sshHost()).isEmpty();
        assertThat(settings.sshOptions()).isEmpty();
    }
}
