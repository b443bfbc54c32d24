package lodestar.usage.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import org.junit.jupiter.api.Test;

class PartitionsTest {

    private static long at(final String instant) {
        return Instant.parse(instant).toEpochMilli();
    }

    @Test
    void everyUtcDayHasItsOwnTables() {
        assertThat(Partitions.day(at("2026-11-26T23:59:59.999Z")))
                .isEqualTo(LocalDate.of(2026, 11, 26));
        assertThat(Partitions.day(at("2026-11-27T00:00:00Z"))).isEqualTo(
                LocalDate.of(2026, 11, 27));
        assertThat(Partitions.day(-1)).isEqualTo(LocalDate.of(1969, 12, 31));
        assertThat(Partitions.raw(LocalDate.of(2026, 1, 5))).isEqualTo("usage_2026_01_05");
        assertThat(Partitions.parse("USAGE_2026_01_05")).contains(LocalDate.of(2026, 1, 5));
        assertThat(Partitions.parse("usage_2026_01_05")).contains(LocalDate.of(2026, 1, 5));
        assertThat(Partitions.parse("USAGE_2026_01_05_HOURLY")).isEmpty();
        assertThat(Partitions.parse("USAGE_PRICE_TABLE")).isEmpty();
        assertThat(Partitions.parse("USAGE_2026_02_30")).isEmpty();
    }

    @Test
    void aDayGoesWhenItIsEntirelyOlderThanTheRetentionWindow() {
        final long now = at("2026-11-26T10:00:00Z");
        // cutoff 2026-08-28T10:00Z: the 27th ended before it, the 28th did not
        assertThat(Partitions.expired(LocalDate.of(2026, 8, 27), now, 90)).isTrue();
        assertThat(Partitions.expired(LocalDate.of(2026, 8, 28), now, 90)).isFalse();
        assertThat(Partitions.expired(LocalDate.of(2026, 11, 26), now, 90)).isFalse();
        assertThat(Partitions.expired(List.of(LocalDate.of(2026, 11, 1),
                LocalDate.of(2026, 8, 2), LocalDate.of(2026, 8, 1), LocalDate.of(2026, 8, 28)),
                now, 90)).containsExactly(LocalDate.of(2026, 8, 1), LocalDate.of(2026, 8, 2));
        // at least one day is always kept
        assertThat(Partitions.expired(LocalDate.of(2026, 11, 25), now, 0)).isFalse();
        assertThat(Partitions.expired(LocalDate.of(2026, 11, 24), now, 0)).isTrue();
    }

    @Test
    void contentHasItsOwnDayTablesNotMistakenForRequestDays() {
        final LocalDate day = LocalDate.of(2026, 1, 5);
        assertThat(Partitions.content(day)).isEqualTo("usage_content_2026_01_05");
        assertThat(Partitions.parseContent("USAGE_CONTENT_2026_01_05")).contains(day);
        assertThat(Partitions.parseContent("usage_content_2026_01_05")).contains(day);
        assertThat(Partitions.parseContent("USAGE_2026_01_05")).isEmpty();
        assertThat(Partitions.parseContent("USAGE_CONTENT_2026_13_05")).isEmpty();
        assertThat(Partitions.parse("USAGE_CONTENT_2026_01_05")).as("not a request day")
                .isEmpty();
    }

    @Test
    void contentDaysGoByTheirOwnRetention() {
        final long now = at("2026-11-26T10:00:00Z");
        final List<LocalDate> days = List.of(LocalDate.of(2026, 11, 26),
                LocalDate.of(2026, 11, 19), LocalDate.of(2026, 11, 18),
                LocalDate.of(2026, 11, 1), LocalDate.of(2026, 8, 27));
        // contentRetentionDays 7: cutoff 2026-11-19T10:00Z, the 18th ended before it
        assertThat(Partitions.expired(days, now, 7)).containsExactly(LocalDate.of(2026, 8, 27),
                LocalDate.of(2026, 11, 1), LocalDate.of(2026, 11, 18));
        // the same days under the requests' 90: only the 27th of August
        assertThat(Partitions.expired(days, now, 90)).containsExactly(
                LocalDate.of(2026, 8, 27));
        // contentRetentionDays 1: cutoff 2026-11-25T10:00Z
        assertThat(Partitions.expired(LocalDate.of(2026, 11, 25), now, 1)).isFalse();
        assertThat(Partitions.expired(LocalDate.of(2026, 11, 24), now, 1)).isTrue();
    }

    @Test
    void aReportReadsWholeHoursFromRollupsAndTheEdgesFromRows() {
        final LocalDate day = LocalDate.of(2026, 11, 26);
        final long from = at("2026-11-26T08:30:00Z");
        final long to = at("2026-11-26T12:15:00Z");
        final Partitions.Plan plan = Partitions.plan(day, from, to).orElseThrow();
        assertThat(plan.hours()).containsExactly(at("2026-11-26T09:00:00Z"),
                at("2026-11-26T12:00:00Z"));
        assertThat(plan.raw()).containsExactly(new long[] {from, at("2026-11-26T09:00:00Z")},
                new long[] {at("2026-11-26T12:00:00Z"), to});
    }

    @Test
    void aRangeCoveringTheDayReadsOnlyRollups() {
        final LocalDate day = LocalDate.of(2026, 11, 26);
        final Partitions.Plan plan = Partitions.plan(day, 0, Long.MAX_VALUE).orElseThrow();
        assertThat(plan.hours()).containsExactly(at("2026-11-26T00:00:00Z"),
                at("2026-11-27T00:00:00Z"));
        assertThat(plan.raw()).isEmpty();
    }

    @Test
    void aRangeWithinOneHourReadsOnlyRows() {
        final LocalDate day = LocalDate.of(2026, 11, 26);
        final long from = at("2026-11-26T08:10:00Z");
        final long to = at("2026-11-26T08:50:00Z");
        final Partitions.Plan plan = Partitions.plan(day, from, to).orElseThrow();
        assertThat(plan.hours()).isNull();
        assertThat(plan.raw()).containsExactly(new long[] {from, to});
        assertThat(Partitions.plan(day, at("2026-11-27T00:00:00Z"), Long.MAX_VALUE)).isEmpty();
    }

    @Test
    void theSetAnswersWhichDaysARangeTouches() {
        final Partitions partitions = new Partitions();
        partitions.reset(List.of(LocalDate.of(2026, 11, 24), LocalDate.of(2026, 11, 26)));
        partitions.add(LocalDate.of(2026, 11, 25));
        assertThat(partitions.contains(LocalDate.of(2026, 11, 25))).isTrue();
        assertThat(partitions.overlapping(at("2026-11-25T00:00:00Z"),
                at("2026-11-26T00:00:00Z"))).containsExactly(LocalDate.of(2026, 11, 25));
        assertThat(partitions.overlapping(0, Long.MAX_VALUE)).hasSize(3);
        assertThat(partitions.overlapping(5, 5)).isEmpty();
        partitions.remove(LocalDate.of(2026, 11, 24));
        assertThat(partitions.all()).containsExactly(LocalDate.of(2026, 11, 25),
                LocalDate.of(2026, 11, 26));
    }
}
