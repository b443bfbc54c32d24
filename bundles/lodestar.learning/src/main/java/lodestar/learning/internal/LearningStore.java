package lodestar.learning.internal;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;
import javax.sql.DataSource;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The learning loop's tables in the shared database (created and migrated at activation) and
 * its configuration. The service carries the configuration's {@code collect} property, which
 * {@link ContentCollector} targets: the collector exists only while {@code collect=true}.
 */
@Component(service = LearningStore.class, configurationPid = "lodestar.learning",
        configurationPolicy = ConfigurationPolicy.OPTIONAL, immediate = true)
@Designate(ocd = LearningConfig.class)
public final class LearningStore {

    private static final Logger LOG = LoggerFactory.getLogger(LearningStore.class);

    /** One stored exchange. */
    record Exchange(String requestId, long tsMs, String sessionId, String providerId,
            String model, String finishReason, String requestJson, String answerJson,
            int redactions) {
    }

    /** One dataset row of the registry of datasets. */
    record DatasetRow(String id, long createdMs, String path, int sourceRows, int trainRows,
            int validationRows, String manifestSha256, String manifest) {
    }

    /** Receives exchanges one at a time. */
    @FunctionalInterface
    interface ExchangeSink {
        /**
         * Takes one.
         *
         * @param exchange the exchange
         * @throws Exception to stop the scan
         */
        void accept(Exchange exchange) throws Exception;
    }

    /** Told of every rating once it is stored (the A/B strategy's feedback figures). */
    @FunctionalInterface
    interface RatingListener {
        /**
         * A request was rated (again: a later rating of the same request replaces it).
         *
         * @param requestId the request id (trimmed)
         * @param previous the rating it replaced, {@code NaN} when it had none
         * @param rating -1..1
         */
        void rated(String requestId, double previous, double rating);
    }

    private final DataSource dataSource;
    private final Path dataDir;
    private final LongSupplier clock;
    private final int schemaVersion;
    private volatile LearningConfig config;
    private final List<RatingListener> ratingListeners = new CopyOnWriteArrayList<>();

    /**
     * Activates: creates or migrates the tables.
     *
     * @param config the configuration
     * @param context the bundle context, for {@code lodestar.data.dir}
     * @param dataSource the shared database
     * @throws SQLException when the tables cannot be created
     */
    @Activate
    public LearningStore(final LearningConfig config, final BundleContext context,
            @Reference(name = "dataSource", target = "(dataSourceName=lodestar)")
            final DataSource dataSource) throws SQLException {
        this(config, dataDir(context.getProperty("lodestar.data.dir")), dataSource,
                System::currentTimeMillis);
    }

    LearningStore(final LearningConfig config, final Path dataDir, final DataSource dataSource,
            final LongSupplier clock) throws SQLException {
        this.config = config;
        this.dataDir = dataDir;
        this.dataSource = dataSource;
        this.clock = clock;
        try (Connection connection = dataSource.getConnection()) {
            this.schemaVersion = Schema.migrate(connection);
        }
    }

    static Path dataDir(final String property) {
        return Path.of(property == null || property.isBlank() ? "data" : property)
                .toAbsolutePath();
    }

    /**
     * Takes a new configuration (the {@code collect} service property follows it).
     *
     * @param next the configuration
     */
    @Modified
    void modified(final LearningConfig next) {
        this.config = next;
    }

    /** @return the configuration in force */
    LearningConfig config() {
        return config;
    }

    /** @return the database */
    DataSource dataSource() {
        return dataSource;
    }

    /** @return {@code <lodestar.data.dir>/learning} */
    Path home() {
        return dataDir.resolve("learning");
    }

    /** @return the current time, epoch ms */
    long now() {
        return clock.getAsLong();
    }

    /** @return the schema version */
    int schemaVersion() {
        return schemaVersion;
    }

