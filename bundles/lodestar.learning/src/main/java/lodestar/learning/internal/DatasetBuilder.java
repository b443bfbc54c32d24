package lodestar.learning.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Builds a fine-tuning dataset from the stored exchanges: every exchange the
 * {@link QualityFilter} keeps becomes one line {@code {"messages":[...]}} (plus {@code tools}
 * when the request had them) of {@code train.jsonl} or {@code validation.jsonl}; the split is
 * deterministic (SHA-256 of the request id, modulo 100, below {@code validationPercent} goes to
 * validation). A {@code manifest.json} records the source rows, the filter settings, the count
 * per rejection reason, the redactions and each file's SHA-256. The dataset id is derived from
 * the files and the settings ({@code ds-} + 16 hex digits), so the same input gives the same id;
 * a dataset folder, once written, is never changed (files read-only; a rebuild with the same
 * content returns the existing one).
 */
final class DatasetBuilder {

    /** The training file's name. */
    static final String TRAIN = "train.jsonl";
    /** The validation file's name. */
    static final String VALIDATION = "validation.jsonl";
    /** The manifest's name. */
    static final String MANIFEST = "manifest.json";

    /**
     * A built dataset.
     *
     * @param id the dataset id
     * @param dir its folder
     * @param existed whether the same dataset had been built before (nothing was written)
     * @param manifest the manifest
     */
    record Result(String id, Path dir, boolean existed, ObjectNode manifest) {
    }

