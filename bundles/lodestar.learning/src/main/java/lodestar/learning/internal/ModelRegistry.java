package lodestar.learning.internal;

import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trained model versions and their lineage (base model, dataset, backend, hyper-parameters,
 * metrics, creation), with the states {@code candidate → approved → live → retired}. Training
 * only ever adds candidates; a person approves (which deploys the adapter to Ollama as
 * {@code lodestar-<name>:v<N>} and records who and when), promotes (the live version of the name
 * is retired in the same step) and rolls back (the previously live version is live again, in one
 * step). Nothing here is called automatically. Every change is in {@code learning_model_event}.
 */
@Component(service = ModelRegistry.class)
public final class ModelRegistry {

    /** Version states. */
    enum State { CANDIDATE, APPROVED, LIVE, RETIRED }

    /**
     * One model version.
     *
     * @param name the registry name
     * @param version the version number (1, 2, ...)
     * @param state the state
     * @param baseModel the base model trained on
     * @param ollamaFrom the base as Ollama names it, or {@code null}
     * @param datasetId the dataset
     * @param backend the training backend
     * @param jobId the training job, or {@code null}
     * @param params hyper-parameters (JSON)
     * @param metrics final metrics (JSON)
     * @param adapterDir the adapter folder
     * @param createdMs when it was registered
     * @param approvedBy who approved it
     * @param approvedMs when
     * @param liveMs when it last went live
     * @param retiredMs when it was last retired
     * @param deployedAs the Ollama model name, once deployed
     */
    record Version(String name, int version, State state, String baseModel, String ollamaFrom,
            String datasetId, String backend, String jobId, String params, String metrics,
            String adapterDir, long createdMs, String approvedBy, Long approvedMs, Long liveMs,
            Long retiredMs, String deployedAs) {
    }

    /**
     * One change of a version.
     *
     * @param name the name
     * @param version the version
     * @param action what was done
     * @param actor who did it
     * @param atMs when
     * @param detail more, or {@code null}
     */
    record Event(String name, int version, String action, String actor, long atMs,
            String detail) {
    }

    /** A refused state change. */
    static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;

