package lodestar.runtime.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShellTokenTest {

    @TempDir
    Path dir;

    @Test
    void tokenFileIsOwnerOnlyAndMatchesInConstantTime() throws Exception {
        final Path data = dir.resolve("nested/data");
        final ShellToken token = ShellToken.create(data);
        final Path file = data.resolve(ShellToken.FILE_NAME);

        assertThat(file).exists();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                .isEqualTo("rw-------");
        final String text = Files.readString(file).trim();
        assertThat(text).hasSize(64).matches("[0-9a-f]+");
        assertThat(token.matches(text)).isTrue();
        assertThat(token.matches(text + "\n")).isTrue();
        assertThat(token.matches("0".repeat(64))).isFalse();
        assertThat(token.matches(null)).isFalse();
        assertThat(token.file()).isEqualTo(file);

        token.delete();
        assertThat(file).doesNotExist();
        token.delete();
    }

    @Test
    void eachStartMakesANewToken() throws Exception {
        final ShellToken first = ShellToken.create(dir);
        final String firstText = Files.readString(dir.resolve(ShellToken.FILE_NAME)).trim();
        final ShellToken second = ShellToken.create(dir);

        assertThat(second.matches(firstText)).isFalse();
        assertThat(first.matches(firstText)).isTrue();
    }
}
