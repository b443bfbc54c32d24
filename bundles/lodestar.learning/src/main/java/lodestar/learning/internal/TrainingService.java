package lodestar.learning.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Training jobs: queued and run one at a time on a dedicated thread with the
 * {@link TrainingBackend} named by the job (the {@code backend} setting by default), persisted
 * in {@code learning_job} with their state ({@code QUEUED, RUNNING, SUCCEEDED, FAILED,
 * CANCELLED}), progress and log ({@code <data>/learning/jobs/<id>/train.log}). A job found
 * {@code QUEUED} or {@code RUNNING} at start was cut off by a stop: it is marked
 * {@code FAILED "interrupted"}. A successful job adds a candidate to the {@link ModelRegistry};
 * it never approves or promotes.
 */
@Component(service = TrainingService.class, immediate = true)
public final class TrainingService {

    /** Job states. */
    enum State { QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED }

    /**
     * One job.
     *
     * @param id the id
     * @param datasetId the dataset
     * @param backend the backend name
     * @param modelName the registry name of the result
     * @param baseModel the base model
     * @param ollamaFrom the base as Ollama names it
     * @param params hyper-parameters (JSON)
     * @param state the state
     * @param message why it failed, or a note
     * @param createdMs when it was queued
     * @param startedMs when it started
     * @param finishedMs when it ended
     * @param step the last step reported
     * @param loss the last training loss
     * @param evalLoss the last validation loss
     * @param adapterDir the adapter, once trained
     * @param logPath the log file
     * @param modelVersion the registry version created
     */
    record Job(String id, String datasetId, String backend, String modelName, String baseModel,
            String ollamaFrom, String params, State state, String message, long createdMs,
            Long startedMs, Long finishedMs, Long step, Double loss, Double evalLoss,
            String adapterDir, String logPath, Integer modelVersion) {
    }

    /**
     * What to train.
     *
     * @param datasetId the dataset
     * @param backend the backend, {@code null} for the configured one
     * @param modelName the registry name, {@code null} for the configured one
     * @param baseModel the base model, {@code null} for the configured one
     * @param params hyper-parameters over the configured ones
     */
    record Request(String datasetId, String backend, String modelName, String baseModel,
            Map<String, String> params) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(TrainingService.class);
    private static final String COLUMNS = "id, dataset_id, backend, model_name, base_model, "
            + "ollama_from, params, state, message, created_ms, started_ms, finished_ms, step, "
            + "loss, eval_loss, adapter_dir, log_path, model_version";

    private final ObjectMapper mapper = new ObjectMapper();
    private final LearningStore store;
    private final ModelRegistry registry;
    private final Map<String, TrainingBackend> backends = new ConcurrentHashMap<>();
    private final Set<String> cancelled = ConcurrentHashMap.newKeySet();
    private final ExecutorService executor;
    private volatile boolean stopping;

    /**
     * Activates: marks jobs cut off by the last stop as failed.
     *
     * @param store the learning tables
     * @param registry the model registry
     * @throws SQLException on a database error
     */
    @Activate
    public TrainingService(@Reference final LearningStore store,
            @Reference final ModelRegistry registry) throws SQLException {
        this.store = store;
        this.registry = registry;
        this.executor = Executors.newSingleThreadExecutor(r -> {
            final Thread thread = new Thread(r, "lodestar-learning-training");
            thread.setDaemon(true);
            return thread;
        });
        try (Connection connection = store.dataSource().getConnection();
                PreparedStatement update = connection.prepareStatement("UPDATE learning_job SET "
                        + "state = 'FAILED', message = 'interrupted: Lodestar stopped while the "
                        + "job was ' || LOWER(state), finished_ms = ? WHERE state IN "
                        + "('QUEUED', 'RUNNING')")) {
            update.setLong(1, store.now());
            final int interrupted = update.executeUpdate();
            if (interrupted > 0) {
                LOG.warn("{} training job(s) were cut off by the last stop: marked FAILED",
                        interrupted);
            }
        }
    }

    /**
     * Adds a backend.
     *
     * @param backend the backend
     * @param properties its service properties
     */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addBackend(final TrainingBackend backend, final Map<String, Object> properties) {
        final Object name = properties.get(TrainingBackend.PROPERTY);
        if (name != null) {
            backends.put(name.toString(), backend);
        }
    }

    /**
     * Removes a backend.
     *
     * @param backend the backend
     * @param properties its service properties
     */
    void removeBackend(final TrainingBackend backend, final Map<String, Object> properties) {
        final Object name = properties.get(TrainingBackend.PROPERTY);
        if (name != null) {
            backends.remove(name.toString(), backend);
        }
    }

