package lodestar.learning.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * Gogo commands {@code lodestar:learning}, {@code lodestar:feedback}, {@code lodestar:dataset}
 * and {@code lodestar:datasets}.
 */
@Component(service = LearningCommands.class, property = {"osgi.command.scope=lodestar",
    "osgi.command.function=learning", "osgi.command.function=feedback",
    "osgi.command.function=dataset", "osgi.command.function=datasets"})
public final class LearningCommands {

    private final LearningStore store;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile ContentCollector collector;

    /**
     * Activates.
     *
     * @param store the learning tables
     */
    @Activate
    public LearningCommands(@Reference final LearningStore store) {
        this.store = store;
    }

    void setCollector(final ContentCollector value) {
        this.collector = value;
    }

    /**
     * Collection state and counters.
     *
     * @return a summary
     * @throws SQLException on a database error
     */
    @Descriptor("Learning loop: whether content is collected, and the counters")
    public String learning() throws SQLException {
        final StringBuilder out = new StringBuilder();
        final ContentCollector current = collector;
        out.append("collect    ").append(current != null ? "on" : "off (collect=false in "
                + "lodestar.learning)").append('\n');
        out.append("stored     ").append(store.exchangeCount()).append(" exchange(s)\n");
        if (current != null) {
            for (final Map.Entry<String, Object> e : current.stats().entrySet()) {
                out.append(String.format(Locale.ROOT, "%-10s %s%n", e.getKey(), e.getValue()));
            }
        }
        return out.toString();
    }

    /**
     * Rates an answer.
     *
     * @param requestId the request id
     * @param rating -1..1; negative keeps the exchange out of datasets
     * @return a confirmation
     * @throws SQLException on a database error
     */
    @Descriptor("Rates an answer: -1 (bad, excluded from training) .. 1 (good)")
    public String feedback(@Descriptor("request id") final String requestId,
            @Descriptor("rating -1..1") final double rating) throws SQLException {
        final boolean known = store.feedback(requestId, rating, "gogo:" + user());
        return String.format(Locale.ROOT, "rated %s %+.2f%s%s%n", requestId.trim(), rating,
                rating < 0 ? " (excluded from training)" : "",
                known ? "" : " (no stored exchange with that id yet)");
    }

    /**
     * Builds a dataset, or shows one's manifest.
     *
     * @param action {@code build}
     * @return the dataset's id, counts and folder
     * @throws Exception on a database or file error
     */
    @Descriptor("dataset build: builds a fine-tuning dataset from the stored exchanges")
    public String dataset(@Descriptor("build") final String action) throws Exception {
        if (!"build".equals(action)) {
            return "usage: lodestar:dataset build | lodestar:dataset show ID\n";
        }
        final DatasetBuilder.Result result = new DatasetBuilder(store).build();
        final JsonNode counts = result.manifest().path("counts");
        return String.format(Locale.ROOT, "%s %s%n  train %d, validation %d, from %d stored%n"
                + "  rejected %s%n  %s%n", result.existed() ? "unchanged, already built:"
                : "built", result.id(), counts.path("train").asLong(),
                counts.path("validation").asLong(), result.manifest().path("source")
                .path("rows").asLong(), counts.path("rejected"), result.dir());
    }

    /**
     * Shows a dataset's manifest.
     *
     * @param action {@code show}
     * @param id the dataset id
     * @return the manifest
     * @throws SQLException on a database error
     */
    @Descriptor("dataset show ID: a dataset's manifest")
    public String dataset(@Descriptor("show") final String action,
            @Descriptor("dataset id") final String id) throws SQLException {
        if (!"show".equals(action)) {
            return "usage: lodestar:dataset build | lodestar:dataset show ID\n";
        }
        return store.dataset(id).map(d -> d.manifest() + "\n")
                .orElse("no dataset " + id + "\n");
    }

    /**
     * Lists the datasets.
     *
     * @return one line per dataset, newest first
     * @throws SQLException on a database error
     */
    @Descriptor("Lists the datasets built, newest first")
    public String datasets() throws SQLException {
        final StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
                "%-20s %-24s %8s %8s %8s  %s%n", "ID", "CREATED", "SOURCE", "TRAIN", "VALID",
                "PATH"));
        for (final LearningStore.DatasetRow d : store.datasets()) {
            out.append(String.format(Locale.ROOT, "%-20s %-24s %8d %8d %8d  %s%n", d.id(),
                    Instant.ofEpochMilli(d.createdMs()), d.sourceRows(), d.trainRows(),
                    d.validationRows(), d.path()));
        }
        return out.toString();
    }

    static String user() {
        final String user = System.getProperty("user.name");
        return user == null ? "shell" : user;
    }
}
