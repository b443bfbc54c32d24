package lodestar.usage.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns session and client identifiers into what is stored: a keyed hash (HMAC-SHA256 with a
 * per-installation secret, first 128 bits in hex) when anonymising, else the identifier
 * itself (truncated to 256 characters). The secret lives in {@code usage-hmac.key} in the
 * data folder, created on first use with permissions 600. Not thread-safe: one per thread.
 */
final class Anonymizer {

    /** The secret's file name in the data folder. */
    static final String KEY_FILE = "usage-hmac.key";
    private static final Logger LOG = LoggerFactory.getLogger(Anonymizer.class);
    private static final int MAX_CHARS = 256;
    private static final Set<PosixFilePermission> OWNER_ONLY =
            PosixFilePermissions.fromString("rw-------");

    private final Mac mac;

    private Anonymizer(final Mac mac) {
        this.mac = mac;
    }

    /**
     * Stores identifiers as they are.
     *
     * @return the anonymizer
     */
    static Anonymizer plain() {
        return new Anonymizer(null);
    }

    /**
     * Hashes identifiers with the installation's secret, creating it on first use.
     *
     * @param dataDir the data folder
     * @return the anonymizer
     * @throws IOException when the secret cannot be read or created
     */
    static Anonymizer keyed(final Path dataDir) throws IOException {
        final byte[] secret = secret(dataDir.resolve(KEY_FILE));
        try {
            final Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return new Anonymizer(mac);
        } catch (final GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing", e);
        }
    }

    /**
     * Reads the secret, creating it (32 random bytes, Base64, permissions 600) when absent.
     * Synchronised: the request and content writers may both ask for it on first start, and
     * must end up with the same secret.
     *
     * @param file the secret's file
     * @return the secret
     * @throws IOException when it cannot be read or written
     */
    static synchronized byte[] secret(final Path file) throws IOException {
        if (!Files.exists(file)) {
            Files.createDirectories(file.toAbsolutePath().getParent());
            final byte[] fresh = new byte[32];
            new SecureRandom().nextBytes(fresh);
            final Path temp = file.resolveSibling(file.getFileName() + ".tmp"
                    + ProcessHandle.current().pid());
            createOwnerOnly(temp);
            Files.writeString(temp, Base64.getEncoder().encodeToString(fresh) + "\n");
            try {
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
                LOG.info("Created the usage hashing secret {}", file);
            } catch (final FileAlreadyExistsException ignored) {
                // created meanwhile by another process: that one is kept
            } finally {
                Files.deleteIfExists(temp);
            }
        }
        restrict(file);
        final byte[] secret = Base64.getDecoder().decode(Files.readString(file,
                StandardCharsets.US_ASCII).trim());
        if (secret.length < 16) {
            throw new IOException("the usage hashing secret " + file + " is too short");
        }
        return secret;
    }

    private static void createOwnerOnly(final Path file) throws IOException {
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        } catch (final UnsupportedOperationException e) {
            Files.createFile(file);
        }
    }

    private static void restrict(final Path file) {
        try {
            if (!Files.getPosixFilePermissions(file).equals(OWNER_ONLY)) {
                Files.setPosixFilePermissions(file, OWNER_ONLY);
                LOG.warn("Permissions of {} were wider than 600: restricted", file);
            }
        } catch (final UnsupportedOperationException | IOException e) {
            LOG.debug("Cannot check the permissions of {}: {}", file, e.toString());
        }
    }

    /**
     * Whether identifiers are hashed.
     *
     * @return {@code true} when keyed
     */
    boolean hashing() {
        return mac != null;
    }

    /**
     * What is stored for an identifier.
     *
     * @param id the identifier, or {@code null}
     * @return its keyed hash, the identifier, or {@code null}
     */
    String key(final String id) {
        if (id == null || id.isEmpty()) {
            return null;
        }
        if (mac == null) {
            return id.length() > MAX_CHARS ? id.substring(0, MAX_CHARS) : id;
        }
        final byte[] digest = mac.doFinal(id.getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(digest, 0, 16);
    }
}
