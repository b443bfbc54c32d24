package lodestar.usage.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AnonymizerTest {

    @TempDir
    Path dir;

    @Test
    void identifiersBecomeKeyedHashesWithAPrivateSecretCreatedOnce() throws Exception {
        final Anonymizer first = Anonymizer.keyed(dir.resolve("data"));
        final Path key = dir.resolve("data").resolve(Anonymizer.KEY_FILE);
        assertThat(key).exists();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key)))
                .isEqualTo("rw-------");
        final String hash = first.key("session-123");
        assertThat(hash).hasSize(32).matches("[0-9a-f]+").doesNotContain("session");
        assertThat(first.hashing()).isTrue();
        assertThat(first.key("session-124")).isNotEqualTo(hash);
        assertThat(first.key(null)).isNull();
        assertThat(first.key("")).isNull();

        final String secret = Files.readString(key);
        final Anonymizer again = Anonymizer.keyed(dir.resolve("data"));
        assertThat(again.key("session-123")).as("same secret, same hash").isEqualTo(hash);
        assertThat(Files.readString(key)).isEqualTo(secret);

        Files.delete(key);
        assertThat(Anonymizer.keyed(dir.resolve("data")).key("session-123"))
                .as("another installation, another hash").isNotEqualTo(hash);
    }

    @Test
    void looserPermissionsAreTightened() throws Exception {
        Anonymizer.keyed(dir);
        final Path key = dir.resolve(Anonymizer.KEY_FILE);
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
        Anonymizer.keyed(dir);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key)))
                .isEqualTo("rw-------");
    }

    @Test
    void aDamagedSecretIsRefused() throws Exception {
        Files.writeString(dir.resolve(Anonymizer.KEY_FILE), "c2hvcnQ=\n");
        assertThatThrownBy(() -> Anonymizer.keyed(dir)).isInstanceOf(IOException.class)
                .hasMessageContaining("too short");
    }

    @Test
    void withoutAnonymisationIdentifiersAreKeptTruncated() {
        final Anonymizer plain = Anonymizer.plain();
        assertThat(plain.hashing()).isFalse();
        assertThat(plain.key("session-123")).isEqualTo("session-123");
        assertThat(plain.key("x".repeat(300))).hasSize(256);
        assertThat(plain.key(null)).isNull();
    }
}
