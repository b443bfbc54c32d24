package lodestar.runtime.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Set;

/**
 * The secret that authorises {@code scripts/shell.sh}: 32 random bytes, written at start-up to
 * {@code <data dir>/shell.token}, readable by the owner only. A new token is made at every start,
 * so a leaked one dies with the process.
 */
final class ShellToken {

    static final String FILE_NAME = "shell.token";
    private static final Set<PosixFilePermission> OWNER_ONLY =
            PosixFilePermissions.fromString("rw-------");

    private final byte[] secret;
    private final Path file;

    private ShellToken(final byte[] secret, final Path file) {
        this.secret = secret;
        this.file = file;
    }

    /**
     * Creates a fresh token and writes it atomically, owner-readable only.
     *
     * @param dataDir the data folder
     * @return the token
     * @throws IOException when the file cannot be written
     */
    static ShellToken create(final Path dataDir) throws IOException {
        final byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        final String text = HexFormat.of().formatHex(random);
        Files.createDirectories(dataDir);
        final Path file = dataDir.resolve(FILE_NAME);
        final Path temp = dataDir.resolve(FILE_NAME + ".tmp");
        Files.deleteIfExists(temp);
        try {
            Files.createFile(temp, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        } catch (final UnsupportedOperationException | FileAlreadyExistsException e) {
            Files.createFile(temp);
        }
        Files.writeString(temp, text + "\n", StandardCharsets.US_ASCII);
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
        return new ShellToken(text.getBytes(StandardCharsets.US_ASCII), file);
    }

    /**
     * Compares a presented token in constant time.
     *
     * @param presented the token a caller sent, may be {@code null}
     * @return {@code true} when it matches
     */
    boolean matches(final String presented) {
        if (presented == null) {
            return false;
        }
        return MessageDigest.isEqual(secret,
                presented.trim().getBytes(StandardCharsets.US_ASCII));
    }

    /** Removes the token file (on shutdown). */
    void delete() {
        try {
            Files.deleteIfExists(file);
        } catch (final IOException e) {
            // the file dies with the next start anyway
            return;
        }
    }

    Path file() {
        return file;
    }
}
