package lodestar.cache.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import lodestar.api.cache.ResponseCache;
import lodestar.api.chat.ChatRequest;
import lodestar.api.chat.ChatResponse;
import lodestar.api.provider.ModelInfo;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.Designate;

/**
 * In-memory, exact-match response cache: the key is a SHA-256 over the routed model's qualified
 * name and the canonical request with sorted keys, minus what does not change the answer
 * ({@code model} as the client named it, {@code stream}, {@code stream_options}, {@code user},
 * {@code metadata}); entries expire after {@code ttlSeconds} and are evicted least recently used
 * beyond {@code maxEntries} or {@code maxBytes}. Thread-safe; each call takes microseconds.
 */
@Component(service = {ResponseCache.class, ExactCache.class}, configurationPid = "lodestar.cache",
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = CacheConfig.class)
public final class ExactCache implements ResponseCache {

    private static final String[] IGNORED = {"model", "stream", "stream_options", "user",
        "metadata"};

    private final ObjectMapper mapper = new ObjectMapper()
            .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);
    private final ObjectMapper sorted = new ObjectMapper();
    private final Clock clock;
    private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>(256, 0.75f, true);
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();
    private final AtomicLong stores = new AtomicLong();
    private final AtomicLong evictions = new AtomicLong();
    private volatile CacheConfig config;
    private long bytes;

    /** One cached answer. */
    private record Entry(ChatResponse answer, long size, Instant expires) {
    }

    /**
     * Activates.
     *
     * @param config the configuration
     */
    @Activate
    public ExactCache(final CacheConfig config) {
        this(config, Clock.systemUTC());
    }

    ExactCache(final CacheConfig config, final Clock clock) {
        this.config = config;
        this.clock = clock;
    }

    /**
     * Takes a new configuration; shrinking bounds evicts at once, disabling empties the cache.
     *
     * @param next the configuration
     */
    @Modified
    void modified(final CacheConfig next) {
        this.config = next;
        synchronized (entries) {
            if (!next.enabled()) {
                entries.clear();
                bytes = 0;
            }
            trim(next);
        }
    }

    /**
     * The cache key of a request on a model.
     *
     * @param model the routed model
     * @param request the request
     * @return hex SHA-256
     */
    String key(final ModelInfo model, final ChatRequest request) {
        final ObjectNode tree = mapper.valueToTree(request);
        for (final String field : IGNORED) {
            tree.remove(field);
        }
        try {
            final Object canonical = mapper.treeToValue(tree, Object.class);
            final byte[] text = mapper.writeValueAsBytes(canonical);
            final MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(model.qualifiedName().getBytes(StandardCharsets.UTF_8));
            digest.update((byte) 0);
            digest.update(text);
            return HexFormat.of().formatHex(digest.digest());
        } catch (final JsonProcessingException | NoSuchAlgorithmException e) {
            throw new IllegalStateException("cannot key the request", e);
        }
    }

    @Override
    public Optional<ChatResponse> get(final ModelInfo model, final ChatRequest request) {
        final CacheConfig current = config;
        if (!current.enabled()) {
            return Optional.empty();
        }
        final String key = key(model, request);
        synchronized (entries) {
            final Entry entry = entries.get(key);
            if (entry == null || !clock.instant().isBefore(entry.expires())) {
                if (entry != null) {
                    remove(key);
                }
                misses.incrementAndGet();
                return Optional.empty();
            }
            hits.incrementAndGet();
            return Optional.of(entry.answer());
        }
    }

    @Override
    public void put(final ModelInfo model, final ChatRequest request, final ChatResponse answer) {
        final CacheConfig current = config;
        if (!current.enabled() || answer == null || answer.choices().isEmpty()) {
            return;
        }
        final long size;
        try {
            size = sorted.writeValueAsBytes(answer).length;
        } catch (final JsonProcessingException e) {
            return;
        }
        if (size > current.maxEntryBytes()) {
            return;
        }
        final String key = key(model, request);
        synchronized (entries) {
            remove(key);
            entries.put(key, new Entry(answer, size, clock.instant().plus(Duration.ofSeconds(
                    Math.max(1, current.ttlSeconds())))));
            bytes += size;
            stores.incrementAndGet();
            trim(current);
        }
    }

    private void remove(final String key) {
        final Entry old = entries.remove(key);
        if (old != null) {
            bytes -= old.size();
        }
    }

    private void trim(final CacheConfig current) {
        final Instant now = clock.instant();
        final Iterator<Map.Entry<String, Entry>> it = entries.entrySet().iterator();
        while (it.hasNext() && (entries.size() > Math.max(0, current.maxEntries())
                || bytes > current.maxBytes())) {
            final Map.Entry<String, Entry> eldest = it.next();
            bytes -= eldest.getValue().size();
            it.remove();
            evictions.incrementAndGet();
        }
        entries.values().removeIf(e -> {
            if (!now.isBefore(e.expires())) {
                bytes -= e.size();
                return true;
            }
            return false;
        });
    }

    /** @return figures for lodestar:cache */
    Map<String, Long> stats() {
        synchronized (entries) {
            final Map<String, Long> out = new LinkedHashMap<>();
            out.put("entries", (long) entries.size());
            out.put("bytes", bytes);
            out.put("hits", hits.get());
            out.put("misses", misses.get());
            out.put("stores", stores.get());
            out.put("evictions", evictions.get());
            return out;
        }
    }

    /** Empties the cache. */
    void clear() {
        synchronized (entries) {
            entries.clear();
            bytes = 0;
        }
    }
}
