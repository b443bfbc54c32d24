package lodestar.usage.internal;

import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Gogo commands {@code lodestar:usage}, {@code lodestar:sessions}, {@code lodestar:savings},
 * {@code lodestar:switches} and {@code lodestar:prices} ({@code lodestar:usage-export} is
 * {@link ExportCommand}).
 */
@Component(service = UsageCommands.class, property = {"osgi.command.scope=lodestar",
    "osgi.command.function=usage", "osgi.command.function=sessions",
    "osgi.command.function=savings", "osgi.command.function=switches",
    "osgi.command.function=prices"})
public final class UsageCommands {

    private static final String GROUPS = "model, provider, strategy, day, session, none";
    private final UsageService usage;

    /**
     * Activates.
     *
     * @param usage usage tracking
     */
    @Activate
    public UsageCommands(@Reference final UsageService usage) {
        this.usage = usage;
    }

    /**
     * Usage grouped.
     *
     * @param since start
     * @param until end
     * @param by grouping
     * @return the table
     */
    @Descriptor("Requests, tokens, cost and times, grouped (" + GROUPS + ")")
    public String usage(
            @Descriptor("start: 7d, 24h, 30m, 2026-11-01 or an instant; 'all'")
            @Parameter(names = {"-s", "--since"}, absentValue = "7d") final String since,
            @Descriptor("end (default now)")
            @Parameter(names = {"-u", "--until"}, absentValue = "") final String until,
            @Descriptor("grouping: " + GROUPS)
            @Parameter(names = {"-b", "--by"}, absentValue = "model") final String by,
            @Descriptor("most groups shown (sessions: the most recent)")
            @Parameter(names = {"-l", "--limit"}, absentValue = "50") final String limit) {
        try {
            final Params.Range range = Params.range(since, until, "7d", usage.now());
            final Reports.GroupBy groupBy = Params.groupBy("--by", by, Reports.GroupBy.MODEL,
                    Reports.GroupBy.values());
            final List<Reports.Group> groups = usage.reports().usage(range.fromMs(),
                    range.toMs(), groupBy, Params.limit("--limit", limit, 50));
            final Aggregate total = usage.reports().total(range.fromMs(), range.toMs());
            final StringBuilder out = new StringBuilder();
            out.append("usage ").append(range.from()).append(" .. ").append(range.to())
                    .append(" by ").append(groupBy.label()).append('\n');
            out.append(String.format(Locale.ROOT, "%-34s %8s %6s %12s %10s %10s %12s %12s %8s "
                    + "%8s %8s%n", "KEY", "REQS", "ERRORS", "IN_TOKENS", "OUT_TOKENS", "CACHED",
                    "COST_USD", "BASELINE", "AVG_MS", "TTFT_MS", "UNPRICED"));
            for (final Reports.Group group : groups) {
                out.append(line(group.key().isEmpty() ? "(none)" : group.key(),
                        group.aggregate()));
            }
            out.append(line("TOTAL", total));
            final long unpriced = total.get(Measure.UNPRICED);
            if (unpriced > 0) {
                final List<Reports.Group> byModel = usage.reports().usage(range.fromMs(),
                        range.toMs(), Reports.GroupBy.MODEL);
                out.append(unpriced).append(" request(s) with unknown cost (not in the price "
                        + "table, no provider price): ").append(byModel.stream()
                                .filter(g -> g.aggregate().get(Measure.UNPRICED) > 0)
                                .map(g -> (g.key().isEmpty() ? "(none)" : g.key()) + " ("
                                        + g.aggregate().get(Measure.UNPRICED) + ")")
                                .collect(Collectors.joining(", "))).append('\n');
            }
            final long provider = total.get(Measure.EVENT_PRICED);
            if (provider > 0) {
                out.append(provider).append(" request(s) priced with the provider's own price "
                        + "(model not in the price table)\n");
            }
            return out.toString();
        } catch (final Params.Invalid e) {
            return "error: " + e.getMessage() + "\n";
        } catch (final SQLException e) {
            return "error: usage database unavailable: " + e.getMessage() + "\n";
        }
    }

