package lodestar.learning.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The quality benchmark: runs the configured evaluation set ({@link EvalSet}) through the
 * router ({@code POST {routerUrl}/chat/completions}, OpenAI wire format, temperature 0) against
 * a model version and, on the same set, the live version of the same name; judges every answer
 * ({@link Checks}) and stores, per version, the score, per-check results, the set's SHA-256,
 * when and how long ({@link BenchmarkStore}). {@link BenchmarkGate} uses the results to refuse
 * approving a candidate that scores below the live version.
 *
 * <p>Runs are queued and executed one at a time on a worker thread (prompts of a run in
 * parallel, {@code concurrency}), never on the caller's thread; deactivation stops them and
 * records them as failed. A candidate that was not deployed yet is first deployed to Ollama
 * under the name approval would give it ({@code deployCandidates}), so that the router can
 * reach it; it stays a candidate.
 */
@Component(service = QualityBenchmark.class, configurationPid = "lodestar.learning.benchmark",
        configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = BenchmarkConfig.class)
public final class QualityBenchmark {

    /** Role of the version asked for. */
    static final String TARGET = "target";
    /** Role of the live version compared with it. */
    static final String LIVE = "live";

    private static final Logger LOG = LoggerFactory.getLogger(QualityBenchmark.class);
    private static final Pattern ENV = Pattern.compile("[$][{\\[]env:([A-Za-z0-9_]+)[}\\]]");
    private static final DateTimeFormatter RUN_TIME = DateTimeFormatter.ofPattern(
            "yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);
    private static final int MAX_DETAIL = 500;

    /**
     * A queued run.
     *
     * @param runId its id
     * @param name the registry name
     * @param version the version asked for
     * @param model the model id sent for it
     * @param liveVersion the live version compared with it, or {@code null}
     * @param liveModel the live version's model id, or {@code null}
     * @param setPath the evaluation set
     * @param done completes when the run has ended
     */
    record Started(String runId, String name, int version, String model, Integer liveVersion,
            String liveModel, String setPath, Future<?> done) {
    }

    /**
     * One judged prompt.
     *
     * @param id the prompt's id
     * @param type the check type
     * @param passed whether it passed
     * @param error whether the request itself failed
     * @param detail why
     * @param millis request and check time
     */
    record ItemResult(String id, String type, boolean passed, boolean error, String detail,
            long millis) {
    }

    private final ObjectMapper json = new ObjectMapper();
    private final BenchmarkConfig config;
    private final LearningStore store;
    private final ModelRegistry registry;
    private final BenchmarkStore results;
    private final HttpClient client;
    private final OllamaDeployer deployer;
    private final Function<String, String> env;
    private final Checks checks;
    private final ExecutorService runner;
    private final ExecutorService pool;
    private final long activatedMs;

    /**
     * Activates (nothing blocks: runs interrupted by a stop are failed on the worker thread).
     *
     * @param config the configuration
     * @param store the learning tables
     * @param registry the model registry
     */
    @Activate
    public QualityBenchmark(final BenchmarkConfig config, @Reference final LearningStore store,
            @Reference final ModelRegistry registry) {
        this(config, store, registry, HttpClient.newBuilder().connectTimeout(
                Duration.ofSeconds(10)).build(), new OllamaDeployer(HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(10)).build(), Duration.ofMinutes(10)),
                System::getenv);
    }

    QualityBenchmark(final BenchmarkConfig config, final LearningStore store,
            final ModelRegistry registry, final HttpClient client, final OllamaDeployer deployer,
            final Function<String, String> env) {
        this.config = config;
        this.store = store;
        this.registry = registry;
        this.results = new BenchmarkStore(store);
        this.client = client;
        this.deployer = deployer;
        this.env = env;
        this.checks = new Checks(Checks.commands(config.testCommands()), Duration.ofSeconds(
                Math.max(1, config.testTimeoutSeconds())), Math.max(100,
                config.maxOutputChars()), config.testNetwork());
        this.activatedMs = store.now();
        this.runner = Executors.newSingleThreadExecutor(r -> daemon(r, "lodestar-benchmark"));
        final AtomicInteger n = new AtomicInteger();
        this.pool = Executors.newFixedThreadPool(Math.max(1, Math.min(8, config.concurrency())),
                r -> daemon(r, "lodestar-benchmark-" + n.incrementAndGet()));
        runner.execute(() -> {
            try {
                final int failed = results.failInterrupted(activatedMs);
                if (failed > 0) {
                    LOG.info("Benchmark: {} interrupted result(s) marked failed", failed);
                }
            } catch (final SQLException e) {
                LOG.warn("Benchmark: cannot fail interrupted runs: {}", e.getMessage());
            }
        });
    }

