package lodestar.learning.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingServiceTest {

    @TempDir
    Path dir;
    private final AtomicLong clock = new AtomicLong(1_700_000_000_000L);
    private LearningStore store;
    private ModelRegistry registry;
    private final List<TrainingService> services = new ArrayList<>();
    private String dataset;

    @BeforeEach
    void setUp() throws Exception {
        store = Fixtures.store(dir, clock, "hyperParameters", "epochs=1,lora_r=8");
        registry = new ModelRegistry(store, new OllamaDeployer(HttpClient.newHttpClient(),
                Duration.ofSeconds(5)));
        final List<LearningStore.Exchange> rows = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            rows.add(Fixtures.exchange("r" + i, i, "question " + i + " " + i * 31,
                    "answer " + i * 17, "stop"));
        }
        store.insert(rows);
        dataset = new DatasetBuilder(store).build().id();
    }

    @AfterEach
    void tearDown() {
        services.forEach(TrainingService::deactivate);
    }

    private TrainingService service(final String mode) throws Exception {
        final TrainingService service = new TrainingService(store, registry);
        service.addBackend(Trainer.backend(mode, "killGraceSeconds", "1"),
                Map.of(TrainingBackend.PROPERTY, "command"));
        services.add(service);
        return service;
    }

    static TrainingService.Job await(final TrainingService service, final String id,
            final TrainingService.State... states) throws Exception {
        final long end = System.currentTimeMillis() + 20_000;
        while (System.currentTimeMillis() < end) {
            final TrainingService.Job job = service.job(id).orElseThrow();
            if (List.of(states).contains(job.state())) {
                return job;
            }
            Thread.sleep(50);
        }
        throw new AssertionError(id + " is " + service.job(id).orElseThrow().state());
    }

    @Test
    void aSuccessfulJobRegistersACandidateAndKeepsItsLog() throws Exception {
        final TrainingService service = service("ok");
        final TrainingService.Job queued = service.start(new TrainingService.Request(dataset,
                null, null, null, Map.of("epochs", "3")));
        assertThat(queued.state()).isEqualTo(TrainingService.State.QUEUED);
        final TrainingService.Job done = await(service, queued.id(),
                TrainingService.State.SUCCEEDED, TrainingService.State.FAILED);
        assertThat(done.state()).as(done.message()).isEqualTo(TrainingService.State.SUCCEEDED);
        assertThat(done.step()).isEqualTo(20L);
        assertThat(done.loss()).isEqualTo(1.8);
        assertThat(done.evalLoss()).isEqualTo(1.9);
        assertThat(done.modelVersion()).isEqualTo(1);
        assertThat(done.params()).isEqualTo("{\"epochs\":\"3\",\"lora_r\":\"8\"}");
        assertThat(done.startedMs()).isNotNull();
        assertThat(Files.readString(Path.of(done.logPath()))).contains("loading",
                "\"step\":20");
        final ModelRegistry.Version v = registry.get("coder", 1).orElseThrow();
        assertThat(v.state()).isEqualTo(ModelRegistry.State.CANDIDATE);
        assertThat(v.datasetId()).isEqualTo(dataset);
        assertThat(v.jobId()).isEqualTo(queued.id());
        assertThat(v.ollamaFrom()).isEqualTo("llama3.2:1b");
        assertThat(v.metrics()).contains("\"final_loss\":1.8");
        assertThat(v.adapterDir()).isEqualTo(done.adapterDir());
        assertThat(service.jobs()).hasSize(1);
        assertThat(service.backends()).containsExactly("command");
    }

    @Test
    void failuresAndCancellationsAreRecorded() throws Exception {
        final TrainingService failing = service("fail");
        final String failed = failing.start(new TrainingService.Request(dataset, null, "x",
                "b", null)).id();
        assertThat(await(failing, failed, TrainingService.State.FAILED).message())
                .contains("CUDA out of memory");
        final TrainingService sleeping = service("sleep");
        final String running = sleeping.start(new TrainingService.Request(dataset, null, null,
                null, null)).id();
        final String queued = sleeping.start(new TrainingService.Request(dataset, null, null,
                null, null)).id();
        await(sleeping, running, TrainingService.State.RUNNING);
        assertThat(sleeping.cancel(queued)).isTrue();
        assertThat(sleeping.job(queued).orElseThrow().state())
                .isEqualTo(TrainingService.State.CANCELLED);
        assertThat(sleeping.cancel(running)).isTrue();
        assertThat(await(sleeping, running, TrainingService.State.CANCELLED).message())
                .isEqualTo("cancelled");
        assertThat(sleeping.cancel(running)).isFalse();
        assertThat(sleeping.cancel("job-none")).isFalse();
        assertThat(registry.list(null)).isEmpty();
    }

    @Test
    void unknownDatasetsAndBackendsAreRefused() throws Exception {
        final TrainingService service = service("ok");
        assertThatThrownBy(() -> service.start(new TrainingService.Request("ds-none", null,
                null, null, null))).hasMessageContaining("no dataset ds-none");
        assertThatThrownBy(() -> service.start(new TrainingService.Request(dataset, "gpu-farm",
                null, null, null))).hasMessageContaining("no training backend 'gpu-farm'");
        service.removeBackend(service.backends().isEmpty() ? null : null,
                Map.of(TrainingBackend.PROPERTY, "command"));
        service.addBackend(Trainer.backend("ok"), Map.of());
        assertThat(service.backends()).containsExactly("command");
    }

    @Test
    void jobsCutOffByAStopAreMarkedInterrupted() throws Exception {
        final TrainingService service = service("sleep");
        final String id = service.start(new TrainingService.Request(dataset, null, null, null,
                null)).id();
        await(service, id, TrainingService.State.RUNNING);
        service.deactivate();
        assertThat(service.job(id).orElseThrow().state()).isEqualTo(
                TrainingService.State.FAILED);
        assertThat(service.job(id).orElseThrow().message()).startsWith("interrupted");
        try (Connection connection = store.dataSource().getConnection();
                Statement statement = connection.createStatement()) {
            statement.executeUpdate("INSERT INTO learning_job (id, dataset_id, backend, "
                    + "model_name, base_model, params, state, created_ms) VALUES ('job-old', "
                    + "'ds', 'command', 'coder', 'b', '{}', 'RUNNING', 1)");
        }
        final TrainingService restarted = service("ok");
        final TrainingService.Job old = restarted.job("job-old").orElseThrow();
        assertThat(old.state()).isEqualTo(TrainingService.State.FAILED);
        assertThat(old.message()).isEqualTo("interrupted: Lodestar stopped while the job was "
                + "running");
        assertThat(old.finishedMs()).isNotNull();
    }

    @Test
    void hyperParametersParse() {
        assertThat(TrainingService.parseParams(new String[] {"a=1, b = 2", "c", "=x", "d=e=f"}))
                .containsExactly(Map.entry("a", "1"), Map.entry("b", "2"), Map.entry("d", "e=f"));
    }
}
