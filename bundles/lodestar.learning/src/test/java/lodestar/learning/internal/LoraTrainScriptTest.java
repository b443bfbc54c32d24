package lodestar.learning.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Runs the Python unit tests of {@code scripts/train/lora_train.py} (its data handling and
 * argument parsing; they need no ML library) as part of the Maven build, so that the trainer the
 * {@code command} backend ships with is tested by the same command as everything else. Skipped
 * (JUnit assumption) where no {@code python3} is on the PATH.
 */
class LoraTrainScriptTest {

    @Test
    void thePythonTestsOfTheTrainerPass() throws Exception {
        final Path scripts = Path.of("../../scripts/train").toAbsolutePath().normalize();
        assertThat(scripts.resolve("lora_train.py")).exists();
        assertThat(scripts.resolve("test_lora_train.py")).exists();
        final boolean python = Arrays.stream(System.getenv().getOrDefault("PATH", "")
                .split(File.pathSeparator)).filter(dir -> !dir.isEmpty())
                .anyMatch(dir -> Files.isExecutable(Path.of(dir, "python3")));
        assumeTrue(python, "no python3 on the PATH");
        final Process process = new ProcessBuilder("python3", "-m", "unittest", "-v",
                "test_lora_train").directory(scripts.toFile()).redirectErrorStream(true)
                .start();
        final boolean ended = process.waitFor(120, TimeUnit.SECONDS);
        if (!ended) {
            process.destroyForcibly();
        }
        final String output = new String(process.getInputStream().readAllBytes(),
                StandardCharsets.UTF_8);
        assertThat(ended).as("python3 -m unittest ended").isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        assertThat(output).contains("OK").containsPattern("Ran [1-9][0-9]* tests?");
    }
}
