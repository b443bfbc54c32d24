package lodestar.routing.auto.internal;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

/**
 * A trained router: the feature configuration, the logistic regression's weights, the threshold
 * recommended by cross-validation and the training metadata. Immutable and thread-safe.
 *
 * <p>The artifact is one JSON object (format {@value #FORMAT}, version {@value #VERSION}):
 * <pre>
 * {"format": "lodestar-router-model", "formatVersion": 2, "label": "gain",
 *  "features": {"bits": 18, "bigrams": false, ...},
 *  "recommendedThreshold": 0.79,
 *  "training": {"file": "dev.jsonl", "sha256": "...", "n": 7725, "date": "...", "cv": {...}},
 *  "weights": {"count": 52311, "encoding": "sparse-bf16",
 *              "indices": "base64 int32 LE", "values": "base64 bfloat16 LE"},
 *  "hurtWeights": {...}}
 * </pre>
 * {@code hurtWeights} is there for the label {@code gain} only. Weights are kept as bfloat16
 * (the top half of a float32), sparse ({@code sparse-bf16}: indices and values of the non-zero
 * weights) or, when more than a third of the slots are used, dense ({@code dense-bf16}: one
 * value per slot, no indices). The model rounds its weights to bfloat16 when it is built, so it
 * predicts the same before and after a save.
 * The file grows with the vocabulary seen in training and never beyond {@code 2^bits} values a
 * weight vector.
 */
final class RouterModel {

