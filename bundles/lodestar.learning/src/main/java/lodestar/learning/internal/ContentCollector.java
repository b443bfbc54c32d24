package lodestar.learning.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import lodestar.api.event.ContentListener;
import lodestar.api.event.ExchangeContent;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the content of successful exchanges for training. It exists only while the operator
 * opted in ({@code collect=true} in {@code lodestar.learning}): it targets the
 * {@link LearningStore} service carrying that property, so with {@code collect=false} no
 * {@link ContentListener} is registered and the router keeps no content at all.
 *
 * <p>The quality benchmark's own requests (session {@value #BENCHMARK_SESSION_PREFIX}...) are
 * skipped and counted, so that the evaluation set never becomes training data; so are the
 * answers of models matching {@code excludeModels} (by default the registry's own versions,
 * which must not learn from their own answers).
 *
 * <p>Secrets and e-mail addresses are scrubbed before anything is queued. The router's
 * dispatcher thread only scrubs and enqueues; a writer thread stores batches. A full queue drops
 * the exchange and counts it.
 */
@Component(service = {ContentListener.class, ContentCollector.class}, immediate = true,
        configurationPid = "lodestar.learning", configurationPolicy = ConfigurationPolicy.OPTIONAL)
public final class ContentCollector implements ContentListener {

    /**
     * Session id prefix of the quality benchmark's requests ({@link QualityBenchmark} sends
     * {@code x-lodestar-session: lodestar-benchmark-<run>}): they are never kept, or the
     * evaluation set would leak into the next training data.
     */
    static final String BENCHMARK_SESSION_PREFIX = "lodestar-benchmark-";
    private static final Logger LOG = LoggerFactory.getLogger(ContentCollector.class);
    private static final int BATCH = 100;

    private final LearningStore store;
    private final Scrubber scrubber;
    private final int maxStoredChars;
    private final ObjectMapper mapper = new ObjectMapper();
    private final BlockingQueue<LearningStore.Exchange> queue;
    private final Thread writer;
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong stored = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong tooLarge = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong benchmark = new AtomicLong();
    private final AtomicLong excludedModel = new AtomicLong();
    private final Pattern excludeModels;
    private final Map<String, Integer> redactions = new LinkedHashMap<>();
    private volatile boolean running = true;

    /**
     * Starts collecting.
     *
     * @param config the configuration (a change restarts collection, nothing is lost)
     * @param store the learning tables, only while {@code collect=true}
     */
    @Activate
    public ContentCollector(final LearningConfig config,
            @Reference(name = "store", target = "(collect=true)") final LearningStore store) {
        this.store = store;
        this.scrubber = new Scrubber(config.scrubPatterns());
        this.maxStoredChars = config.maxStoredChars();
        this.excludeModels = config.excludeModels() == null || config.excludeModels().isBlank()
                ? null : Pattern.compile(config.excludeModels().trim());
        this.queue = new ArrayBlockingQueue<>(Math.max(1, config.queueSize()));
        this.writer = new Thread(this::drain, "lodestar-learning-collector");
        writer.setDaemon(true);
        writer.start();
        LOG.info("Learning collection on: successful exchanges are kept (scrubbed) for training");
    }

    /** Stops: writes what is queued (at most 10 s), then ends the writer. */
    @Deactivate
    void deactivate() {
        running = false;
        try {
            writer.join(Duration.ofSeconds(10).toMillis());
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LOG.info("Learning collection off: {} stored, {} dropped", stored.get(), dropped.get());
    }

    @Override
    public void onContent(final ExchangeContent content) {
        received.incrementAndGet();
        if (content == null || content.requestId() == null || content.request() == null
                || content.answer() == null) {
            failed.incrementAndGet();
            return;
        }
        if (content.sessionId() != null
                && content.sessionId().startsWith(BENCHMARK_SESSION_PREFIX)) {
            benchmark.incrementAndGet();
            return;
        }
        if (excludeModels != null && content.model() != null
                && excludeModels.matcher(content.model()).matches()) {
            excludedModel.incrementAndGet();
            return;
        }
        final Map<String, Integer> counts = new LinkedHashMap<>();
        final JsonNode request = content.request().deepCopy();
        final JsonNode answer = content.answer().deepCopy();
        int total = scrubber.scrubTree(request, counts);
        total += scrubber.scrubTree(answer, counts);
        final String requestJson;
        final String answerJson;
        try {
            requestJson = mapper.writeValueAsString(request);
            answerJson = mapper.writeValueAsString(answer);
        } catch (final JsonProcessingException e) {
            failed.incrementAndGet();
            return;
        }
        if (requestJson.length() + answerJson.length() > maxStoredChars) {
            tooLarge.incrementAndGet();
            return;
        }
        final LearningStore.Exchange exchange = new LearningStore.Exchange(
                LearningStore.truncate(content.requestId(), 128),
                content.timestamp() == null ? store.now() : content.timestamp().toEpochMilli(),
                LearningStore.truncate(content.sessionId(), 256),
                LearningStore.truncate(content.providerId(), 200),
                LearningStore.truncate(content.model(), 300),
                LearningStore.truncate(content.finishReason(), 64), requestJson, answerJson,
                total);
        if (!queue.offer(exchange)) {
            dropped.incrementAndGet();
            return;
        }
        synchronized (redactions) {
            counts.forEach((k, v) -> redactions.merge(k, v, Integer::sum));
        }
    }

    private void drain() {
        final List<LearningStore.Exchange> batch = new ArrayList<>(BATCH);
        while (running || !queue.isEmpty()) {
            try {
                final LearningStore.Exchange first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, BATCH - 1);
                store.insert(batch);
                stored.addAndGet(batch.size());
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (final SQLException | RuntimeException e) {
                failed.addAndGet(batch.size());
                LOG.warn("Could not store {} exchange(s) for learning: {}", batch.size(),
                        e.getMessage());
            } finally {
                batch.clear();
            }
        }
    }

    /** @return counters for {@code lodestar:learning} and {@code /api/learning/stats} */
    Map<String, Object> stats() {
        final Map<String, Object> out = new LinkedHashMap<>();
        out.put("received", received.get());
        out.put("stored", stored.get());
        out.put("queued", queue.size());
        out.put("dropped", dropped.get());
        out.put("tooLarge", tooLarge.get());
        out.put("failed", failed.get());
        out.put("benchmark", benchmark.get());
        out.put("excludedModel", excludedModel.get());
        synchronized (redactions) {
            out.put("redactions", new LinkedHashMap<>(redactions));
        }
        return out;
    }
}
