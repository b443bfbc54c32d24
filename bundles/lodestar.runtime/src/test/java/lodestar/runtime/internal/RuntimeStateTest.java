package lodestar.runtime.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Paths;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RuntimeStateTest {

    private static final LodestarEnvironment ENV = new LodestarEnvironment(Paths.get("/c"),
            Paths.get("/d"), Paths.get("/data"), "127.0.0.1", 4000);

    private static final class MutableClock extends Clock {
        private Instant now = Instant.parse("2026-11-26T10:00:00Z");

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(final java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    private static Map<String, Object> config(final String name) {
        final Map<String, Object> map = new HashMap<>();
        map.put("instanceName", name);
        map.put(ConfigReport.FILE_PROPERTY, "file:/c/lodestar.runtime.cfg");
        return map;
    }

    @Test
    void emptyOrMissingNameMeansTheHostName() {
        assertThat(new RuntimeState(ENV, null, Clock.systemUTC(), "box").instanceName())
                .isEqualTo("box");
        assertThat(new RuntimeState(ENV, config("  "), Clock.systemUTC(), "box")
                .instanceName()).isEqualTo("box");
    }

    @Test
    void configuredNameAppliesAndChangesLive() {
        final RuntimeState state = new RuntimeState(ENV, config("alpha"), Clock.systemUTC(),
                "box");
        assertThat(state.instanceName()).isEqualTo("alpha");

        state.modified(config("beta"));
        assertThat(state.instanceName()).isEqualTo("beta");

        state.modified(Map.of());
        assertThat(state.instanceName()).isEqualTo("box");
    }

    @Test
    void invalidNameIsRejectedAndTheLastGoodOneStays() {
        final RuntimeState state = new RuntimeState(ENV, config("alpha"), Clock.systemUTC(),
                "box");

        state.modified(config("bad\u0007name"));
        assertThat(state.instanceName()).isEqualTo("alpha");

        state.modified(config("x".repeat(RuntimeState.MAX_NAME_LENGTH + 1)));
        assertThat(state.instanceName()).isEqualTo("alpha");

        final Map<String, Object> withUnknownKey = config("gamma");
        withUnknownKey.put("instanceNmae", "typo");
        state.modified(withUnknownKey);
        assertThat(state.instanceName()).isEqualTo("gamma");
    }

    @Test
    void invalidNameAtActivationFallsBackToTheHostName() {
        assertThat(new RuntimeState(ENV, config("\n"), Clock.systemUTC(), "box").instanceName())
                .isEqualTo("box");
    }

    @Test
    void validationExplainsTheProblem() {
        assertThat(RuntimeState.validate("ok name")).isNull();
        assertThat(RuntimeState.validate("a\tb")).contains("control character at position 1");
        assertThat(RuntimeState.validate("y".repeat(200))).contains("longer than 128");
    }

    @Test
    void uptimeFollowsTheClock() {
        final MutableClock clock = new MutableClock();
        final RuntimeState state = new RuntimeState(ENV, null, clock, "box");
        clock.now = clock.now.plusSeconds(90);

        assertThat(state.uptime()).isEqualTo(Duration.ofSeconds(90));
        assertThat(state.startedAt()).isEqualTo(Instant.parse("2026-11-26T10:00:00Z"));
        assertThat(state.environment()).isSameAs(ENV);
    }
}