    /** The artifact's format name. */
    static final String FORMAT = "lodestar-router-model";
    /** The artifact format version this code writes and reads. */
    static final int VERSION = 2;
    /** Weight encoding: one bfloat16 per slot of the feature space. */
    static final String DENSE = "dense-bf16";
    /** Weight encoding: int32 indices of the non-zero weights and their bfloat16 values. */
    static final String SPARSE = "sparse-bf16";
    /** The model shipped in the bundle. */
    static final String DEFAULT_RESOURCE = "default-router-model.json";

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET)
            .disable(JsonParser.Feature.AUTO_CLOSE_SOURCE);

    private final Label label;
    private final Features features;
    private final float[] weights;
    private final float[] hurtWeights;
    private final double recommendedThreshold;
    private final ObjectNode training;
    private final String id;

    /**
     * A prediction for one prompt.
     *
     * @param localOk the probability that the cheap tier answers well
     * @param extracted the features and their summary
     */
    record Prediction(double localOk, Features.Extracted extracted) {
    }

    /**
     * Creates a model.
     *
     * @param label what the weights predict
     * @param config the feature configuration
     * @param weights dense weights of the first model, {@code 2^bits} of them
     * @param hurtWeights dense weights of the "hurt" model for {@link Label#GAIN}, else
     *     {@code null}
     * @param recommendedThreshold the p(local ok) threshold recommended by training
     * @param training training metadata, may be {@code null}
     */
    RouterModel(final Label label, final FeatureConfig config, final float[] weights,
            final float[] hurtWeights, final double recommendedThreshold,
            final ObjectNode training) {
        if (weights.length != config.dimension()
                || hurtWeights != null && hurtWeights.length != config.dimension()) {
            throw new IllegalArgumentException("weights do not match the feature space of "
                    + config.dimension());
        }
        if (label.twoModels() != (hurtWeights != null)) {
            throw new IllegalArgumentException("label " + label.id() + (label.twoModels()
                    ? " needs" : " takes no") + " second weight vector");
        }
        this.label = label;
        this.features = new Features(config);
        this.weights = rounded(weights);
        this.hurtWeights = rounded(hurtWeights);
        this.recommendedThreshold = recommendedThreshold;
        this.training = training == null ? JSON.createObjectNode() : training.deepCopy();
        this.id = digest(this.weights, this.hurtWeights, label, recommendedThreshold);
    }

    /** @return what the weights predict */
    Label label() {
        return label;
    }

    /** @return the feature configuration */
    FeatureConfig featureConfig() {
        return features.config();
    }

    /** @return the threshold recommended by cross-validation */
    double recommendedThreshold() {
        return recommendedThreshold;
    }

    /** @return a copy of the training metadata */
    ObjectNode training() {
        return training.deepCopy();
    }

    /** @return a short identifier of the weights (first 12 hex digits of their SHA-256) */
    String id() {
        return id;
    }

    /** @return the number of non-zero weights, of both models */
    int nonZeroWeights() {
        return nonZero(weights).size() + (hurtWeights == null ? 0 : nonZero(hurtWeights).size());
    }

    /**
     * Predicts for a prompt.
     *
     * @param view the prompt
     * @return p(local ok) and the features
     */
    Prediction predict(final PromptView view) {
        final Features.Extracted extracted = features.extract(view);
        return new Prediction(localOk(extracted.vector()), extracted);
    }

    /**
     * The escalation score: how much the strong tier is predicted to win over the cheap one.
     *
     * @param vector features made with this model's configuration
     * @return the gain, in [-1, 1]; higher means more in need of the strong tier
     */
    double gain(final SparseVector vector) {
        final double first = LogisticRegression.sigmoid(vector.dot(weights));
        final double second = hurtWeights == null ? 0
                : LogisticRegression.sigmoid(vector.dot(hurtWeights));
        return label.gain(first, second);
    }

    /**
     * The predicted quality of the cheap tier relative to the strong one: 1 - the gain, within
     * [0, 1]. For {@link Label#NEED} this is the probability that the cheap tier is not worse;
     * for {@link Label#WEAK} the probability that it is right.
     *
     * @param vector features made with this model's configuration
     * @return p(local ok)
     */
    double localOk(final SparseVector vector) {
        return localOkOf(gain(vector));
    }

    /**
     * p(local ok) from a gain.
     *
     * @param gain the gain
     * @return 1 - gain, within [0, 1]
     */
    static double localOkOf(final double gain) {
        return Math.max(0, Math.min(1, 1 - gain));
    }

    /** @return the first model's weights (not a copy: do not change) */
    float[] weights() {
        return weights;
    }

    /** @return the "hurt" model's weights, or {@code null} (not a copy: do not change) */
    float[] hurtWeights() {
        return hurtWeights;
    }

    /**
     * The features of a prompt with this model's configuration.
     *
     * @return the extractor
     */
    Features features() {
        return features;
    }

    /**
     * Writes the artifact.
     *
     * @param out the stream, not closed
     * @throws IOException if writing fails
     */
    void write(final OutputStream out) throws IOException {
        final ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        root.put("formatVersion", VERSION);
        root.put("id", id);
        root.put("label", label.id());
        final FeatureConfig config = features.config();
        final ObjectNode feature = root.putObject("features");
        feature.put("bits", config.bits());
        feature.put("bigrams", config.bigrams());
        feature.put("bigramWeight", config.bigramWeight());
        feature.put("charNgrams", config.charNgrams());
        feature.put("charWeight", config.charWeight());
        feature.put("kindConjunction", config.kindConjunction());
        feature.put("maxChars", config.maxChars());
        feature.put("trigramWeight", config.trigramWeight());
        feature.put("shape", config.shape());
        feature.put("textNorm", config.textNorm());
        final ArrayNode markers = feature.putArray("markers");
        config.markers().forEach(markers::add);
        root.put("recommendedThreshold", recommendedThreshold);
        root.set("training", training.deepCopy());
        putWeights(root.putObject("weights"), weights);
        if (hurtWeights != null) {
            putWeights(root.putObject("hurtWeights"), hurtWeights);
        }
        JSON.writeValue(out, root);
    }

    private static List<Integer> nonZero(final float[] weights) {
        final List<Integer> nonZero = new ArrayList<>();
        for (int i = 0; i < weights.length; i++) {
            if (weights[i] != 0) {
                nonZero.add(i);
            }
        }
        return nonZero;
    }

    private static void putWeights(final ObjectNode stored, final float[] weights) {
        final List<Integer> nonZero = nonZero(weights);
        stored.put("count", nonZero.size());
        if (nonZero.size() * 3 >= weights.length) {
            // dense: 2 bytes a slot beat 6 bytes a non-zero weight
            final ByteBuffer values = ByteBuffer.allocate(weights.length * 2)
                    .order(ByteOrder.LITTLE_ENDIAN);
            for (final float weight : weights) {
                values.putShort((short) (Float.floatToRawIntBits(weight) >>> 16));
            }
            stored.put("encoding", DENSE);
            stored.put("values", Base64.getEncoder().encodeToString(values.array()));
            return;
        }
        final ByteBuffer indices = ByteBuffer.allocate(nonZero.size() * 4)
                .order(ByteOrder.LITTLE_ENDIAN);
        final ByteBuffer values = ByteBuffer.allocate(nonZero.size() * 2)
                .order(ByteOrder.LITTLE_ENDIAN);
        for (final int index : nonZero) {
            indices.putInt(index);
            values.putShort((short) (Float.floatToRawIntBits(weights[index]) >>> 16));
        }
        stored.put("encoding", SPARSE);
        stored.put("indices", Base64.getEncoder().encodeToString(indices.array()));
        stored.put("values", Base64.getEncoder().encodeToString(values.array()));
    }

    private static float[] readWeights(final JsonNode stored, final String key,
            final int dimension, final String name) throws IOException {
        if (!stored.isObject()) {
            throw new IOException(name + ": no '" + key + "'");
        }
        final String encoding = stored.path("encoding").asText();
        final int count = stored.path("count").asInt(-1);
        final byte[] indexBytes;
        final byte[] valueBytes;
        try {
            indexBytes = SPARSE.equals(encoding)
                    ? Base64.getDecoder().decode(stored.path("indices").asText()) : new byte[0];
            valueBytes = Base64.getDecoder().decode(stored.path("values").asText());
        } catch (final IllegalArgumentException e) {
            throw new IOException(name + ": " + key + " is not valid base64", e);
        }
        final float[] weights = new float[dimension];
        final ByteBuffer values = ByteBuffer.wrap(valueBytes).order(ByteOrder.LITTLE_ENDIAN);
        if (DENSE.equals(encoding)) {
            if (valueBytes.length != dimension * 2) {
                throw new IOException(name + ": " + key + " has " + valueBytes.length / 2
                        + " values for a space of " + dimension);
            }
            for (int i = 0; i < dimension; i++) {
                weights[i] = fromBf16(values.getShort());
            }
        } else if (SPARSE.equals(encoding)) {
            if (count < 0 || indexBytes.length != count * 4 || valueBytes.length != count * 2) {
                throw new IOException(name + ": " + key + ".count does not match the weights");
            }
            final ByteBuffer indices = ByteBuffer.wrap(indexBytes)
                    .order(ByteOrder.LITTLE_ENDIAN);
            for (int k = 0; k < count; k++) {
                final int index = indices.getInt();
                if (index < 0 || index >= dimension) {
                    throw new IOException(name + ": " + key + " entry " + k
                            + " has index " + index + " outside the space of " + dimension);
                }
                weights[index] = fromBf16(values.getShort());
            }
        } else {
            throw new IOException(name + ": " + key + " has unknown encoding '" + encoding
                    + "' (expected " + DENSE + " or " + SPARSE + ")");
        }
        for (final float weight : weights) {
            if (!Float.isFinite(weight)) {
                throw new IOException(name + ": " + key + " holds a value that is not finite");
            }
        }
        return weights;
    }

    private static float fromBf16(final short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    /**
     * Rounds to the nearest bfloat16 (8 bits of mantissa), the precision weights are stored
     * with, so that a model behaves the same before and after a save.
     *
     * @param value the value
     * @return the rounded value
     */
    static float bf16(final float value) {
        if (!Float.isFinite(value)) {
            return value;
        }
        final int bits = Float.floatToRawIntBits(value);
        final int rounded = bits + 0x7fff + ((bits >>> 16) & 1);
        return Float.intBitsToFloat(rounded & 0xffff0000);
    }

    private static float[] rounded(final float[] weights) {
        if (weights == null) {
            return null;
        }
        final float[] out = new float[weights.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = bf16(weights[i]);
        }
        return out;
    }

    /**
     * Writes the artifact to a file, through a temporary file renamed into place; the file is
     * readable by everyone (a model holds no secret).
     *
     * @param file the target
     * @throws IOException if writing fails
     */
    void write(final Path file) throws IOException {
        final Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        final Path temporary = Files.createTempFile(parent, ".router-model", ".tmp");
        try {
            try (OutputStream out = Files.newOutputStream(temporary)) {
                write(out);
            }
            if (Files.getFileStore(temporary).supportsFileAttributeView("posix")) {
                Files.setPosixFilePermissions(temporary,
                        PosixFilePermissions.fromString("rw-r--r--"));
            }
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    /**
     * Reads an artifact.
     *
     * @param in the stream, not closed
     * @param name the source's name for messages
     * @return the model
     * @throws IOException if it cannot be read or is not a valid artifact
     */
    static RouterModel read(final InputStream in, final String name) throws IOException {
        final JsonNode root;
        try {
            root = JSON.readTree(in);
        } catch (final IOException e) {
            throw new IOException(name + " is not a router model (not JSON: "
                    + e.getMessage() + ")", e);
        }
        if (root == null || !FORMAT.equals(root.path("format").asText())) {
            throw new IOException(name + " is not a router model (format is not '" + FORMAT
                    + "')");
        }
        final int version = root.path("formatVersion").asInt(-1);
        if (version != VERSION && version != 1) {
            throw new IOException(name + " has router model format version " + version
                    + "; this Lodestar reads versions 1 and " + VERSION);
        }
        try {
            final JsonNode f = root.path("features");
            final List<String> markers = new ArrayList<>();
            f.path("markers").forEach(m -> markers.add(m.asText()));
            final FeatureConfig config = new FeatureConfig(f.path("bits").asInt(),
                    f.path("bigrams").asBoolean(), f.path("bigramWeight").asDouble(),
                    f.path("charNgrams").asInt(), f.path("charWeight").asDouble(),
                    f.path("kindConjunction").asBoolean(), f.path("maxChars").asInt(),
                    markers, f.path("trigramWeight").asDouble(0), f.path("shape").asBoolean(false),
                    f.path("textNorm").asDouble(0));
            final Label label = Label.parse(root.path("label").asText());
            final float[] weights = readWeights(root.path("weights"), "weights",
                    config.dimension(), name);
            final float[] hurtWeights = label.twoModels() ? readWeights(
                    root.path("hurtWeights"), "hurtWeights", config.dimension(), name) : null;
            final double threshold = root.path("recommendedThreshold").asDouble(Double.NaN);
            if (!(threshold >= 0 && threshold <= 1)) {
                throw new IOException(name + ": recommendedThreshold must be in [0, 1]");
            }
            final JsonNode training = root.path("training");
            return new RouterModel(label, config, weights, hurtWeights, threshold,
                    training.isObject() ? (ObjectNode) training : null);
        } catch (final IllegalArgumentException e) {
            throw new IOException(name + " is not a valid router model: " + e.getMessage(), e);
        }
    }

    /**
     * Reads an artifact file.
     *
     * @param file the file
     * @return the model
     * @throws IOException if it cannot be read or is not a valid artifact
     */
    static RouterModel read(final Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString());
        }
    }

    /**
     * The model shipped in the bundle.
     *
     * @return the model
     * @throws IOException if the resource is missing or invalid
     */
    static RouterModel shipped() throws IOException {
        try (InputStream in = RouterModel.class.getResourceAsStream(DEFAULT_RESOURCE)) {
            if (in == null) {
                throw new IOException("the shipped router model " + DEFAULT_RESOURCE
                        + " is missing from the bundle");
            }
            return read(in, DEFAULT_RESOURCE);
        }
    }

    private static String digest(final float[] weights, final float[] hurtWeights,
            final Label label, final double threshold) {
        try {
            final MessageDigest sha = MessageDigest.getInstance("SHA-256");
            final int floats = weights.length + (hurtWeights == null ? 0 : hurtWeights.length);
            final ByteBuffer buffer = ByteBuffer.allocate(floats * 4 + 9);
            for (final float weight : weights) {
                buffer.putFloat(weight);
            }
            if (hurtWeights != null) {
                for (final float weight : hurtWeights) {
                    buffer.putFloat(weight);
                }
            }
            buffer.put((byte) label.ordinal()).putDouble(threshold);
            return HexFormat.of().formatHex(sha.digest(buffer.array())).substring(0, 12);
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
