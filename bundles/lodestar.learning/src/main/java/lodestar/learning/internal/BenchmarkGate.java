package lodestar.learning.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.Locale;
import java.util.Optional;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;

/**
 * The approval gate of the quality benchmark, consulted by {@link ModelRegistry#approve}: with
 * an evaluation set configured ({@code evaluationSet} of {@code lodestar.learning.benchmark}),
 * a candidate is approved only when its latest finished benchmark on the current set scores at
 * least the live version's on the same set. No result, a result on another set, or a live
 * version without a result on this set refuse too. An explicit override approves anyway (the
 * registry records it). Without the configuration, or with an empty {@code evaluationSet},
 * there is no gate.
 */
@Component(service = BenchmarkGate.class, configurationPid = "lodestar.learning.benchmark",
        configurationPolicy = ConfigurationPolicy.REQUIRE)
public final class BenchmarkGate {

    /**
     * The gate's answer.
     *
     * @param allowed whether approval may go ahead without an override
     * @param reason why, for the refusal or the model's history
     */
    record Verdict(boolean allowed, String reason) {
    }

    private final BenchmarkConfig config;
    private final BenchmarkStore results;

    /**
     * Activates.
     *
     * @param config the benchmark configuration
     * @param store the learning tables
     */
    @Activate
    public BenchmarkGate(final BenchmarkConfig config, @Reference final LearningStore store) {
        this.config = config;
        this.results = new BenchmarkStore(store);
    }

    /** @return whether an evaluation set is configured (else the gate lets everything pass) */
    boolean configured() {
        return !config.evaluationSet().isBlank();
    }

    /**
     * Judges an approval.
     *
     * @param name the name
     * @param version the candidate
     * @param live the live version of the name, or {@code null}
     * @return the verdict
     * @throws SQLException on a database error
     */
    Verdict evaluate(final String name, final int version, final ModelRegistry.Version live)
            throws SQLException {
        if (!configured()) {
            return new Verdict(true, "no benchmark set configured");
        }
        final String set = config.evaluationSet().trim();
        final String sha;
        try {
            sha = EvalSet.sha256(Path.of(set));
        } catch (final IOException | RuntimeException e) {
            return new Verdict(false, "the benchmark set " + set + " cannot be read ("
                    + e.getMessage() + "), so v" + version + "'s quality cannot be checked");
        }
        final Optional<BenchmarkStore.Result> latest = results.latestDone(name, version, null);
        if (latest.isEmpty()) {
            return new Verdict(false, name + " v" + version + " has no benchmark result and a "
                    + "benchmark set is configured; run lodestar:benchmark " + name + " "
                    + version + " first");
        }
        final BenchmarkStore.Result mine = latest.get();
        if (!sha.equals(mine.setSha256())) {
            return new Verdict(false, name + " v" + version + " was last benchmarked on "
                    + "another version of the set (sha256 " + abbrev(mine.setSha256())
                    + ", now " + abbrev(sha) + "); run lodestar:benchmark " + name + " "
                    + version + " again");
        }
        if (live == null || live.version() == version) {
            return new Verdict(true, "benchmark " + score(mine) + " (run " + mine.runId()
                    + "); no live version to compare with");
        }
        final Optional<BenchmarkStore.Result> theirs = results.latestDone(name, live.version(),
                sha);
        if (theirs.isEmpty()) {
            return new Verdict(false, "the live version v" + live.version() + " has no "
                    + "benchmark result on this set; run lodestar:benchmark " + name + " "
                    + version + " again (it evaluates the live version too)");
        }
        final BenchmarkStore.Result other = theirs.get();
        final double a = (double) mine.passed() / Math.max(1, mine.total());
        final double b = (double) other.passed() / Math.max(1, other.total());
        if (a < b) {
            return new Verdict(false, name + " v" + version + " scores " + score(mine)
                    + ", below the live v" + live.version() + " (" + score(other) + ")");
        }
        return new Verdict(true, "benchmark " + score(mine) + " >= live v" + live.version()
                + " " + score(other) + " (run " + mine.runId() + ")");
    }

    static String score(final BenchmarkStore.Result r) {
        return String.format(Locale.ROOT, "%d/%d = %.2f", r.passed(), r.total(),
                (double) r.passed() / Math.max(1, r.total()));
    }

    private static String abbrev(final String sha) {
        return sha == null ? "?" : sha.substring(0, Math.min(12, sha.length()));
    }
}
