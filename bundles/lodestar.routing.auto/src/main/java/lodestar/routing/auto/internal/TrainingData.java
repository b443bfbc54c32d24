package lodestar.routing.auto.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Reads routing data: JSON Lines with {@code prompt}, {@code weak_correct},
 * {@code strong_correct} and optionally {@code id} and {@code source}; other fields are ignored.
 * Blank lines are skipped; any other line that is not such an object is an error naming the
 * line.
 */
final class TrainingData {

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The examples of a file and its SHA-256.
     *
     * @param examples the examples, in file order
     * @param sha256 hex SHA-256 of the file's bytes
     * @param name the file's name
     */
    record Loaded(List<Example> examples, String sha256, String name) {
    }

    private TrainingData() {
    }

    /**
     * Reads a file.
     *
     * @param file the JSONL file
     * @return the examples and the file hash
     * @throws IOException if the file cannot be read or a line is invalid
     */
    static Loaded read(final Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.getFileName().toString());
        }
    }

    /**
     * Reads a stream.
     *
     * @param stream JSONL
     * @param name the name for messages
     * @return the examples and the hash of the bytes read
     * @throws IOException if the stream cannot be read or a line is invalid
     */
    static Loaded read(final InputStream stream, final String name) throws IOException {
        final MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        final List<Example> examples = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(
                new DigestInputStream(stream, digest), StandardCharsets.UTF_8))) {
            String line;
            int number = 0;
            while ((line = reader.readLine()) != null) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                examples.add(parse(line, name, number));
            }
        }
        return new Loaded(List.copyOf(examples), HexFormat.of().formatHex(digest.digest()),
                name);
    }

    private static Example parse(final String line, final String name, final int number)
            throws IOException {
        final JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (final IOException e) {
            throw new IOException(name + " line " + number + ": not JSON: "
                    + e.getMessage(), e);
        }
        if (node == null || !node.isObject()) {
            throw new IOException(name + " line " + number + ": not a JSON object");
        }
        for (final String field : new String[] {"prompt", "weak_correct", "strong_correct"}) {
            if (!node.has(field)) {
                throw new IOException(name + " line " + number + ": no '" + field + "'");
            }
        }
        if (!node.get("weak_correct").isBoolean() || !node.get("strong_correct").isBoolean()) {
            throw new IOException(name + " line " + number
                    + ": weak_correct and strong_correct must be true or false");
        }
        return new Example(node.path("id").asText(""), node.path("source").asText(""),
                node.get("prompt").asText(), node.get("weak_correct").asBoolean(),
                node.get("strong_correct").asBoolean());
    }
}