    private final ObjectMapper mapper = new ObjectMapper();
    private final ObjectMapper pretty = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);
    private final LearningStore store;

    DatasetBuilder(final LearningStore store) {
        this.store = store;
    }

    /** @return {@code <data>/learning/datasets} */
    Path root() {
        return store.home().resolve("datasets");
    }

    /**
     * Builds a dataset from every stored exchange.
     *
     * @return the dataset
     * @throws IllegalStateException when no exchange passes the filter
     * @throws Exception on a database or file error
     */
    Result build() throws Exception {
        final QualityFilter filter = new QualityFilter(QualityFilter.Settings.of(store.config()),
                store.ratings());
        final int percent = filter.settings().validationPercent();
        Files.createDirectories(root());
        final Path tmp = Files.createTempDirectory(root(), ".build-");
        final long[] counts = new long[5];
        try {
            try (BufferedWriter train = Files.newBufferedWriter(tmp.resolve(TRAIN),
                    StandardCharsets.UTF_8);
                    BufferedWriter validation = Files.newBufferedWriter(
                            tmp.resolve(VALIDATION), StandardCharsets.UTF_8)) {
                counts[3] = Long.MAX_VALUE;
                counts[4] = Long.MIN_VALUE;
                store.scan(exchange -> {
                    counts[0]++;
                    counts[3] = Math.min(counts[3], exchange.tsMs());
                    counts[4] = Math.max(counts[4], exchange.tsMs());
                    final Optional<Conversation> kept = filter.accept(exchange);
                    if (kept.isEmpty()) {
                        return;
                    }
                    final ObjectNode line = mapper.createObjectNode();
                    line.set("messages", kept.get().messages());
                    if (kept.get().tools() != null) {
                        line.set("tools", kept.get().tools());
                    }
                    final boolean toValidation = validation(exchange.requestId(), percent);
                    (toValidation ? validation : train).write(mapper.writeValueAsString(line));
                    (toValidation ? validation : train).write('\n');
                    counts[toValidation ? 2 : 1]++;
                });
            }
            if (counts[1] + counts[2] == 0) {
                throw new IllegalStateException("no exchange passed the quality filter ("
                        + counts[0] + " stored; rejected: " + nonZero(filter.rejected()) + ")");
            }
            return finish(tmp, filter, counts);
        } finally {
            delete(tmp);
        }
    }

    private Result finish(final Path tmp, final QualityFilter filter, final long[] counts)
            throws Exception {
        final ObjectNode settings = mapper.valueToTree(filter.settings());
        final ObjectNode files = mapper.createObjectNode();
        final StringBuilder identity = new StringBuilder();
        for (final String name : new String[] {TRAIN, VALIDATION}) {
            final String sha = sha256(tmp.resolve(name));
            files.putObject(name).put("sha256", sha).put("bytes", Files.size(tmp.resolve(name)))
                    .put("rows", counts[TRAIN.equals(name) ? 1 : 2]);
            identity.append(sha).append(':');
        }
        identity.append(pretty.writeValueAsString(settings));
        final String id = "ds-" + MinHash.sha256(identity.toString()).substring(0, 16);
        final Path target = root().resolve(id);
        if (Files.isDirectory(target)) {
            return new Result(id, target, true, (ObjectNode) mapper.readTree(
                    target.resolve(MANIFEST).toFile()));
        }
        final ObjectNode manifest = mapper.createObjectNode();
        manifest.put("id", id);
        manifest.put("created", Instant.ofEpochMilli(store.now()).toString());
        manifest.put("format", "openai-chat-jsonl");
        final ObjectNode source = manifest.putObject("source");
        source.put("table", "learning_exchange");
        source.put("rows", counts[0]);
        source.put("firstTimestamp", Instant.ofEpochMilli(counts[3]).toString());
        source.put("lastTimestamp", Instant.ofEpochMilli(counts[4]).toString());
        manifest.set("filter", settings);
        manifest.putObject("split").put("method", "sha256(requestId) mod 100 < "
                + "validationPercent goes to validation").put("validationPercent",
                filter.settings().validationPercent());
        final ObjectNode numbers = manifest.putObject("counts");
        numbers.put("kept", counts[1] + counts[2]);
        numbers.put("train", counts[1]);
        numbers.put("validation", counts[2]);
        numbers.set("rejected", mapper.valueToTree(filter.rejected()));
        manifest.set("redactions", mapper.valueToTree(filter.redactions()));
        manifest.set("files", files);
        final byte[] manifestBytes = pretty.writeValueAsBytes(manifest);
        Files.write(tmp.resolve(MANIFEST), manifestBytes);
        for (final String name : new String[] {TRAIN, VALIDATION, MANIFEST}) {
            tmp.resolve(name).toFile().setReadOnly();
        }
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (final AtomicMoveNotSupportedException e) {
            Files.move(tmp, target);
        } catch (final FileAlreadyExistsException e) {
            return new Result(id, target, true, (ObjectNode) mapper.readTree(
                    target.resolve(MANIFEST).toFile()));
        }
        store.saveDataset(new LearningStore.DatasetRow(id, store.now(), target.toString(),
                (int) counts[0], (int) counts[1], (int) counts[2], sha256(target.resolve(MANIFEST)),
                new String(manifestBytes, StandardCharsets.UTF_8)));
        return new Result(id, target, false, manifest);
    }

    /**
     * Whether a request goes to the validation file.
     *
     * @param requestId the request id
     * @param percent the validation share, percent
     * @return {@code true} for validation
     */
    static boolean validation(final String requestId, final int percent) {
        final String hex = MinHash.sha256(requestId);
        return Long.parseLong(hex.substring(0, 8), 16) % 100 < percent;
    }

    static String sha256(final Path file) throws IOException {
        try {
            final MessageDigest digest = MessageDigest.getInstance("SHA-256");
            try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
                in.transferTo(java.io.OutputStream.nullOutputStream());
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String nonZero(final Map<String, Long> rejected) {
        final StringBuilder out = new StringBuilder();
        rejected.forEach((k, v) -> {
            if (v > 0) {
                out.append(out.length() == 0 ? "" : ", ").append(k).append('=').append(v);
            }
        });
        return out.length() == 0 ? "none" : out.toString();
    }

    private static void delete(final Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (final Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                p.toFile().setWritable(true);
                Files.deleteIfExists(p);
            }
        }
    }
}