    private static String line(final String key, final Aggregate a) {
        final Double latency = a.mean(Measure.LATENCY_MS, Measure.REQUESTS);
        final Double ttft = a.mean(Measure.TTFT_MS, Measure.TTFT_REQUESTS);
        return String.format(Locale.ROOT, "%-34s %8d %6d %12d %10d %10d %12.6f %12.6f %8s %8s "
                + "%8d%n", key.length() > 34 ? key.substring(0, 33) + "~" : key, a.requests(),
                a.get(Measure.ERRORS), a.get(Measure.INPUT_TOKENS),
                a.get(Measure.OUTPUT_TOKENS), a.get(Measure.CACHED_TOKENS),
                a.usd(Measure.COST_USD), a.usd(Measure.BASELINE_USD),
                latency == null ? "-" : String.valueOf(Math.round(latency)),
                ttft == null ? "-" : String.valueOf(Math.round(ttft)), a.get(Measure.UNPRICED));
    }

    /**
     * Sessions, most recently active first.
     *
     * @param since start
     * @param until end
     * @param limit most shown
     * @return the table
     */
    @Descriptor("Sessions active in a range: duration, requests, model switches, cost")
    public String sessions(
            @Descriptor("start (default 7d)")
            @Parameter(names = {"-s", "--since"}, absentValue = "7d") final String since,
            @Descriptor("end (default now)")
            @Parameter(names = {"-u", "--until"}, absentValue = "") final String until,
            @Descriptor("most sessions shown")
            @Parameter(names = {"-l", "--limit"}, absentValue = "20") final String limit) {
        try {
            final Params.Range range = Params.range(since, until, "7d", usage.now());
            final int most = Params.limit("--limit", limit, 20);
            final List<Reports.Session> sessions = usage.reports().sessions(range.fromMs(),
                    range.toMs(), most);
            final StringBuilder out = new StringBuilder();
            out.append(String.format(Locale.ROOT, "%-32s %-24s %10s %6s %8s %12s %12s%n",
                    "SESSION", "START", "DURATION", "REQS", "SWITCHES", "TOKENS", "COST_USD"));
            for (final Reports.Session s : sessions) {
                final Aggregate a = s.aggregate();
                final long start = Math.min(s.startMs(), a.get(Measure.FIRST_MS));
                out.append(String.format(Locale.ROOT, "%-32s %-24s %10s %6d %8d %12d %12.6f%n",
                        s.key(), Instant.ofEpochMilli(start), duration(a.get(Measure.LAST_MS)
                                - start), a.requests(), a.get(Measure.MODEL_SWITCHES),
                        a.get(Measure.INPUT_TOKENS) + a.get(Measure.OUTPUT_TOKENS),
                        a.usd(Measure.COST_USD)));
            }
            out.append(sessions.size()).append(" session(s) shown").append('\n');
            return out.toString();
        } catch (final Params.Invalid e) {
            return "error: " + e.getMessage() + "\n";
        } catch (final SQLException e) {
            return "error: usage database unavailable: " + e.getMessage() + "\n";
        }
    }

