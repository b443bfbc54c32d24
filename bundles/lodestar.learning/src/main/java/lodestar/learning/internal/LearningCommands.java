package lodestar.learning.internal;

import java.sql.SQLException;
import java.util.Locale;
import java.util.Map;
import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/** Gogo commands {@code lodestar:learning} and {@code lodestar:feedback}. */
@Component(service = LearningCommands.class, property = {"osgi.command.scope=lodestar",
    "osgi.command.function=learning", "osgi.command.function=feedback"})
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

    static String user() {
        final String user = System.getProperty("user.name");
        return user == null ? "shell" : user;
    }
}
