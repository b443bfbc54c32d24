package lodestar.learning.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Deploys a LoRA adapter to Ollama: each adapter file is uploaded as a blob
 * ({@code HEAD /api/blobs/sha256:<digest>}, then {@code POST} when Ollama lacks it), then
 * {@code POST /api/create {"model", "from", "adapters": {file: digest}, "stream": false}}
 * creates the model on top of its base. A GGUF adapter is sent alone; otherwise the
 * {@code *.safetensors} files with {@code adapter_config.json}.
 */
final class OllamaDeployer {

    private final ObjectMapper mapper = new ObjectMapper();
    private final HttpClient client;
    private final Duration timeout;

    OllamaDeployer(final HttpClient client, final Duration timeout) {
        this.client = client;
        this.timeout = timeout;
    }

    /**
     * The files of an adapter folder that Ollama takes.
     *
     * @param dir the folder
     * @return the files, sorted
     * @throws IOException when there is none
     */
    static List<Path> adapterFiles(final Path dir) throws IOException {
        final List<Path> all;
        try (Stream<Path> files = Files.list(dir)) {
            all = files.filter(Files::isRegularFile).sorted().toList();
        }
        final List<Path> gguf = all.stream().filter(p -> p.toString().endsWith(".gguf")).toList();
        if (!gguf.isEmpty()) {
            return List.of(gguf.get(0));
        }
        final List<Path> out = new ArrayList<>();
        for (final Path p : all) {
            final String name = p.getFileName().toString();
            if (name.endsWith(".safetensors") || "adapter_config.json".equals(name)) {
                out.add(p);
            }
        }
        if (out.stream().noneMatch(p -> p.toString().endsWith(".safetensors"))) {
            throw new IOException("no adapter weights (*.safetensors or *.gguf) in " + dir);
        }
        return out;
    }

    /**
     * Deploys.
     *
     * @param baseUrl Ollama's URL
     * @param model the model name to create, e.g. {@code lodestar-coder:v3}
     * @param from the base model as Ollama names it
     * @param adapterDir the adapter folder
     * @return the digests sent, by file name
     * @throws IOException when Ollama refuses or cannot be reached
     * @throws InterruptedException when interrupted
     */
    Map<String, String> deploy(final String baseUrl, final String model, final String from,
            final Path adapterDir) throws IOException, InterruptedException {
        final String base = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1)
                : baseUrl;
        final Map<String, String> adapters = new LinkedHashMap<>();
        for (final Path file : adapterFiles(adapterDir)) {
            final String digest = "sha256:" + DatasetBuilder.sha256(file);
            final URI blob = URI.create(base + "/api/blobs/" + digest);
            final HttpResponse<Void> head = client.send(HttpRequest.newBuilder(blob)
                    .timeout(timeout).method("HEAD", HttpRequest.BodyPublishers.noBody())
                    .build(), HttpResponse.BodyHandlers.discarding());
            if (head.statusCode() != 200) {
                final HttpResponse<String> upload = client.send(HttpRequest.newBuilder(blob)
                        .timeout(timeout).header("Content-Type", "application/octet-stream")
                        .POST(HttpRequest.BodyPublishers.ofFile(file)).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (upload.statusCode() / 100 != 2) {
                    throw new IOException("Ollama refused blob " + file.getFileName() + ": HTTP "
                            + upload.statusCode() + " " + abbreviate(upload.body()));
                }
            }
            adapters.put(file.getFileName().toString(), digest);
        }
        final ObjectNode body = mapper.createObjectNode();
        body.put("model", model);
        body.put("from", from);
        body.set("adapters", mapper.valueToTree(adapters));
        body.put("stream", false);
        final HttpResponse<String> created = client.send(HttpRequest.newBuilder(
                URI.create(base + "/api/create")).timeout(timeout)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(mapper.writeValueAsString(body)))
                .build(), HttpResponse.BodyHandlers.ofString());
        if (created.statusCode() != 200) {
            throw new IOException("Ollama could not create " + model + ": HTTP "
                    + created.statusCode() + " " + abbreviate(created.body()));
        }
        String status = "";
        for (final String line : created.body().split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            final JsonNode node = mapper.readTree(line);
            if (node.hasNonNull("error")) {
                throw new IOException("Ollama could not create " + model + ": "
                        + node.get("error").asText());
            }
            status = node.path("status").asText(status);
        }
        if (!"success".equals(status)) {
            throw new IOException("Ollama did not confirm " + model + " (last status '" + status
                    + "')");
        }
        return adapters;
    }

    private static String abbreviate(final String text) {
        return text == null ? "" : text.length() > 300 ? text.substring(0, 300) + "..." : text;
    }
}
