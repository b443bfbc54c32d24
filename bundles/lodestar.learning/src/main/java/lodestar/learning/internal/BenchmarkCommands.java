package lodestar.learning.internal;

import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;
import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * Gogo commands {@code lodestar:benchmark NAME VERSION} (queues a quality benchmark of a
 * version against the live one) and {@code lodestar:benchmarks [NAME [VERSION]]} (results).
 */
@Component(service = BenchmarkCommands.class, property = {"osgi.command.scope=lodestar",
    "osgi.command.function=benchmark", "osgi.command.function=benchmarks"})
public final class BenchmarkCommands {

    private static final String USAGE = "usage: lodestar:benchmark NAME VERSION | "
            + "lodestar:benchmarks [NAME [VERSION]]\n";

    private final BenchmarkStore results;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile QualityBenchmark benchmark;

    /**
     * Activates.
     *
     * @param store the learning tables
     */
    @Activate
    public BenchmarkCommands(@Reference final LearningStore store) {
        this.results = new BenchmarkStore(store);
    }

    void setBenchmark(final QualityBenchmark value) {
        this.benchmark = value;
    }

    /**
     * Queues a benchmark.
     *
     * @param args {@code NAME VERSION}
     * @return the run id, or why not
     * @throws SQLException on a database error
     */
    @Descriptor("Quality benchmark: runs the evaluation set through the router against NAME "
            + "VERSION and the live version; see lodestar:benchmarks NAME")
    public String benchmark(@Descriptor("NAME VERSION") final String... args)
            throws SQLException {
        if (args.length != 2) {
            return USAGE;
        }
        final QualityBenchmark current = benchmark;
        if (current == null) {
            return "the quality benchmark is not configured (PID lodestar.learning.benchmark, "
                    + "evaluationSet)\n";
        }
        final int version;
        try {
            version = Integer.parseInt(args[1].startsWith("v") ? args[1].substring(1) : args[1]);
        } catch (final NumberFormatException e) {
            return "not a version number: " + args[1] + "\n";
        }
        try {
            final QualityBenchmark.Started run = current.start(args[0], version, "gogo:"
                    + LearningCommands.user());
            return "queued " + run.runId() + ": " + run.name() + " v" + run.version() + " ("
                    + run.model() + ")" + (run.liveVersion() == null ? ", no live version"
                    : " against live v" + run.liveVersion() + " (" + run.liveModel() + ")")
                    + "\n  set: " + run.setPath() + "\n  results: lodestar:benchmarks "
                    + run.name() + " " + run.version() + "\n";
        } catch (final IllegalStateException | NoSuchElementException e) {
            return e.getMessage() + "\n";
        }
    }

    /**
     * Benchmark results, newest first.
     *
     * @param args {@code [NAME [VERSION]]}
     * @return a table
     * @throws SQLException on a database error
     */
    @Descriptor("Quality benchmark results, newest first: [NAME [VERSION]]")
    public String benchmarks(@Descriptor("[NAME [VERSION]]") final String... args)
            throws SQLException {
        if (args.length > 2) {
            return USAGE;
        }
        Integer version = null;
        if (args.length == 2) {
            try {
                version = Integer.parseInt(args[1].startsWith("v") ? args[1].substring(1)
                        : args[1]);
            } catch (final NumberFormatException e) {
                return "not a version number: " + args[1] + "\n";
            }
        }
        return table(results.list(args.length > 0 ? args[0] : null, version, 50));
    }

    static String table(final List<BenchmarkStore.Result> rows) {
        final StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
                "%-30s %-10s %4s %-6s %-8s %9s %6s %8s %-24s %s%n", "RUN", "NAME", "VER", "ROLE",
                "STATE", "SCORE", "ERRORS", "SECONDS", "WHEN", "MODEL / MESSAGE"));
        for (final BenchmarkStore.Result r : rows) {
            out.append(String.format(Locale.ROOT,
                    "%-30s %-10s %4d %-6s %-8s %9s %6d %8s %-24s %s%n", r.runId(), r.name(),
                    r.version(), r.role(), r.state(), BenchmarkStore.DONE.equals(r.state())
                    ? r.passed() + "/" + r.total() : "-", r.errors(), r.durationMs() == null
                    ? "-" : String.format(Locale.ROOT, "%.1f", r.durationMs() / 1000.0),
                    Instant.ofEpochMilli(r.createdMs()), r.model() + (r.message() == null ? ""
                    : "  " + r.message())));
        }
        return out.toString();
    }
}
