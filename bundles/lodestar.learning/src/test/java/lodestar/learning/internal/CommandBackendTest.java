package lodestar.learning.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CommandBackendTest {

    @TempDir
    Path dir;

    /** Records what a backend reports. */
    static class Recorder implements TrainingBackend.Monitor {
        final List<String> lines = new CopyOnWriteArrayList<>();
        final List<String> progress = new CopyOnWriteArrayList<>();
        final AtomicBoolean cancel = new AtomicBoolean();

        @Override
        public void log(final String line) {
            lines.add(line);
        }

        @Override
        public void progress(final long step, final Double loss, final Double evalLoss) {
            progress.add(step + "/" + loss + "/" + evalLoss);
        }

        @Override
        public boolean cancelled() {
            return cancel.get();
        }
    }

    private TrainingBackend.Job job() throws IOException {
        final Path train = dir.resolve("train.jsonl");
        Files.writeString(train, "{\"messages\":[]}\n{\"messages\":[]}\n");
        return new TrainingBackend.Job("job-1", "ds-1", train, dir.resolve("validation.jsonl"),
                dir.resolve("work"), dir.resolve("work/adapter"), "tiny-llama",
                Map.of("epochs", "1"));
    }

    @Test
    void runsTheTrainerStreamsItsLogAndReadsProgress() throws Exception {
        final Recorder monitor = new Recorder();
        final TrainingBackend.Result result = Trainer.backend("ok").train(job(), monitor);
        assertThat(result.adapterDir()).isEqualTo(dir.resolve("work/adapter"));
        assertThat(result.metrics()).containsEntry("steps", 20L).containsEntry("loss", 1.8)
                .containsEntry("eval_loss", 1.9).containsEntry("final_loss", 1.8)
                .containsEntry("note", "ok");
        assertThat(monitor.progress).containsExactly("10/2.5/null", "20/1.8/1.9");
        assertThat(monitor.lines).contains("loading 2 training rows", "not json {");
        assertThat(monitor.lines.get(0)).startsWith("$ sh ").contains("--job job-1");
        assertThat(Files.readString(dir.resolve("work/params.json"))).contains("\"epochs\"");
    }

    @Test
    void theCommandTemplateIsFilledWithoutAShell() throws Exception {
        final CommandBackend backend = new CommandBackend(org.osgi.util.converter.Converters
                .standardConverter().convert(Map.of()).to(CommandBackendConfig.class));
        assertThat(backend.command(job(), Path.of("/p.json"))).containsExactly("python3",
                "scripts/train/lora_train.py", "--train", dir.resolve("train.jsonl").toString(),
                "--validation", dir.resolve("validation.jsonl").toString(), "--output",
                dir.resolve("work/adapter").toString(), "--base-model", "tiny-llama", "--params",
                "/p.json");
    }

    @Test
    void aFailingTrainerReportsWhy() {
        assertThatThrownBy(() -> Trainer.backend("fail").train(job(), new Recorder()))
                .isInstanceOf(IOException.class)
                .hasMessage("trainer exited with code 3: CUDA out of memory");
        assertThatThrownBy(() -> Trainer.backend("noadapter").train(job(), new Recorder()))
                .isInstanceOf(IOException.class).hasMessageContaining("no adapter");
    }

    @Test
    void cancelStopsTheTrainer() throws Exception {
        final Recorder monitor = new Recorder() {
            @Override
            public void progress(final long step, final Double loss, final Double evalLoss) {
                cancel.set(true);
            }
        };
        final long start = System.nanoTime();
        assertThatThrownBy(() -> Trainer.backend("sleep", "killGraceSeconds", "1")
                .train(job(), monitor)).isInstanceOf(TrainingBackend.Cancelled.class);
        assertThat(System.nanoTime() - start).isLessThan(15_000_000_000L);
    }

    @Test
    void aTrainerThatRunsTooLongIsStopped() throws Exception {
        final AtomicLong clock = new AtomicLong();
        final long start = System.nanoTime();
        assertThatThrownBy(() -> Trainer.backend("sleep", () -> clock.addAndGet(20_000),
                "timeoutMinutes", "1", "killGraceSeconds", "0").train(job(), new Recorder()))
                .isInstanceOf(TimeoutException.class).hasMessageContaining("1 minute");
        assertThat(System.nanoTime() - start).isLessThan(15_000_000_000L);
    }

    @Test
    void recognisesAdapterFolders() throws Exception {
        assertThat(CommandBackend.hasAdapter(dir.resolve("none"))).isFalse();
        Files.createDirectories(dir.resolve("a"));
        assertThat(CommandBackend.hasAdapter(dir.resolve("a"))).isFalse();
        Files.writeString(dir.resolve("a/x.gguf"), "g");
        assertThat(CommandBackend.hasAdapter(dir.resolve("a"))).isTrue();
    }
}
