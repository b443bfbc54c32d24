package lodestar.usage.internal;

import java.util.Arrays;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;
import java.util.stream.Collectors;

/**
 * The figures every report adds up, in the order of the rollup tables' columns. Each has an
 * SQL expression over raw rows, the column it is kept in by the hourly rollups, and how one
 * row contributes (the writer builds the rollups in memory from the same definitions, so raw
 * and rolled-up figures cannot disagree).
 */
enum Measure {
    REQUESTS("requests", Kind.COUNT, "COUNT(*)", r -> 1),
    ERRORS("errors", Kind.COUNT, "SUM(CASE WHEN status < 200 OR status >= 300 THEN 1 ELSE 0 END)",
            r -> r.success() ? 0 : 1),
    CACHE_HITS("cache_hits", Kind.COUNT, "SUM(CASE WHEN cache_hit THEN 1 ELSE 0 END)",
            r -> r.cacheHit() ? 1 : 0),
    STREAMED("streamed", Kind.COUNT, "SUM(CASE WHEN streamed THEN 1 ELSE 0 END)",
            r -> r.streamed() ? 1 : 0),
    ESTIMATED("estimated", Kind.COUNT, "SUM(CASE WHEN tokens_estimated THEN 1 ELSE 0 END)",
            r -> r.estimated() ? 1 : 0),
    INPUT_TOKENS("input_tokens", Kind.COUNT, "SUM(input_tokens)", UsageRow::inputTokens),
    OUTPUT_TOKENS("output_tokens", Kind.COUNT, "SUM(output_tokens)", UsageRow::outputTokens),
    CACHED_TOKENS("cached_tokens", Kind.COUNT, "SUM(cached_tokens)", UsageRow::cachedTokens),
    CACHE_CREATION_TOKENS("cache_creation_tokens", Kind.COUNT, "SUM(cache_creation_tokens)",
            UsageRow::cacheCreationTokens),
    COST_USD("cost_usd", "SUM(cost_usd)", r -> r.costUsd() == null ? 0 : r.costUsd()),
    TABLE_PRICED("table_priced", Kind.COUNT,
            "SUM(CASE WHEN cost_source = 'table' THEN 1 ELSE 0 END)",
            r -> "table".equals(r.costSource()) ? 1 : 0),
    EVENT_PRICED("event_priced", Kind.COUNT,
            "SUM(CASE WHEN cost_source = 'event' THEN 1 ELSE 0 END)",
            r -> "event".equals(r.costSource()) ? 1 : 0),
    UNPRICED("unpriced", Kind.COUNT, "SUM(CASE WHEN cost_usd IS NULL THEN 1 ELSE 0 END)",
            r -> r.costUsd() == null ? 1 : 0),
    BASELINE_USD("baseline_usd", "SUM(baseline_cost_usd)",
            r -> r.baselineCostUsd() == null ? 0 : r.baselineCostUsd()),
    BASELINE_REQUESTS("baseline_requests", Kind.COUNT, "COUNT(baseline_cost_usd)",
            r -> r.baselineCostUsd() == null ? 0 : 1),
    CMP_REQUESTS("cmp_requests", Kind.COUNT, "SUM(CASE WHEN cost_usd IS NOT NULL AND "
            + "baseline_cost_usd IS NOT NULL THEN 1 ELSE 0 END)", r -> r.comparable() ? 1 : 0),
    CMP_COST_USD("cmp_cost_usd", "SUM(CASE WHEN baseline_cost_usd IS NOT NULL THEN cost_usd "
            + "END)", r -> r.comparable() ? r.costUsd() : 0),
    CMP_BASELINE_USD("cmp_baseline_usd", "SUM(CASE WHEN cost_usd IS NOT NULL THEN "
            + "baseline_cost_usd END)", r -> r.comparable() ? r.baselineCostUsd() : 0),
    LATENCY_MS("latency_ms", Kind.COUNT, "SUM(latency_ms)", UsageRow::latencyMs),
    TTFT_MS("ttft_ms", Kind.COUNT, "SUM(ttft_ms)", r -> r.ttftMs() == null ? 0 : r.ttftMs()),
    TTFT_REQUESTS("ttft_requests", Kind.COUNT, "COUNT(ttft_ms)",
            r -> r.ttftMs() == null ? 0 : 1),
    ATTEMPTS("attempts", Kind.COUNT, "SUM(attempts)", UsageRow::attempts),
    MODEL_SWITCHES("model_switches", Kind.COUNT,
            "SUM(CASE WHEN switched_from IS NOT NULL THEN 1 ELSE 0 END)",
            r -> r.switchedFrom() == null ? 0 : 1),
    FIRST_MS("first_ms", Kind.MIN, "MIN(ts_ms)", UsageRow::tsMs),
    LAST_MS("last_ms", Kind.MAX, "MAX(ts_ms + latency_ms)", UsageRow::endMs);