    /**
     * Stops: the running job is asked to stop (the backend polls for it; the thread is not
     * interrupted, which would close H2's file channel) and marked failed (interrupted); queued
     * jobs stay queued and are marked so at the next start.
     */
    @Deactivate
    void deactivate() {
        stopping = true;
        executor.shutdown();
        try {
            if (!executor.awaitTermination(60, TimeUnit.SECONDS)) {
                LOG.warn("The training thread did not stop within 60 s");
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** @return the backend names available */
    Set<String> backends() {
        return Set.copyOf(backends.keySet());
    }

    /**
     * Queues a job.
     *
     * @param request what to train
     * @return the job
     * @throws IllegalArgumentException on an unknown dataset or backend
     * @throws SQLException on a database error
     */
    Job start(final Request request) throws SQLException {
        final LearningConfig config = store.config();
        final LearningStore.DatasetRow dataset = store.dataset(request.datasetId())
                .orElseThrow(() -> new IllegalArgumentException("no dataset "
                        + request.datasetId() + " (see lodestar:datasets)"));
        final String backend = blankOr(request.backend(), config.backend());
        if (!backends.containsKey(backend)) {
            throw new IllegalArgumentException("no training backend '" + backend
                    + "' (available: " + backends.keySet() + ")");
        }
        final Map<String, String> params = new LinkedHashMap<>(
                parseParams(config.hyperParameters()));
        if (request.params() != null) {
            params.putAll(request.params());
        }
        final String id = "job-" + store.now() + "-" + HexFormat.of().toHexDigits(
                (short) ThreadLocalRandom.current().nextInt());
        final Path work = store.home().resolve("jobs").resolve(id);
        final String paramsJson;
        try {
            paramsJson = mapper.writeValueAsString(params);
        } catch (final JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        final Job job = new Job(id, dataset.id(), backend, blankOr(request.modelName(),
                config.modelName()), blankOr(request.baseModel(), config.baseModel()),
                blankOr(null, config.ollamaBaseModel()), paramsJson, State.QUEUED, null,
                store.now(), null, null, null, null, null, null,
                work.resolve("train.log").toString(), null);
        try (Connection connection = store.dataSource().getConnection();
                PreparedStatement insert = connection.prepareStatement("INSERT INTO "
                        + "learning_job (id, dataset_id, backend, model_name, base_model, "
                        + "ollama_from, params, state, created_ms, log_path) VALUES "
                        + "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            insert.setString(1, job.id());
            insert.setString(2, job.datasetId());
            insert.setString(3, job.backend());
            insert.setString(4, job.modelName());
            insert.setString(5, job.baseModel());
            insert.setString(6, job.ollamaFrom());
            insert.setString(7, job.params());
            insert.setString(8, job.state().name());
            insert.setLong(9, job.createdMs());
            insert.setString(10, job.logPath());
            insert.executeUpdate();
        }
        executor.execute(() -> run(job, Path.of(dataset.path()), work, params));
        return job;
    }

    /**
     * Cancels a queued or running job.
     *
     * @param id the job id
     * @return whether it was queued or running
     * @throws SQLException on a database error
     */
    boolean cancel(final String id) throws SQLException {
        final Optional<Job> job = job(id);
        if (job.isEmpty() || (job.get().state() != State.QUEUED
                && job.get().state() != State.RUNNING)) {
            return false;
        }
        cancelled.add(id);
        if (job.get().state() == State.QUEUED) {
            finish(id, State.CANCELLED, "cancelled before it started", null, null);
        }
        return true;
    }

    private void run(final Job job, final Path datasetDir, final Path work,
            final Map<String, String> params) {
        if (cancelled.remove(job.id()) || stopping) {
            return;
        }
        final TrainingBackend backend = backends.get(job.backend());
        try {
            Files.createDirectories(work);
        } catch (final IOException e) {
            safeFinish(job.id(), State.FAILED, "cannot create " + work + ": " + e.getMessage(),
                    null, null);
            return;
        }
        try (BufferedWriter log = Files.newBufferedWriter(work.resolve("train.log"),
                StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND)) {
            if (backend == null) {
                throw new IllegalStateException("training backend '" + job.backend()
                        + "' went away");
            }
            update("UPDATE learning_job SET state = 'RUNNING', started_ms = ? WHERE id = ?",
                    store.now(), job.id());
            LOG.info("Training {} started: dataset {}, backend {}, base {}", job.id(),
                    job.datasetId(), job.backend(), job.baseModel());
            final TrainingBackend.Result result = backend.train(new TrainingBackend.Job(
                    job.id(), job.datasetId(), datasetDir.resolve(DatasetBuilder.TRAIN),
                    datasetDir.resolve(DatasetBuilder.VALIDATION), work, work.resolve("adapter"),
                    job.baseModel(), params), monitor(job.id(), log));
            final String ollamaFrom = CommandBackend.hasAdapter(result.adapterDir())
                    ? job.ollamaFrom() : null;
            final int version = registry.register(new ModelRegistry.Version(job.modelName(), 0,
                    ModelRegistry.State.CANDIDATE, job.baseModel(), ollamaFrom,
                    job.datasetId(), job.backend(), job.id(), job.params(),
                    mapper.writeValueAsString(result.metrics()),
                    result.adapterDir().toString(), 0, null, null, null, null, null));
            update("UPDATE learning_job SET model_version = ? WHERE id = ?", version, job.id());
            finish(job.id(), State.SUCCEEDED, "registered " + job.modelName() + " v" + version
                    + " as a candidate", result.adapterDir().toString(), result.metrics());
            LOG.info("Training {} succeeded: {} v{} is a candidate", job.id(), job.modelName(),
                    version);
        } catch (final TrainingBackend.Cancelled | InterruptedException e) {
            safeFinish(job.id(), stopping ? State.FAILED : State.CANCELLED, stopping
                    ? "interrupted: Lodestar stopped while the job was running" : "cancelled",
                    null, null);
        } catch (final TimeoutException e) {
            safeFinish(job.id(), State.FAILED, e.getMessage(), null, null);
        } catch (final Exception e) {
            LOG.warn("Training {} failed: {}", job.id(), e.getMessage());
            safeFinish(job.id(), State.FAILED, String.valueOf(e.getMessage()), null, null);
        } finally {
            cancelled.remove(job.id());
        }
    }

    private TrainingBackend.Monitor monitor(final String id, final BufferedWriter log) {
        return new TrainingBackend.Monitor() {
            @Override
            public void log(final String line) {
                synchronized (log) {
                    try {
                        log.write(line);
                        log.newLine();
                        log.flush();
                    } catch (final IOException e) {
                        LOG.debug("Cannot write the log of {}: {}", id, e.getMessage());
                    }
                }
            }

            @Override
            public void progress(final long step, final Double loss, final Double evalLoss) {
                try {
                    update("UPDATE learning_job SET step = ?, loss = COALESCE(?, loss), "
                            + "eval_loss = COALESCE(?, eval_loss) WHERE id = ?", step, loss,
                            evalLoss, id);
                } catch (final SQLException e) {
                    LOG.debug("Cannot record the progress of {}: {}", id, e.getMessage());
                }
            }

            @Override
            public boolean cancelled() {
                return stopping || cancelled.contains(id) || Thread.currentThread()
                        .isInterrupted();
            }
        };
    }

    private void safeFinish(final String id, final State state, final String message,
            final String adapterDir, final Map<String, Object> metrics) {
        try {
            finish(id, state, message, adapterDir, metrics);
        } catch (final SQLException e) {
            LOG.warn("Cannot record the end of {}: {}", id, e.getMessage());
        }
    }

    private void finish(final String id, final State state, final String message,
            final String adapterDir, final Map<String, Object> metrics) throws SQLException {
        update("UPDATE learning_job SET state = ?, message = ?, finished_ms = ?, "
                + "adapter_dir = COALESCE(?, adapter_dir) WHERE id = ?", state.name(),
                LearningStore.truncate(message, 2000), store.now(), adapterDir, id);
    }

    private void update(final String sql, final Object... values) throws SQLException {
        try (Connection connection = store.dataSource().getConnection();
                PreparedStatement update = connection.prepareStatement(sql)) {
            for (int i = 0; i < values.length; i++) {
                update.setObject(i + 1, values[i]);
            }
            update.executeUpdate();
        }
    }

    /**
     * The jobs, newest first.
     *
     * @return the jobs
     * @throws SQLException on a database error
     */
    List<Job> jobs() throws SQLException {
        return query("SELECT " + COLUMNS + " FROM learning_job ORDER BY created_ms DESC, id",
                null);
    }

    /**
     * One job.
     *
     * @param id the id
     * @return it, if known
     * @throws SQLException on a database error
     */
    Optional<Job> job(final String id) throws SQLException {
        return query("SELECT " + COLUMNS + " FROM learning_job WHERE id = ?", id).stream()
                .findFirst();
    }

    private List<Job> query(final String sql, final String id) throws SQLException {
        final List<Job> out = new ArrayList<>();
        try (Connection connection = store.dataSource().getConnection();
                PreparedStatement query = connection.prepareStatement(sql)) {
            if (id != null) {
                query.setString(1, id);
            }
            try (ResultSet r = query.executeQuery()) {
                while (r.next()) {
                    out.add(new Job(r.getString(1), r.getString(2), r.getString(3),
                            r.getString(4), r.getString(5), r.getString(6), r.getString(7),
                            State.valueOf(r.getString(8)), r.getString(9), r.getLong(10),
                            r.getObject(11, Long.class), r.getObject(12, Long.class),
                            r.getObject(13, Long.class), r.getObject(14, Double.class),
                            r.getObject(15, Double.class), r.getString(16), r.getString(17),
                            r.getObject(18, Integer.class)));
                }
            }
        }
        return out;
    }

    /**
     * Hyper-parameters from {@code key=value} entries (each may hold several, comma-separated).
     *
     * @param entries the entries
     * @return key to value, in order
     */
    static Map<String, String> parseParams(final String[] entries) {
        final Map<String, String> out = new LinkedHashMap<>();
        for (final String entry : QualityFilter.Settings.list(entries)) {
            final int eq = entry.indexOf('=');
            if (eq > 0) {
                out.put(entry.substring(0, eq).trim(), entry.substring(eq + 1).trim());
            }
        }
        return out;
    }

    private static String blankOr(final String value, final String fallback) {
        return value == null || value.isBlank() ? fallback : value.trim();
    }
}
