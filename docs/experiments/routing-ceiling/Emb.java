import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** Embeds every prompt of a data file (one vector a line) and prints the time per prompt. */
public final class Emb {

    private Emb() {
    }

    /**
     * Runs.
     *
     * @param args the data file and the output file
     * @throws Exception when a file cannot be read or written
     */
    public static void main(final String[] args) throws Exception {
        final AllMiniLmL6V2QuantizedEmbeddingModel model =
                new AllMiniLmL6V2QuantizedEmbeddingModel();
        final ObjectMapper json = new ObjectMapper();
        final List<String> lines = Files.readAllLines(Path.of(args[0]));
        final long[] nanos = new long[lines.size()];
        try (PrintWriter out = new PrintWriter(args[1])) {
            for (int i = 0; i < lines.size(); i++) {
                final String prompt = json.readTree(lines.get(i)).get("prompt").asText();
                final long start = System.nanoTime();
                final float[] vector = model.embed(prompt).content().vector();
                nanos[i] = System.nanoTime() - start;
                final StringBuilder row = new StringBuilder();
                for (final float x : vector) {
                    row.append(row.length() == 0 ? "" : " ").append(x);
                }
                out.println(row);
            }
        }
        Arrays.sort(nanos);
        System.out.println("p50 ms " + nanos[nanos.length / 2] / 1e6 + " p99 ms "
                + nanos[nanos.length * 99 / 100] / 1e6);
    }
}