    static String duration(final long ms) {
        final long seconds = Math.max(0, ms) / 1000;
        return seconds >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", seconds / 3600,
                seconds % 3600 / 60) : String.format(Locale.ROOT, "%dm%02ds", seconds / 60,
                        seconds % 60);
    }

    /**
     * Savings against the baseline model.
     *
     * @param since start
     * @param until end
     * @return the summary
     */
    @Descriptor("Actual cost, baseline cost, saved and saved %")
    public String savings(
            @Descriptor("start (default 7d)")
            @Parameter(names = {"-s", "--since"}, absentValue = "7d") final String since,
            @Descriptor("end (default now)")
            @Parameter(names = {"-u", "--until"}, absentValue = "") final String until) {
        try {
            final Params.Range range = Params.range(since, until, "7d", usage.now());
            final Aggregate a = usage.reports().total(range.fromMs(), range.toMs());
            final Double percent = a.savedPercent();
            return String.format(Locale.ROOT, "savings %s .. %s%n"
                    + "requests            %d%n"
                    + "actual cost         $%.6f%n"
                    + "baseline cost       $%.6f%n"
                    + "saved               $%.6f (%s) over %d request(s) with both known%n"
                    + "unpriced requests   %d%n"
                    + "without baseline    %d%n", range.from(), range.to(), a.requests(),
                    a.usd(Measure.COST_USD), a.usd(Measure.BASELINE_USD), a.savedUsd(),
                    percent == null ? "-" : String.format(Locale.ROOT, "%.2f%%", percent),
                    a.get(Measure.CMP_REQUESTS), a.get(Measure.UNPRICED),
                    a.requests() - a.get(Measure.BASELINE_REQUESTS));
        } catch (final Params.Invalid e) {
            return "error: " + e.getMessage() + "\n";
        } catch (final SQLException e) {
            return "error: usage database unavailable: " + e.getMessage() + "\n";
        }
    }

    /**
     * Model switches, newest first.
     *
     * @param since start
     * @param limit most shown
     * @return the list
     */
    @Descriptor("Model switches within sessions, newest first")
    public String switches(
            @Descriptor("start (default 7d)")
            @Parameter(names = {"-s", "--since"}, absentValue = "7d") final String since,
            @Descriptor("most shown")
            @Parameter(names = {"-l", "--limit"}, absentValue = "20") final String limit) {
        try {
            final Params.Range range = Params.range(since, null, "7d", usage.now());
            final List<Reports.Switch> switches = usage.reports().switches(range.fromMs(),
                    range.toMs(), Params.limit("--limit", limit, 20));
            final StringBuilder out = new StringBuilder();
            for (final Reports.Switch s : switches) {
                out.append(String.format(Locale.ROOT, "%s %-32s %s -> %s%n",
                        Instant.ofEpochMilli(s.tsMs()), s.session(), s.from(), s.to()));
            }
            out.append(switches.size()).append(" switch(es) shown").append('\n');
            return out.toString();
        } catch (final Params.Invalid e) {
            return "error: " + e.getMessage() + "\n";
        } catch (final SQLException e) {
            return "error: usage database unavailable: " + e.getMessage() + "\n";
        }
    }

    /**
     * The price table in force and the writer's state.
     *
     * @return the table
     */
    @Descriptor("The price table in force (USD per 1M tokens) and the usage writer's state")
    public String prices() {
        final PriceTable table = usage.prices();
        final UsageWriter.Stats stats = usage.stats();
        final StringBuilder out = new StringBuilder();
        out.append("price table version ").append(stats.priceVersion() == null ? "(not yet "
                + "stored)" : stats.priceVersion()).append(", hash ")
                .append(table.hash(), 0, 12).append('\n');
        out.append(String.format(Locale.ROOT, "%-9s %-40s %10s %10s %10s %10s%n", "KIND", "NAME",
                "INPUT", "OUTPUT", "CACHED", "CACHE_WR"));
        for (final PriceTable.Entry e : table.entries()) {
            out.append(String.format(Locale.ROOT, "%-9s %-40s %10s %10s %10s %10s%n", e.kind(),
                    e.name(), e.price().inputPerM(), e.price().outputPerM(),
                    e.price().cachedPerM(), e.price().cacheWritePerM()));
        }
        table.invalid().forEach((key, why) -> out.append("skipped ").append(key).append(": ")
                .append(why).append('\n'));
        out.append(String.format(Locale.ROOT, "writer: %s, %d written, %d dropped, %d queued, "
                + "%d lost, %d open session(s)%n", stats.writable() ? "ok" : "NOT WRITABLE ("
                        + stats.lastError() + ")", stats.written(), stats.dropped(),
                stats.queued(), stats.lost(), stats.openSessions()));
        return out.toString();
    }
}
