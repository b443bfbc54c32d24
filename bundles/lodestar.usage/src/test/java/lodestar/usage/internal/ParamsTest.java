package lodestar.usage.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.Test;

class ParamsTest {

    private static final long NOW = Instant.parse("2026-11-26T10:00:00Z").toEpochMilli();

    @Test
    void durationsCountBackFromNow() throws Exception {
        assertThat(Params.time("since", "30s", NOW)).isEqualTo(NOW - 30_000);
        assertThat(Params.time("since", "30m", NOW)).isEqualTo(NOW - 1_800_000);
        assertThat(Params.time("since", "24h", NOW)).isEqualTo(NOW - 86_400_000);
        assertThat(Params.time("since", "7D", NOW)).isEqualTo(NOW - 7 * 86_400_000L);
        assertThat(Params.time("since", " 2w ", NOW)).isEqualTo(NOW - 14 * 86_400_000L);
    }

    @Test
    void datesAndInstantsAreUtcUnlessTheyCarryAnOffset() throws Exception {
        assertThat(Params.time("since", "2026-11-01", NOW)).isEqualTo(
                Instant.parse("2026-11-01T00:00:00Z").toEpochMilli());
        assertThat(Params.time("until", "2026-11-01T10:15:30Z", NOW)).isEqualTo(
                Instant.parse("2026-11-01T10:15:30Z").toEpochMilli());
        assertThat(Params.time("until", "2026-11-01T10:15:30+01:00", NOW)).isEqualTo(
                Instant.parse("2026-11-01T09:15:30Z").toEpochMilli());
        assertThat(Params.time("until", "2026-11-01T10:15", NOW)).isEqualTo(
                Instant.parse("2026-11-01T10:15:00Z").toEpochMilli());
    }

    @Test
    void aBadTimeNamesItsParameter() {
        for (final String bad : new String[] {"yesterday", "7x", "-7d", "2026-13-01",
            "2026-11-01T25:00Z", "", "9999999999d"}) {
            assertThatThrownBy(() -> Params.time("since", bad, NOW))
                    .isInstanceOf(Params.Invalid.class)
                    .asInstanceOf(InstanceOfAssertFactories.type(Params.Invalid.class))
                    .extracting(Params.Invalid::param).isEqualTo("since");
        }
        assertThatThrownBy(() -> Params.time("until", "x".repeat(100), NOW))
                .hasMessageContaining("...").hasMessageContaining("until");
    }

    @Test
    void aRangeDefaultsToNowAndMustRunForwards() throws Exception {
        final Params.Range range = Params.range(null, " ", "7d", NOW);
        assertThat(range.toMs()).isEqualTo(NOW);
        assertThat(range.fromMs()).isEqualTo(NOW - 7 * 86_400_000L);
        assertThat(range.from()).isEqualTo(Instant.ofEpochMilli(NOW - 7 * 86_400_000L));
        assertThat(range.to()).isEqualTo(Instant.ofEpochMilli(NOW));
        assertThat(Params.range("all", null, "7d", NOW).fromMs()).isZero();
        assertThat(Params.range(null, null, "all", NOW).fromMs()).isZero();
        assertThatThrownBy(() -> Params.range("1d", "2d", "7d", NOW))
                .isInstanceOf(Params.Invalid.class).hasMessageContaining("must be before");
        assertThatThrownBy(() -> Params.range("1d", "later", "7d", NOW))
                .asInstanceOf(InstanceOfAssertFactories.type(Params.Invalid.class))
                .extracting(Params.Invalid::param).isEqualTo("until");
    }

    @Test
    void groupingsAreCheckedAgainstWhatTheReportAllows() throws Exception {
        assertThat(Params.groupBy("groupBy", "Provider", Reports.GroupBy.MODEL,
                Reports.GroupBy.values())).isEqualTo(Reports.GroupBy.PROVIDER);
        assertThat(Params.groupBy("groupBy", null, Reports.GroupBy.MODEL,
                Reports.GroupBy.values())).isEqualTo(Reports.GroupBy.MODEL);
        assertThatThrownBy(() -> Params.groupBy("groupBy", "session", Reports.GroupBy.NONE,
                Reports.GroupBy.NONE, Reports.GroupBy.MODEL))
                .isInstanceOf(Params.Invalid.class)
                .hasMessage("groupBy: 'session' is not one of none, model");
    }

    @Test
    void limitsAreWholeNumbersInRange() throws Exception {
        assertThat(Params.limit("limit", null, 20)).isEqualTo(20);
        assertThat(Params.limit("limit", "5", 20)).isEqualTo(5);
        for (final String bad : new String[] {"0", "-1", "100001", "ten", "1.5"}) {
            assertThatThrownBy(() -> Params.limit("limit", bad, 20))
                    .isInstanceOf(Params.Invalid.class).hasMessageContaining("limit");
        }
    }
}