        Refused(final String message) {
            super(message);
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(ModelRegistry.class);
    private static final String COLUMNS = "name, version, state, base_model, ollama_from, "
            + "dataset_id, backend, job_id, params, metrics, adapter_dir, created_ms, "
            + "approved_by, approved_ms, live_ms, retired_ms, deployed_as";

    private final LearningStore store;
    private final OllamaDeployer deployer;
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    /** The quality benchmark's approval gate, present while a benchmark is configured. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile BenchmarkGate gate;

    /**
     * Activates.
     *
     * @param store the learning tables
     */
    @Activate
    public ModelRegistry(@Reference final LearningStore store) {
        this(store, new OllamaDeployer(HttpClient.newBuilder().connectTimeout(
                Duration.ofSeconds(10)).build(), Duration.ofMinutes(10)));
    }

    ModelRegistry(final LearningStore store, final OllamaDeployer deployer) {
        this.store = store;
        this.deployer = deployer;
    }

    void setGate(final BenchmarkGate value) {
        this.gate = value;
    }

    /**
     * Adds a listener called after every approval, promotion and rollback, on the thread that
     * made the change, once it is committed (the A/B strategy reads the new arms at once).
     *
     * @param listener the listener
     */
    void addListener(final Runnable listener) {
        listeners.add(listener);
    }

    /**
     * Removes a listener.
     *
     * @param listener the listener
     */
    void removeListener(final Runnable listener) {
        listeners.remove(listener);
    }

    private void changed() {
        for (final Runnable listener : listeners) {
            try {
                listener.run();
            } catch (final RuntimeException e) {
                LOG.warn("A registry listener failed: {}", e.getMessage());
            }
        }
    }

    /**
     * The Ollama name of a version.
     *
     * @param name the registry name
     * @param version the version
     * @return {@code lodestar-<name>:v<version>}
     */
    static String ollamaName(final String name, final int version) {
        return "lodestar-" + name + ":v" + version;
    }

    /**
     * Adds a candidate.
     *
     * @param candidate the version (its number and state are assigned here)
     * @return the version number
     * @throws SQLException on a database error
     */
    synchronized int register(final Version candidate) throws SQLException {
        try (Connection connection = store.dataSource().getConnection()) {
            int next;
            try (PreparedStatement query = connection.prepareStatement(
                    "SELECT COALESCE(MAX(version), 0) + 1 FROM learning_model WHERE name = ?")) {
                query.setString(1, candidate.name());
                try (ResultSet rows = query.executeQuery()) {
                    rows.next();
                    next = rows.getInt(1);
                }
            }
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO "
                    + "learning_model (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                    + "?, NULL, NULL, NULL, NULL, NULL)")) {
                insert.setString(1, candidate.name());
                insert.setInt(2, next);
                insert.setString(3, State.CANDIDATE.name());
                insert.setString(4, candidate.baseModel());
                insert.setString(5, candidate.ollamaFrom());
                insert.setString(6, candidate.datasetId());
                insert.setString(7, candidate.backend());
                insert.setString(8, candidate.jobId());
                insert.setString(9, candidate.params());
                insert.setString(10, candidate.metrics());
                insert.setString(11, candidate.adapterDir());
                insert.setLong(12, store.now());
                insert.executeUpdate();
            }
            event(connection, candidate.name(), next, "registered", "trainer",
                    candidate.jobId() == null ? null : "job " + candidate.jobId());
            return next;
        }
    }

    /**
     * The versions, by name then newest first.
     *
     * @param name a name, or {@code null} for all
     * @return the versions
     * @throws SQLException on a database error
     */
    List<Version> list(final String name) throws SQLException {
        final List<Version> out = new ArrayList<>();
        try (Connection connection = store.dataSource().getConnection();
                PreparedStatement query = connection.prepareStatement("SELECT " + COLUMNS
                        + " FROM learning_model" + (name == null ? "" : " WHERE name = ?")
                        + " ORDER BY name, version DESC")) {
            if (name != null) {
                query.setString(1, name);
            }
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    out.add(version(rows));
                }
            }
        }
        return out;
    }

    /**
     * One version.
     *
     * @param name the name
     * @param version the version
     * @return it, if registered
     * @throws SQLException on a database error
     */
    Optional<Version> get(final String name, final int version) throws SQLException {
        return list(name).stream().filter(v -> v.version() == version).findFirst();
    }

    /**
     * The live version of a name.
     *
     * @param name the name
     * @return it, if any
     * @throws SQLException on a database error
     */
    Optional<Version> live(final String name) throws SQLException {
        return list(name).stream().filter(v -> v.state() == State.LIVE).findFirst();
    }

    /**
     * The history of a name, oldest first.
     *
     * @param name the name
     * @return the events
     * @throws SQLException on a database error
     */
    List<Event> history(final String name) throws SQLException {
        final List<Event> out = new ArrayList<>();
        try (Connection connection = store.dataSource().getConnection();
                PreparedStatement query = connection.prepareStatement("SELECT name, version, "
                        + "action, actor, at_ms, detail FROM learning_model_event WHERE name = ? "
                        + "ORDER BY id")) {
            query.setString(1, name);
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    out.add(new Event(rows.getString(1), rows.getInt(2), rows.getString(3),
                            rows.getString(4), rows.getLong(5), rows.getString(6)));
                }
            }
        }
        return out;
    }

    /**
     * Approves a candidate: deploys its adapter to Ollama (when {@code ollamaUrl} and the
     * version's Ollama base are set) and records who approved it and when.
     *
     * @param name the name
     * @param version the version
     * @param actor who approves
     * @return the approved version
     * @throws Refused when it is not a candidate, or the deployment failed (it stays a
     *     candidate)
     * @throws SQLException on a database error
     */
    synchronized Version approve(final String name, final int version, final String actor)
            throws Refused, SQLException {
        return approve(name, version, actor, false);
    }

    /**
     * Approves a candidate, as {@link #approve(String, int, String)}, after the quality
     * benchmark's gate: with a benchmark set configured, a candidate without a result on the
     * set, or scoring below the live version, is refused unless {@code override} is given; an
     * override that was needed is recorded in the history with the gate's reason.
     *
     * @param name the name
     * @param version the version
     * @param actor who approves
     * @param override approve even when the benchmark gate refuses
     * @return the approved version
     * @throws Refused when it is not a candidate, the gate refuses without override, or the
     *     deployment failed
     * @throws SQLException on a database error
     */
    synchronized Version approve(final String name, final int version, final String actor,
            final boolean override) throws Refused, SQLException {
        final Version v = require(name, version);
        if (v.state() != State.CANDIDATE) {
            throw new Refused(name + " v" + version + " is " + lower(v.state())
                    + "; only a candidate can be approved");
        }
        final String gated = gate(v, override);
        final String deployed = deploy(v, actor);
        try (Connection connection = store.dataSource().getConnection();
                PreparedStatement update = connection.prepareStatement("UPDATE learning_model "
                        + "SET state = ?, approved_by = ?, approved_ms = ?, deployed_as = ? "
                        + "WHERE name = ? AND version = ?")) {
            update.setString(1, State.APPROVED.name());
            update.setString(2, actor);
            update.setLong(3, store.now());
            update.setString(4, deployed);
            update.setString(5, name);
            update.setInt(6, version);
            update.executeUpdate();
            event(connection, name, version, "approved", actor, (deployed == null
                    ? "not deployed (no ollamaUrl or Ollama base)" : "deployed as " + deployed)
                    + (gated == null ? "" : "; " + gated));
        }
        changed();
        return require(name, version);
    }

    private String gate(final Version v, final boolean override) throws Refused, SQLException {
        final BenchmarkGate current = gate;
        if (current == null || !current.configured()) {
            return override ? "override given (no benchmark gate)" : null;
        }
        final BenchmarkGate.Verdict verdict = current.evaluate(v.name(), v.version(),
                live(v.name()).orElse(null));
        if (verdict.allowed()) {
            return verdict.reason();
        }
        if (!override) {
            throw new Refused(verdict.reason() + " (approve with the override to accept it "
                    + "anyway: lodestar:model approve " + v.name() + " " + v.version()
                    + " --override)");
        }
        return "benchmark gate OVERRIDDEN: " + verdict.reason();
    }

    /**
     * Makes an approved version live; the live version of the same name, if any, is retired
     * in the same transaction.
     *
     * @param name the name
     * @param version the version
     * @param actor who promotes
     * @return the live version
     * @throws Refused when it is not approved, or its deployment failed
     * @throws SQLException on a database error
     */
    synchronized Version promote(final String name, final int version, final String actor)
            throws Refused, SQLException {
        final Version v = require(name, version);
        if (v.state() != State.APPROVED) {
            throw new Refused(name + " v" + version + " is " + lower(v.state())
                    + "; approve it first (only an approved version can be promoted)");
        }
        final String deployed = v.deployedAs() != null ? v.deployedAs() : deploy(v, actor);
        switchLive(name, live(name).orElse(null), v, deployed, actor, "promoted");
        return require(name, version);
    }

    /**
     * Puts the previously live version back in one step; the current one is retired. The
     * previous version is the one the current one replaced: promotions stack up and every
     * rollback goes one step down, so rolling back twice from v3 gives v2, then v1 (never the
     * version just rolled back from).
     *
     * @param name the name
     * @param actor who rolls back
     * @return the version live now
     * @throws Refused when nothing is live or nothing was live before
     * @throws SQLException on a database error
     */
    synchronized Version rollback(final String name, final String actor)
            throws Refused, SQLException {
        final Version current = live(name).orElseThrow(() -> new Refused("no live version of "
                + name + " to roll back"));
        final Deque<Integer> stack = liveStack(name);
        stack.remove(current.version());
        Version previous = null;
        for (final int number : stack) {
            final Optional<Version> v = get(name, number);
            if (v.isPresent() && v.get().state() == State.RETIRED) {
                previous = v.get();
                break;
            }
        }
        if (previous == null) {
            throw new Refused("no earlier live version of " + name + " to roll back to");
        }
        switchLive(name, current, previous, previous.deployedAs(), actor, "rolled back to");
        return require(name, previous.version());
    }

    /**
     * The versions that were live, most recent first, as promotions and rollbacks left them:
     * a promotion puts its version on top, a rollback takes the top off.
     */
    private Deque<Integer> liveStack(final String name) throws SQLException {
        final Deque<Integer> stack = new ArrayDeque<>();
        for (final Event e : history(name)) {
            if ("rolled back".equals(e.action()) && !stack.isEmpty()) {
                stack.pop();
            }
            if ("promoted".equals(e.action()) || "rolled back".equals(e.action())) {
                stack.remove(e.version());
                stack.push(e.version());
            }
        }
        return stack;
    }

    private void switchLive(final String name, final Version old, final Version next,
            final String deployed, final String actor, final String action)
            throws SQLException {
        final long now = store.now();
        try (Connection connection = store.dataSource().getConnection()) {
            final boolean autoCommit = connection.getAutoCommit();
            connection.setAutoCommit(false);
            try {
                if (old != null) {
                    try (PreparedStatement retire = connection.prepareStatement("UPDATE "
                            + "learning_model SET state = ?, retired_ms = ? WHERE name = ? "
                            + "AND version = ?")) {
                        retire.setString(1, State.RETIRED.name());
                        retire.setLong(2, now);
                        retire.setString(3, name);
                        retire.setInt(4, old.version());
                        retire.executeUpdate();
                    }
                    event(connection, name, old.version(), "retired", actor, "replaced by v"
                            + next.version());
                }
                try (PreparedStatement up = connection.prepareStatement("UPDATE learning_model "
                        + "SET state = ?, live_ms = ?, deployed_as = ? WHERE name = ? AND "
                        + "version = ?")) {
                    up.setString(1, State.LIVE.name());
                    up.setLong(2, now);
                    up.setString(3, deployed);
                    up.setString(4, name);
                    up.setInt(5, next.version());
                    up.executeUpdate();
                }
                event(connection, name, next.version(), action.startsWith("rolled")
                        ? "rolled back" : "promoted", actor, old == null ? "first live version"
                        : action + " v" + next.version() + " from v" + old.version());
                connection.commit();
            } catch (final SQLException e) {
                connection.rollback();
                throw e;
            } finally {
                connection.setAutoCommit(autoCommit);
            }
        }
        LOG.info("Model {} v{} is live ({} by {})", name, next.version(), action, actor);
        changed();
    }

    private String deploy(final Version v, final String actor) throws Refused, SQLException {
        final String url = store.config().ollamaUrl();
        if (url == null || url.isBlank() || v.ollamaFrom() == null || v.ollamaFrom().isBlank()
                || v.adapterDir() == null) {
            return null;
        }
        final String model = ollamaName(v.name(), v.version());
        try {
            deployer.deploy(url.trim(), model, v.ollamaFrom(), Path.of(v.adapterDir()));
        } catch (final IOException e) {
            try (Connection connection = store.dataSource().getConnection()) {
                event(connection, v.name(), v.version(), "deploy failed", actor,
                        LearningStore.truncate(e.getMessage(), 2000));
            }
            throw new Refused("deploying " + model + " to Ollama failed: " + e.getMessage());
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Refused("interrupted while deploying " + model);
        }
        return model;
    }

    private Version require(final String name, final int version) throws Refused, SQLException {
        return get(name, version).orElseThrow(() -> new Refused("no model " + name + " v"
                + version));
    }

    private void event(final Connection connection, final String name, final int version,
            final String action, final String actor, final String detail) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO "
                + "learning_model_event (name, version, action, actor, at_ms, detail) "
                + "VALUES (?, ?, ?, ?, ?, ?)")) {
            insert.setString(1, name);
            insert.setInt(2, version);
            insert.setString(3, action);
            insert.setString(4, LearningStore.truncate(actor, 200));
            insert.setLong(5, store.now());
            insert.setString(6, detail);
            insert.executeUpdate();
        }
    }

    private static Version version(final ResultSet rows) throws SQLException {
        return new Version(rows.getString(1), rows.getInt(2), State.valueOf(rows.getString(3)),
                rows.getString(4), rows.getString(5), rows.getString(6), rows.getString(7),
                rows.getString(8), rows.getString(9), rows.getString(10), rows.getString(11),
                rows.getLong(12), rows.getString(13), (Long) rows.getObject(14, Long.class),
                (Long) rows.getObject(15, Long.class), (Long) rows.getObject(16, Long.class),
                rows.getString(17));
    }

    static String lower(final State state) {
        return state.name().toLowerCase(Locale.ROOT);
    }
}