    /** How a figure combines. */
    enum Kind {
        /** A sum of whole numbers. */
        COUNT,
        /** A sum of US dollars. */
        MONEY,
        /** The smallest value. */
        MIN,
        /** The largest value. */
        MAX
    }

    private static final Measure[] ALL = values();

    private final String column;
    private final Kind kind;
    private final String rawSql;
    private final ToLongFunction<UsageRow> whole;
    private final ToDoubleFunction<UsageRow> money;

    Measure(final String column, final Kind kind, final String rawSql,
            final ToLongFunction<UsageRow> whole) {
        this.column = column;
        this.kind = kind;
        this.rawSql = rawSql;
        this.whole = whole;
        this.money = null;
    }

    Measure(final String column, final String rawSql, final ToDoubleFunction<UsageRow> money) {
        this.column = column;
        this.kind = Kind.MONEY;
        this.rawSql = rawSql;
        this.whole = null;
        this.money = money;
    }

    String column() {
        return column;
    }

    Kind kind() {
        return kind;
    }

    long whole(final UsageRow row) {
        return whole.applyAsLong(row);
    }

    double money(final UsageRow row) {
        return money.applyAsDouble(row);
    }

    /**
     * The select list over raw rows, in measure order.
     *
     * @return SQL
     */
    static String rawSelect() {
        return Arrays.stream(ALL).map(m -> m.rawSql).collect(Collectors.joining(", "));
    }

    /**
     * The select list over rollup rows, in measure order.
     *
     * @return SQL
     */
    static String rollupSelect() {
        return Arrays.stream(ALL).map(m -> switch (m.kind) {
            case MIN -> "MIN(" + m.column + ")";
            case MAX -> "MAX(" + m.column + ")";
            default -> "SUM(" + m.column + ")";
        }).collect(Collectors.joining(", "));
    }

    /**
     * How a rollup row takes in a batch's figures ({@code t} the table, {@code s} the source).
     *
     * @return the SET list of a MERGE
     */
    static String mergeUpdate() {
        return Arrays.stream(ALL).map(m -> m.column + " = " + switch (m.kind) {
            case MIN -> "LEAST(t." + m.column + ", s." + m.column + ")";
            case MAX -> "GREATEST(t." + m.column + ", s." + m.column + ")";
            default -> "t." + m.column + " + s." + m.column;
        }).collect(Collectors.joining(", "));
    }

    /**
     * Typed parameters naming the rollup columns.
     *
     * @return the select list of a MERGE source
     */
    static String mergeSource() {
        return Arrays.stream(ALL).map(m -> "CAST(? AS " + (m.kind == Kind.MONEY ? "DOUBLE"
                : "BIGINT") + ") AS " + m.column).collect(Collectors.joining(", "));
    }

    /**
     * Column names, comma separated.
     *
     * @param prefix a prefix for every name (e.g. {@code s.})
     * @return the list
     */
    static String columns(final String prefix) {
        return Arrays.stream(ALL).map(m -> prefix + m.column).collect(Collectors.joining(", "));
    }

    static Measure[] all() {
        return ALL;
    }
}