    /**
     * Stores exchanges in one transaction; an id already stored is left as it is.
     *
     * @param exchanges the exchanges
     * @return how many were new
     * @throws SQLException on a database error
     */
    int insert(final List<Exchange> exchanges) throws SQLException {
        if (exchanges.isEmpty()) {
            return 0;
        }
        try (Connection connection = dataSource.getConnection()) {
            final boolean autoCommit = connection.getAutoCommit();
            connection.setAutoCommit(false);
            int added = 0;
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO "
                    + "learning_exchange (request_id, ts_ms, session_id, provider_id, model, "
                    + "finish_reason, request_json, answer_json, redactions, recorded_ms) "
                    + "SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM "
                    + "learning_exchange WHERE request_id = ?)")) {
                final long now = now();
                for (final Exchange e : exchanges) {
                    insert.setString(1, e.requestId());
                    insert.setLong(2, e.tsMs());
                    insert.setString(3, e.sessionId());
                    insert.setString(4, e.providerId());
                    insert.setString(5, e.model());
                    insert.setString(6, e.finishReason());
                    insert.setString(7, e.requestJson());
                    insert.setString(8, e.answerJson());
                    insert.setInt(9, e.redactions());
                    insert.setLong(10, now);
                    insert.setString(11, e.requestId());
                    added += insert.executeUpdate();
                }
                connection.commit();
            } catch (final SQLException e) {
                connection.rollback();
                throw e;
            } finally {
                connection.setAutoCommit(autoCommit);
            }
            return added;
        }
    }

    /**
     * Visits every stored exchange, oldest first (ties by request id), streaming.
     *
     * @param sink receives each exchange
     * @throws Exception from the database or the sink
     */
    void scan(final ExchangeSink sink) throws Exception {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement query = connection.prepareStatement("SELECT request_id, ts_ms,"
                        + " session_id, provider_id, model, finish_reason, request_json, "
                        + "answer_json, redactions FROM learning_exchange "
                        + "ORDER BY ts_ms, request_id")) {
            query.setFetchSize(200);
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    sink.accept(new Exchange(rows.getString(1), rows.getLong(2),
                            rows.getString(3), rows.getString(4), rows.getString(5),
                            rows.getString(6), rows.getString(7), rows.getString(8),
                            rows.getInt(9)));
                }
            }
        }
    }

    /**
     * How many exchanges are stored.
     *
     * @return the count
     * @throws SQLException on a database error
     */
    long exchangeCount() throws SQLException {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement query = connection.prepareStatement(
                        "SELECT COUNT(*) FROM learning_exchange");
                ResultSet rows = query.executeQuery()) {
            rows.next();
            return rows.getLong(1);
        }
    }

    /**
     * Records (or replaces) the rating of a request.
     *
     * @param requestId the request id
     * @param rating -1 (bad) .. 1 (good)
     * @param source who rated it
     * @return whether the exchange is stored (feedback on an unknown id is kept for later)
     * @throws SQLException on a database error
     * @throws IllegalArgumentException on a bad id or rating
     */
    boolean feedback(final String requestId, final double rating, final String source)
            throws SQLException {
        if (requestId == null || requestId.isBlank() || requestId.length() > 128) {
            throw new IllegalArgumentException("requestId must be 1..128 characters");
        }
        if (Double.isNaN(rating) || rating < -1 || rating > 1) {
            throw new IllegalArgumentException("rating must be between -1 and 1");
        }
        try (Connection connection = dataSource.getConnection()) {
            double previous = Double.NaN;
            try (PreparedStatement query = connection.prepareStatement(
                    "SELECT rating FROM learning_feedback WHERE request_id = ?")) {
                query.setString(1, requestId.trim());
                try (ResultSet rows = query.executeQuery()) {
                    if (rows.next()) {
                        previous = rows.getDouble(1);
                    }
                }
            }
            try (PreparedStatement merge = connection.prepareStatement("MERGE INTO "
                    + "learning_feedback (request_id, rating, source, updated_ms) KEY "
                    + "(request_id) VALUES (?, ?, ?, ?)")) {
                merge.setString(1, requestId.trim());
                merge.setDouble(2, rating);
                merge.setString(3, source == null ? null : truncate(source, 200));
                merge.setLong(4, now());
                merge.executeUpdate();
            }
            rated(requestId.trim(), previous, rating);
            try (PreparedStatement query = connection.prepareStatement(
                    "SELECT 1 FROM learning_exchange WHERE request_id = ?")) {
                query.setString(1, requestId.trim());
                try (ResultSet rows = query.executeQuery()) {
                    return rows.next();
                }
            }
        }
    }

    /**
     * Adds a listener told of every rating once it is stored, on the thread that stored it.
     *
     * @param listener the listener
     */
    void addRatingListener(final RatingListener listener) {
        ratingListeners.add(listener);
    }

    /**
     * Removes a listener.
     *
     * @param listener the listener
     */
    void removeRatingListener(final RatingListener listener) {
        ratingListeners.remove(listener);
    }

    private void rated(final String requestId, final double previous, final double rating) {
        for (final RatingListener listener : ratingListeners) {
            try {
                listener.rated(requestId, previous, rating);
            } catch (final RuntimeException e) {
                LOG.warn("A rating listener failed: {}", e.getMessage());
            }
        }
    }

    /**
     * Every rating.
     *
     * @return request id to rating
     * @throws SQLException on a database error
     */
    Map<String, Double> ratings() throws SQLException {
        final Map<String, Double> out = new HashMap<>();
        try (Connection connection = dataSource.getConnection();
                PreparedStatement query = connection.prepareStatement(
                        "SELECT request_id, rating FROM learning_feedback");
                ResultSet rows = query.executeQuery()) {
            while (rows.next()) {
                out.put(rows.getString(1), rows.getDouble(2));
            }
        }
        return out;
    }

    /**
     * Records a built dataset.
     *
     * @param row the dataset
     * @throws SQLException on a database error
     */
    void saveDataset(final DatasetRow row) throws SQLException {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement merge = connection.prepareStatement("MERGE INTO "
                        + "learning_dataset (id, created_ms, path, source_rows, train_rows, "
                        + "validation_rows, manifest_sha256, manifest) KEY (id) "
                        + "VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
            merge.setString(1, row.id());
            merge.setLong(2, row.createdMs());
            merge.setString(3, row.path());
            merge.setInt(4, row.sourceRows());
            merge.setInt(5, row.trainRows());
            merge.setInt(6, row.validationRows());
            merge.setString(7, row.manifestSha256());
            merge.setString(8, row.manifest());
            merge.executeUpdate();
        }
    }

    /**
     * The datasets built, newest first.
     *
     * @return the datasets
     * @throws SQLException on a database error
     */
    List<DatasetRow> datasets() throws SQLException {
        return queryDatasets("SELECT id, created_ms, path, source_rows, train_rows, "
                + "validation_rows, manifest_sha256, manifest FROM learning_dataset "
                + "ORDER BY created_ms DESC, id", null);
    }

    /**
     * One dataset.
     *
     * @param id the id
     * @return the dataset, if built
     * @throws SQLException on a database error
     */
    Optional<DatasetRow> dataset(final String id) throws SQLException {
        return queryDatasets("SELECT id, created_ms, path, source_rows, train_rows, "
                + "validation_rows, manifest_sha256, manifest FROM learning_dataset "
                + "WHERE id = ?", id).stream().findFirst();
    }

    private List<DatasetRow> queryDatasets(final String sql, final String id)
            throws SQLException {
        final List<DatasetRow> out = new ArrayList<>();
        try (Connection connection = dataSource.getConnection();
                PreparedStatement query = connection.prepareStatement(sql)) {
            if (id != null) {
                query.setString(1, id);
            }
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    out.add(new DatasetRow(rows.getString(1), rows.getLong(2),
                            rows.getString(3), rows.getInt(4), rows.getInt(5), rows.getInt(6),
                            rows.getString(7), rows.getString(8)));
                }
            }
        }
        return out;
    }

    static String truncate(final String text, final int max) {
        return text == null || text.length() <= max ? text : text.substring(0, max);
    }
}