    private static Thread daemon(final Runnable r, final String name) {
        final Thread thread = new Thread(r, name);
        thread.setDaemon(true);
        return thread;
    }

    /** Stops the worker: a running benchmark is interrupted (test programs killed). */
    @Deactivate
    void deactivate() {
        runner.shutdownNow();
        pool.shutdownNow();
        try {
            if (!runner.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.warn("Benchmark: the worker did not stop within 10 s");
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** @return the configured evaluation set, empty when none */
    String evaluationSet() {
        return config.evaluationSet().trim();
    }

    /**
     * Queues a benchmark of a version (and of the live version of its name, when that is
     * another one).
     *
     * @param name the registry name
     * @param version the version
     * @param actor who asks
     * @return the queued run
     * @throws SQLException on a database error
     * @throws IllegalStateException when no evaluation set is configured
     * @throws NoSuchElementException when there is no such version
     */
    Started start(final String name, final int version, final String actor)
            throws SQLException {
        final String set = evaluationSet();
        if (set.isEmpty()) {
            throw new IllegalStateException("no evaluation set configured (evaluationSet of "
                    + "lodestar.learning.benchmark)");
        }
        final ModelRegistry.Version target = registry.get(name, version).orElseThrow(
                () -> new NoSuchElementException("no model " + name + " v" + version));
        final ModelRegistry.Version live = registry.live(name).filter(l -> l.version()
                != version).orElse(null);
        final String runId = "bench-" + RUN_TIME.format(Instant.ofEpochMilli(store.now()))
                + "-" + String.format(Locale.ROOT, "%06x", ThreadLocalRandom.current()
                .nextInt(0x1000000));
        final String targetModel = model(target);
        final String liveModel = live == null ? null : model(live);
        results.queue(runId, name, version, TARGET, targetModel, set, actor);
        if (live != null) {
            results.queue(runId, name, live.version(), LIVE, liveModel, set, actor);
        }
        final Future<?> done = runner.submit(() -> execute(runId, target, targetModel, live,
                liveModel, actor));
        LOG.info("Benchmark {} queued: {} v{} ({}){} by {}", runId, name, version, targetModel,
                live == null ? "" : " against live v" + live.version(), actor);
        return new Started(runId, name, version, targetModel, live == null ? null
                : live.version(), liveModel, set, done);
    }

    /**
     * The model id sent to the router for a version.
     *
     * @param v the version
     * @return {@code modelTemplate} with {@code {model}} = its Ollama name (or its fine-tuned
     *     model id when it has no Ollama name and its metrics name one)
     */
    String model(final ModelRegistry.Version v) {
        String base = v.deployedAs();
        if (base == null && (v.adapterDir() == null || v.ollamaFrom() == null)) {
            base = fineTuned(v.metrics());
        }
        if (base == null) {
            base = ModelRegistry.ollamaName(v.name(), v.version());
        }
        return config.modelTemplate().isBlank() ? base : config.modelTemplate().trim()
                .replace("{model}", base);
    }

    private String fineTuned(final String metrics) {
        try {
            final JsonNode node = metrics == null ? null : json.readTree(metrics);
            return node != null && node.path("fine_tuned_model").isTextual()
                    && !node.get("fine_tuned_model").asText().isBlank()
                    ? node.get("fine_tuned_model").asText() : null;
        } catch (final IOException e) {
            return null;
        }
    }

    private void execute(final String runId, final ModelRegistry.Version target,
            final String targetModel, final ModelRegistry.Version live, final String liveModel,
            final String actor) {
        final List<Integer> pending = new ArrayList<>(List.of(target.version()));
        if (live != null) {
            pending.add(live.version());
        }
        try {
            final EvalSet set;
            try {
                set = EvalSet.load(Path.of(evaluationSet()));
            } catch (final IOException | RuntimeException e) {
                failAll(runId, pending, "cannot read the evaluation set: " + e.getMessage());
                return;
            }
            final String deployFailure = deployIfNeeded(target, targetModel, actor);
            if (deployFailure != null) {
                failAll(runId, pending, deployFailure);
                return;
            }
            final String mine = evaluate(runId, target, targetModel, set);
            pending.remove(Integer.valueOf(target.version()));
            String theirs = null;
            if (live != null) {
                theirs = evaluate(runId, live, liveModel, set);
                pending.clear();
            }
            results.event(target.name(), target.version(), "benchmarked", actor, "run " + runId
                    + ": " + mine + (theirs == null ? "" : "; live v" + live.version() + ": "
                    + theirs) + "; set sha256 " + set.sha256().substring(0, 12));
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            failQuietly(runId, pending, "stopped (the benchmark was deactivated)");
        } catch (final SQLException | RuntimeException e) {
            LOG.warn("Benchmark {} failed: {}", runId, e.toString());
            failQuietly(runId, pending, "failed: " + e);
        }
    }

    private String deployIfNeeded(final ModelRegistry.Version v, final String routerModel,
            final String actor) throws SQLException, InterruptedException {
        final String url = store.config().ollamaUrl();
        if (!config.deployCandidates() || v.state() != ModelRegistry.State.CANDIDATE
                || v.deployedAs() != null || v.adapterDir() == null || v.ollamaFrom() == null
                || v.ollamaFrom().isBlank() || url == null || url.isBlank()) {
            return null;
        }
        final String model = ModelRegistry.ollamaName(v.name(), v.version());
        try {
            deployer.deploy(url.trim(), model, v.ollamaFrom(), Path.of(v.adapterDir()));
        } catch (final IOException e) {
            results.event(v.name(), v.version(), "deploy failed", actor, "for the benchmark: "
                    + e.getMessage());
            return "deploying " + model + " to Ollama for the benchmark failed: "
                    + e.getMessage();
        }
        results.event(v.name(), v.version(), "deployed", actor, "as " + model
                + " for the benchmark (still a candidate)");
        return awaitListed(routerModel);
    }

    /**
     * Waits (at most {@code timeoutSeconds}) until the router lists a model it was just given:
     * its Ollama provider finds a newly created model only at its next refresh, and until then
     * the router answers 404 for it, which would score the candidate 0 instead of measuring it.
     *
     * @param model the model id sent to the router
     * @return {@code null} once listed, else why the benchmark cannot run
     */
    private String awaitListed(final String model) throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Math.max(1,
                config.timeoutSeconds()));
        String last;
        while (true) {
            try {
                final HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base()
                        + "/models")).timeout(Duration.ofSeconds(10)).GET();
                final String key = apiKey();
                if (key != null) {
                    request.header("Authorization", "Bearer " + key);
                }
                final HttpResponse<String> response = client.send(request.build(),
                        HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200 && lists(json.readTree(response.body()),
                        model)) {
                    return null;
                }
                last = "GET /models: HTTP " + response.statusCode();
            } catch (final IOException e) {
                last = "GET /models: " + e.getMessage();
            }
            if (System.nanoTime() > deadline) {
                return "the router at " + base() + " does not list " + model + " "
                        + Math.max(1, config.timeoutSeconds()) + " s after it was deployed ("
                        + last + "); let its Ollama provider discover models "
                        + "(discoverModels=true) or list the model in its configuration";
            }
            Thread.sleep(200);
        }
    }

    /**
     * Whether an OpenAI model list names a model, by id or as {@code owned_by/id}.
     *
     * @param list the {@code GET /models} answer
     * @param model the model
     * @return whether it is listed
     */
    static boolean lists(final JsonNode list, final String model) {
        for (final JsonNode m : list.path("data")) {
            final String id = m.path("id").asText("");
            if (model.equals(id) || model.equals(m.path("owned_by").asText("") + "/" + id)) {
                return true;
            }
        }
        return false;
    }

    private void failAll(final String runId, final List<Integer> versions, final String why)
            throws SQLException {
        for (final int v : versions) {
            results.finish(runId, v, BenchmarkStore.FAILED, 0, 0, 0, null, why);
        }
        LOG.warn("Benchmark {} failed: {}", runId, why);
    }

    private void failQuietly(final String runId, final List<Integer> versions,
            final String why) {
        try {
            failAll(runId, versions, why);
        } catch (final SQLException e) {
            LOG.warn("Benchmark {}: cannot record the failure: {}", runId, e.getMessage());
        }
    }

    /**
     * Evaluates one version on the set and stores the outcome.
     *
     * @return a one-line summary
     */
    private String evaluate(final String runId, final ModelRegistry.Version v,
            final String model, final EvalSet set) throws SQLException, InterruptedException {
        results.running(runId, v.version(), set.sha256());
        final List<Future<ItemResult>> futures = new ArrayList<>();
        for (final EvalSet.Item item : set.items()) {
            futures.add(pool.submit(() -> judge(runId, model, item)));
        }
        final List<ItemResult> items = new ArrayList<>();
        try {
            for (final Future<ItemResult> f : futures) {
                try {
                    items.add(f.get());
                } catch (final ExecutionException e) {
                    throw new IllegalStateException(e.getCause());
                }
            }
        } finally {
            futures.forEach(f -> f.cancel(true));
        }
        int passed = 0;
        int errors = 0;
        final Map<String, int[]> byType = new TreeMap<>();
        for (final ItemResult r : items) {
            passed += r.passed() ? 1 : 0;
            errors += r.error() ? 1 : 0;
            final int[] counts = byType.computeIfAbsent(r.type(), t -> new int[2]);
            counts[0] += r.passed() ? 1 : 0;
            counts[1]++;
        }
        final ObjectNode doc = json.createObjectNode();
        final ObjectNode types = doc.putObject("byType");
        byType.forEach((type, c) -> types.putObject(type).put("passed", c[0]).put("total",
                c[1]));
        final ArrayNode list = doc.putArray("items");
        for (final ItemResult r : items) {
            list.add(json.valueToTree(r));
        }
        final int total = items.size();
        final boolean failed = total > 0 && errors == total;
        final String message = failed ? "every request failed, e.g. " + items.get(0).detail()
                : errors > 0 ? errors + " request(s) failed (counted as not passed)" : null;
        results.finish(runId, v.version(), failed ? BenchmarkStore.FAILED : BenchmarkStore.DONE,
                passed, total, errors, doc.toString(), message);
        final String summary = failed ? "failed (" + message + ")" : passed + "/" + total
                + (errors > 0 ? " (" + errors + " error(s))" : "");
        LOG.info("Benchmark {}: {} v{} ({}) {}", runId, v.name(), v.version(), model, summary);
        return summary;
    }

    private ItemResult judge(final String runId, final String model, final EvalSet.Item item)
            throws InterruptedException {
        final long start = System.nanoTime();
        final String type = item.check().type();
        final String answer;
        try {
            answer = ask(runId, model, item);
        } catch (final IOException e) {
            return new ItemResult(item.id(), type, false, true, cut(e.getMessage() == null
                    ? e.toString() : e.getMessage()), millis(start));
        }
        final Checks.Verdict verdict = checks.judge(item.check(), answer);
        return new ItemResult(item.id(), type, verdict.passed(), false, cut(verdict.detail()),
                millis(start));
    }

    private String ask(final String runId, final String model, final EvalSet.Item item)
            throws IOException, InterruptedException {
        final ObjectNode body = json.createObjectNode();
        body.put("model", model);
        body.set("messages", item.messages());
        body.put("max_tokens", Math.max(1, config.maxTokens()));
        body.put("temperature", 0);
        body.put("stream", false);
        final HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base()
                + "/chat/completions")).timeout(Duration.ofSeconds(Math.max(1,
                config.timeoutSeconds()))).header("Content-Type", "application/json")
                .header("x-lodestar-session", "lodestar-benchmark-" + runId)
                .POST(HttpRequest.BodyPublishers.ofString(json.writeValueAsString(body)));
        final String key = apiKey();
        if (key != null) {
            request.header("Authorization", "Bearer " + key);
        }
        final HttpResponse<String> response;
        try {
            response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (final HttpTimeoutException e) {
            throw new IOException("timed out after " + config.timeoutSeconds() + " s", e);
        }
        JsonNode node;
        try {
            node = json.readTree(response.body());
        } catch (final IOException e) {
            node = null;
        }
        if (response.statusCode() != 200) {
            final String why = node != null && node.path("error").path("message").isTextual()
                    ? node.path("error").path("message").asText() : response.body();
            throw new IOException("HTTP " + response.statusCode() + ": " + why);
        }
        if (node == null) {
            throw new IOException("the answer is not JSON");
        }
        final JsonNode content = node.path("choices").path(0).path("message").path("content");
        return content.isTextual() ? content.asText() : "";
    }

    private String base() {
        String url = config.routerUrl().trim();
        while (url.endsWith("/")) {
            url = url.substring(0, url.length() - 1);
        }
        return url;
    }

    /**
     * The key sent to the router.
     *
     * @return the key, {@code null} for none
     */
    String apiKey() {
        final String raw = config._apiKey() == null ? "" : config._apiKey().trim();
        final Matcher reference = ENV.matcher(raw);
        final String key = reference.matches() ? env.apply(reference.group(1)) : raw;
        return key == null || key.isBlank() ? null : key.trim();
    }

    private static long millis(final long start) {
        return (System.nanoTime() - start) / 1_000_000;
    }

    private static String cut(final String text) {
        return text == null || text.length() <= MAX_DETAIL ? text
                : text.substring(0, MAX_DETAIL) + "...";
    }
}
