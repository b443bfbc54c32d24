package lodestar.learning.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import java.util.function.LongSupplier;
import lodestar.api.chat.ChatMessage;
import lodestar.api.event.RequestEvent;
import lodestar.api.event.RequestListener;
import lodestar.api.provider.ModelInfo;
import lodestar.api.routing.RouteDecision;
import lodestar.api.routing.RoutingContext;
import lodestar.api.routing.RoutingStrategy;
import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code ab} routing strategy: an A/B experiment between the live version of a registry
 * model and its newest approved candidate. A virtual model using it names the registry model
 * ({@code registry=coder}), or the two arms directly ({@code live=...}, {@code candidate=...},
 * as {@code providerId/model} or bare ids), the candidate's share
 * ({@code candidatePercent}, default 10) and optional {@code fallback} models. Assignment is
 * sticky: SHA-256 of the session id ({@code x-lodestar-session} or
 * {@code x-claude-code-session-id}; without one, of the first user message) modulo 100. The
 * other arm and the fallbacks follow as fail-over. It is also a {@link RequestListener}: per
 * arm it counts requests, errors, escalations (served by another model than the arm's, or
 * retried), latency and cost, and the explicit feedback its answers get later
 * ({@code POST /api/feedback}, {@code lodestar:feedback}, reaching it through
 * {@link LearningStore.RatingListener}: mean rating and share rated above 0), reported with 95%
 * confidence intervals, and the difference candidate minus live with 95% intervals (Newcombe
 * for rates, Welch for means). To credit a rating to its arm it remembers the recent A/B
 * requests ({@value #RECENT_MAX} at most, none older than 24 h). An arm's
 * figures start again when it sends to another model (promotion, rollback, new candidate). The
 * registry is read off the request path, every 5 s and at once after each change of the
 * registry. Every routed request is also stored ({@link AbStore}, written in batches off the
 * request path), so the figures and the ratings of recent requests are read back after a
 * restart. An experiment is started and stopped per virtual model ({@code lodestar:ab start
 * MODEL [PERCENT]}, {@code lodestar:ab stop MODEL}, or over HTTP): stopped, no request goes to
 * the candidate, not even as fail-over, and the figures stay for the report.
 */
@Component(service = {RoutingStrategy.class, RequestListener.class, AbStrategy.class},
        property = {RoutingStrategy.STRATEGY_NAME + "=ab", "osgi.command.scope=lodestar",
            "osgi.command.function=ab"}, immediate = true)
public final class AbStrategy implements RoutingStrategy, RequestListener {

    /** The strategy's name. */
    static final String NAME = "ab";
    /** The key of the difference between the arms in {@link #report()}. */
    static final String DIFFERENCE = "difference";
    private static final Logger LOG = LoggerFactory.getLogger(AbStrategy.class);
    /** The most A/B requests remembered for their ratings. */
    static final int RECENT_MAX = 100_000;
    /** How long an A/B request is remembered for its rating. */
    static final long RECENT_MAX_AGE_MS = TimeUnit.HOURS.toMillis(24);
    /** The most ratings kept that arrived before their request's event. */
    static final int EARLY_MAX = 10_000;
    /** The most routed requests waiting to be stored; beyond it they are counted as dropped. */
    static final int UNSAVED_MAX = 100_000;
    /** How often the routed requests are stored. */
    static final long FLUSH_MS = 500;
    /** A virtual model name as the commands and the HTTP API accept it. */
    private static final Pattern MODEL_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,199}");

    /**
     * The model an arm sends to now, and the arrival time of the request that made it so.
     *
     * @param key the figures' key
     * @param sinceMs when that request arrived
     */
    private record Switch(Key key, long sinceMs) {
    }

    /** Live and candidate Ollama names of a registry model. */
    record Arms(String live, String candidate) {
    }

    /**
     * Which figures: the virtual model, the arm and the model the arm sent to first.
     *
     * @param model the virtual model
     * @param arm {@code live}, {@code candidate} or {@code fallback}
     * @param target the arm's model id when the request was routed
     */
    record Key(String model, String arm, String target) {
    }

    /** Running figures of one arm while it sends to one model. */
    static final class Figures {
        /** Order of the arm's latest switch to this model; guarded by {@code recent}. */
        private volatile long sequence;
        private long requests;
        private long errors;
        private long escalations;
        private double latencyMean;
        private double latencyM2;
        private long costed;
        private double costSum;
        private double costSquares;
        private long rated;
        private long positive;
        private double ratingSum;
        private double ratingSquares;

        Figures(final long sequence) {
            this.sequence = sequence;
        }

        /**
         * Figures read back from their stored sums.
         *
         * @param sequence the order of the arm's first traffic
         * @param s the sums
         * @return the figures
         */
        static Figures of(final long sequence, final AbStore.Sums s) {
            final Figures f = new Figures(sequence);
            f.requests = s.requests();
            f.errors = s.errors();
            f.escalations = s.escalations();
            f.latencyMean = s.requests() == 0 ? 0 : s.latencySum() / s.requests();
            f.latencyM2 = Math.max(0, s.latencySquares() - s.requests() * f.latencyMean
                    * f.latencyMean);
            f.costed = s.costed();
            f.costSum = s.costSum();
            f.costSquares = s.costSquares();
            f.rated = s.rated();
            f.positive = s.positive();
            f.ratingSum = s.ratingSum();
            f.ratingSquares = s.ratingSquares();
            return f;
        }

        synchronized void add(final boolean error, final boolean escalated, final double ms,
                final Double cost) {
            requests++;
            errors += error ? 1 : 0;
            escalations += escalated ? 1 : 0;
            final double delta = ms - latencyMean;
            latencyMean += delta / requests;
            latencyM2 += delta * (ms - latencyMean);
            if (cost != null) {
                costed++;
                costSum += cost;
                costSquares += cost * cost;
            }
        }

        /**
         * Counts a rating of one of this arm's requests, in place of its earlier rating.
         *
         * @param previous the request's earlier rating, {@code NaN} when it had none
         * @param rating the rating, -1..1
         */
        synchronized void addRating(final double previous, final double rating) {
            if (!Double.isNaN(previous)) {
                rated--;
                positive -= previous > 0 ? 1 : 0;
                ratingSum -= previous;
                ratingSquares -= previous * previous;
            }
            rated++;
            positive += rating > 0 ? 1 : 0;
            ratingSum += rating;
            ratingSquares += rating * rating;
        }

        synchronized long rated() {
            return rated;
        }

        synchronized long positive() {
            return positive;
        }

        synchronized AbStats.Sample ratings() {
            final double mean = rated == 0 ? 0 : ratingSum / rated;
            return new AbStats.Sample(rated, mean, ratingSquares - rated * mean * mean);
        }

        /**
         * The feedback figures.
         *
         * @return {@code count, positive, meanRating {value, low, high}} (Student t interval,
         *         within -1..1; bounds {@code null} below two ratings) and
         *         {@code positiveRate {value, low, high}} (Wilson); both {@code null} without
         *         ratings
         */
        synchronized Map<String, Object> feedback() {
            final Map<String, Object> out = new LinkedHashMap<>();
            out.put("count", rated);
            out.put("positive", positive);
            if (rated == 0) {
                out.put("meanRating", null);
                out.put("positiveRate", null);
                return out;
            }
            final AbStats.Sample sample = ratings();
            final double[] bounds = AbStats.tInterval(sample);
            final Map<String, Double> mean = new LinkedHashMap<>();
            mean.put("value", sample.mean());
            mean.put("low", bounds == null ? null : Math.max(-1, bounds[0]));
            mean.put("high", bounds == null ? null : Math.min(1, bounds[1]));
            out.put("meanRating", mean);
            out.put("positiveRate", rate(positive, rated));
            return out;
        }

        synchronized long requests() {
            return requests;
        }

        synchronized long errors() {
            return errors;
        }

        synchronized long escalations() {
            return escalations;
        }

        synchronized AbStats.Sample latency() {
            return new AbStats.Sample(requests, latencyMean, latencyM2);
        }

        synchronized AbStats.Sample cost() {
            final double mean = costed == 0 ? 0 : costSum / costed;
            return new AbStats.Sample(costed, mean, costSquares - costed * mean * mean);
        }

        synchronized Map<String, Object> report() {
            final Map<String, Object> out = new LinkedHashMap<>();
            out.put("requests", requests);
            out.put("errors", errors);
            out.put("errorRate", rate(errors, requests));
            out.put("escalations", escalations);
            out.put("escalationRate", rate(escalations, requests));
            final AbStats.Sample latency = latency();
            out.put("latencyMs", mean(latency.mean(), requests > 1
                    ? Math.sqrt(latency.variance()) : 0, requests));
            final AbStats.Sample cost = cost();
            out.put("costUsd", mean(cost.mean(), costed > 1 ? Math.sqrt(cost.variance()) : 0,
                    costed));
            out.put("costUsdTotal", costSum);
            out.put("feedback", feedback());
            return out;
        }
    }

    /** A recent A/B request: the figures it counts in, when, and its rating so far. */
    private static final class Served {
        private final Figures figures;
        private final long atMs;
        private double rating = Double.NaN;

        Served(final Figures figures, final long atMs) {
            this.figures = figures;
            this.atMs = atMs;
        }
    }

    /**
     * A rating that arrived before its request's event: it waits for the event (the oldest of
     * more than {@link #EARLY_MAX} are dropped, and count only after a restart).
     */
    private record Early(double rating) {
    }

    private final ModelRegistry registry;
    private final LearningStore store;
    private final LongSupplier clock;
    private final int recentMax;
    private final long recentMaxAgeMs;
    /** Recent A/B requests by request id, oldest first; guarded by itself. */
    private final LinkedHashMap<String, Served> recent = new LinkedHashMap<>();
    /** Ratings waiting for their request's event, oldest first; guarded by {@link #recent}. */
    private final LinkedHashMap<String, Early> early = new LinkedHashMap<>();
    private final LearningStore.RatingListener onRating = this::rated;
    private final Map<String, Arms> arms = new ConcurrentHashMap<>();
    private final Map<Key, Figures> figures = new ConcurrentHashMap<>();
    private final AtomicLong sequence = new AtomicLong();
    private final ScheduledExecutorService refresher;
    private final Runnable onChange = this::refresh;
    private final AbStore abStore;
    /** Stores the routed requests: reads them back first, then writes in batches. */
    private final ScheduledExecutorService writer;
    private final ConcurrentLinkedQueue<AbStore.Row> unsaved = new ConcurrentLinkedQueue<>();
    private final AtomicInteger unsavedCount = new AtomicInteger();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong saveFailures = new AtomicLong();
    /** Requests routed before the stored figures were read back; guarded by {@link #recent}. */
    private final List<AbStore.Row> pending = new ArrayList<>();
    /** Whether the stored figures were read back; guarded by {@link #recent}. */
    private boolean loaded;
    private volatile Map<String, AbStore.Experiment> experiments = Map.of();
    /** Whether {@link #experiments} was read from the database. */
    private volatile boolean experimentsRead;
    /** Counted down once the stored figures were read back. */
    private final CountDownLatch ready = new CountDownLatch(1);
    /** Per virtual model and arm, its current model and since when; guarded by {@link #recent}. */
    private final Map<List<String>, Switch> current = new HashMap<>();
    /** Failed batch of routed requests, stored first next round; writer thread only. */
    private List<AbStore.Row> retry = List.of();
    /** The virtual models this strategy routed since it started. */
    private final Set<String> routed = ConcurrentHashMap.newKeySet();

    /**
     * Activates.
     *
     * @param registry the model registry
     * @param store the learning tables, whose ratings reach the arms' feedback figures
     */
    @Activate
    public AbStrategy(@Reference final ModelRegistry registry,
            @Reference final LearningStore store) {
        this(registry, store, System::currentTimeMillis, RECENT_MAX, RECENT_MAX_AGE_MS);
    }

    AbStrategy(final ModelRegistry registry, final LearningStore store, final LongSupplier clock,
            final int recentMax, final long recentMaxAgeMs) {
        this.registry = registry;
        this.store = store;
        this.clock = clock;
        this.recentMax = recentMax;
        this.recentMaxAgeMs = recentMaxAgeMs;
        this.refresher = Executors.newSingleThreadScheduledExecutor(r -> {
            final Thread thread = new Thread(r, "lodestar-learning-ab");
            thread.setDaemon(true);
            return thread;
        });
        this.abStore = new AbStore(store.dataSource());
        this.writer = Executors.newSingleThreadScheduledExecutor(r -> {
            final Thread thread = new Thread(r, "lodestar-learning-ab-store");
            thread.setDaemon(true);
            return thread;
        });
        // a stored stop holds from the first request on (one small query)
        readExperiments();
        // first read back, then write: the requests routed meanwhile are counted once
        writer.execute(this::load);
        writer.scheduleWithFixedDelay(this::flush, FLUSH_MS, FLUSH_MS, TimeUnit.MILLISECONDS);
        writer.scheduleWithFixedDelay(this::expireStored, 1, 1, TimeUnit.DAYS);
        refresher.scheduleWithFixedDelay(this::refresh, 0, 5, TimeUnit.SECONDS);
        registry.addListener(onChange);
        store.addRatingListener(onRating);
    }

    @Deactivate
    void deactivate() {
        store.removeRatingListener(onRating);
        registry.removeListener(onChange);
        refresher.shutdown();
        writer.shutdown();
        try {
            if (writer.awaitTermination(5, TimeUnit.SECONDS)) {
                flush();
            } else {
                writer.shutdownNow();
            }
        } catch (final InterruptedException e) {
            writer.shutdownNow();
            Thread.currentThread().interrupt();
        }
        if (unsavedCount.get() > 0) {
            LOG.warn("A/B: {} routed request(s) not stored at shutdown (their figures are "
                    + "lost with this run)", unsavedCount.get());
        }
    }

    /**
     * Reads back the stored figures (sums per arm and model, with the ratings of their
     * requests) and the requests of the last 24 h for their later ratings, then counts the
     * requests routed meanwhile. Runs first on the writer thread.
     */
    void load() {
        expireStored();
        List<AbStore.Sums> sums = List.of();
        List<AbStore.Recent> stored = List.of();
        try {
            final AbStore.Snapshot snapshot = abStore.readBack(clock.getAsLong()
                    - recentMaxAgeMs, recentMax);
            sums = snapshot.sums();
            stored = snapshot.recent();
        } catch (final SQLException | RuntimeException e) {
            LOG.warn("A/B: cannot read back the stored figures, counting from zero: {}",
                    e.getMessage());
        }
        synchronized (recent) {
            try {
                restore(sums, stored);
            } finally {
                loaded = true;
                pending.forEach(this::count);
                pending.clear();
            }
        }
        ready.countDown();
        if (!sums.isEmpty()) {
            LOG.info("A/B: figures of {} arm(s) read back", sums.size());
        }
    }

    /** Puts the stored figures and recent requests in place; the caller holds {@link #recent}. */
    private void restore(final List<AbStore.Sums> sums, final List<AbStore.Recent> stored) {
        for (final AbStore.Sums s : sums) {
            final Key key = new Key(s.model(), s.arm(), s.target());
            figures.put(key, Figures.of(sequence.incrementAndGet(), s));
            // in the order of their newest request: the last one is the arm's current model
            current.put(List.of(s.model(), s.arm()), new Switch(key, s.lastArrivedMs()));
        }
        for (final AbStore.Recent r : stored) {
            final Figures arm = figures.get(new Key(r.row().model(), r.row().arm(),
                    r.row().target()));
            if (arm != null) {
                final Served served = new Served(arm, r.row().atMs());
                served.rating = r.rating();
                recent.put(r.row().requestId(), served);
            }
        }
        // ratings that arrived while reading back: the snapshot has them all or not at all,
        // and a rating replaces the one it read
        for (final Iterator<Map.Entry<String, Early>> i = early.entrySet().iterator();
                i.hasNext();) {
            final Map.Entry<String, Early> e = i.next();
            if (rateRemembered(e.getKey(), e.getValue().rating())) {
                i.remove();
            }
        }
    }

    /**
     * Waits until the stored figures were read back (for tests).
     *
     * @return whether they were within 10 s
     * @throws InterruptedException when interrupted
     */
    boolean awaitLoaded() throws InterruptedException {
        return ready.await(10, TimeUnit.SECONDS);
    }

    /**
     * Stores the routed requests waiting, in batches of at most 1,000; a batch the database
     * refuses is kept (by this thread alone) and stored first next round. Runs on the writer
     * thread, and once more on the deactivating thread after the writer stopped.
     */
    void flush() {
        if (!retry.isEmpty()) {
            if (!save(retry)) {
                return;
            }
            retry = List.of();
        }
        while (!unsaved.isEmpty()) {
            final List<AbStore.Row> batch = new ArrayList<>();
            AbStore.Row row;
            while (batch.size() < 1000 && (row = unsaved.poll()) != null) {
                batch.add(row);
            }
            if (!save(batch)) {
                retry = batch;
                return;
            }
        }
    }

    private boolean save(final List<AbStore.Row> batch) {
        try {
            abStore.save(batch);
            unsavedCount.addAndGet(-batch.size());
            return true;
        } catch (final SQLException | RuntimeException e) {
            if (saveFailures.getAndIncrement() % 100 == 0) {
                LOG.warn("A/B: cannot store {} routed request(s), retrying: {}", batch.size(),
                        e.getMessage());
            }
            return false;
        }
    }

    private void expireStored() {
        try {
            final int deleted = abStore.expire(clock.getAsLong());
            if (deleted > 0) {
                LOG.info("A/B: {} routed request(s) older than 90 days deleted", deleted);
            }
        } catch (final SQLException | RuntimeException e) {
            LOG.warn("A/B: cannot delete old routed requests: {}", e.getMessage());
        }
    }

    /**
     * Reads the live and newest approved version of every registry model: every 5 s, and at
     * once after an approval, promotion or rollback (on the thread that made it, so the next
     * request already sees it).
     */
    synchronized void refresh() {
        try {
            final Map<String, List<ModelRegistry.Version>> byName = new LinkedHashMap<>();
            for (final ModelRegistry.Version v : registry.list(null)) {
                byName.computeIfAbsent(v.name(), k -> new ArrayList<>()).add(v);
            }
            final Map<String, Arms> next = new LinkedHashMap<>();
            byName.forEach((name, versions) -> next.put(name, new Arms(versions.stream()
                    .filter(v -> v.state() == ModelRegistry.State.LIVE)
                    .map(v -> deployed(v)).findFirst().orElse(null), versions.stream()
                    .filter(v -> v.state() == ModelRegistry.State.APPROVED)
                    .max(Comparator.comparingInt(ModelRegistry.Version::version))
                    .map(v -> deployed(v)).orElse(null))));
            arms.keySet().retainAll(next.keySet());
            arms.putAll(next);
        } catch (final SQLException | RuntimeException e) {
            LOG.debug("A/B: cannot read the registry: {}", e.getMessage());
        }
        if (!experimentsRead) {
            readExperiments();
        }
    }

    /**
     * Reads the experiments' states: when the strategy starts, and again at each refresh until
     * that succeeded once (afterwards they change only through {@link #set}).
     */
    private synchronized void readExperiments() {
        try {
            experiments = Map.copyOf(abStore.experiments());
            experimentsRead = true;
        } catch (final SQLException | RuntimeException e) {
            LOG.warn("A/B: cannot read the experiments' states (the last read stay in force): "
                    + "{}", e.getMessage());
        }
    }

    /**
     * Starts (or restarts, or changes the share of) the experiment of a virtual model.
     *
     * @param model the virtual model (its configuration has {@code strategy=ab})
     * @param percent the candidate's share of sessions, 0..100; {@code null} for the
     *     configured {@code candidatePercent}
     * @param actor who
     * @return the new state
     * @throws SQLException on a database error
     */
    AbStore.Experiment start(final String model, final Integer percent, final String actor)
            throws SQLException {
        if (percent != null && (percent < 0 || percent > 100)) {
            throw new IllegalArgumentException("percent must be 0..100, not " + percent);
        }
        return set(new AbStore.Experiment(checkedModel(model), true, percent,
                clock.getAsLong(), actor));
    }

    /**
     * Stops the experiment of a virtual model: its sessions all go to the live version, the
     * candidate is not even a fail-over target; the figures stay.
     *
     * @param model the virtual model
     * @param actor who
     * @return the new state
     * @throws SQLException on a database error
     */
    AbStore.Experiment stop(final String model, final String actor) throws SQLException {
        return set(new AbStore.Experiment(checkedModel(model), false, null, clock.getAsLong(),
                actor));
    }

    private synchronized AbStore.Experiment set(final AbStore.Experiment experiment)
            throws SQLException {
        abStore.set(experiment);
        final Map<String, AbStore.Experiment> next = new HashMap<>(experiments);
        next.put(experiment.model(), experiment);
        experiments = Map.copyOf(next);
        LOG.info("A/B: experiment {} {}{} by {}", experiment.model(),
                experiment.state(), experiment.percent() == null ? ""
                : " at " + experiment.percent() + "%", experiment.changedBy());
        return experiment;
    }

    private static String checkedModel(final String model) {
        final String name = model == null ? "" : model.trim();
        if (!MODEL_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("not a virtual model name: '"
                    + LearningStore.truncate(name, 60) + "'");
        }
        return name;
    }

    /**
     * The experiments: every virtual model routed by this strategy since it started, or whose
     * state was set, with its state.
     *
     * @return virtual model to {@code state} ({@code running}/{@code stopped}),
     *     {@code candidatePercent} (the share set by start, {@code null} for the configured
     *     one), {@code changedAt}, {@code changedBy} (both {@code null} when never set) and
     *     {@code routed} (whether it was routed since the start)
     */
    Map<String, Map<String, Object>> status() {
        final Map<String, AbStore.Experiment> set = experiments;
        final Set<String> names = new TreeSet<>(routed);
        names.addAll(set.keySet());
        final Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        for (final String name : names) {
            final AbStore.Experiment e = set.get(name);
            final Map<String, Object> row = new LinkedHashMap<>();
            row.put("state", e == null ? "running" : e.state());
            row.put("candidatePercent", e == null ? null : e.percent());
            row.put("changedAt", e == null ? null
                    : Instant.ofEpochMilli(e.changedMs()).toString());
            row.put("changedBy", e == null ? null : e.changedBy());
            row.put("routed", routed.contains(name));
            out.put(name, row);
        }
        return out;
    }

    /**
     * How the storage of the routed requests is doing.
     *
     * @return {@code loaded} (stored figures read back), {@code unsaved} (waiting),
     *     {@code dropped} (not stored: the queue was full), {@code saveFailures}
     */
    Map<String, Object> storage() {
        final Map<String, Object> out = new LinkedHashMap<>();
        synchronized (recent) {
            out.put("loaded", loaded);
        }
        out.put("unsaved", unsavedCount.get());
        out.put("dropped", dropped.get());
        out.put("saveFailures", saveFailures.get());
        return out;
    }

    private static String deployed(final ModelRegistry.Version v) {
        return v.deployedAs() != null ? v.deployedAs()
                : ModelRegistry.ollamaName(v.name(), v.version());
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public RouteDecision route(final RoutingContext context) {
        final Map<String, String> settings = context.settings();
        final String registryName = settings.get("registry");
        final Arms fromRegistry = registryName == null ? null : arms.get(registryName.trim());
        final String live = first(settings.get("live"), fromRegistry == null ? null
                : fromRegistry.live());
        final String candidate = first(settings.get("candidate"), fromRegistry == null ? null
                : fromRegistry.candidate());
        final String virtualModel = String.valueOf(context.virtualModel());
        routed.add(virtualModel);
        final AbStore.Experiment experiment = experiments.get(virtualModel);
        final boolean stopped = experiment != null && !experiment.running();
        final int percent = stopped ? 0 : experiment != null && experiment.percent() != null
                ? experiment.percent() : percent(settings.get("candidatePercent"));
        final int bucket = bucket(stickyKey(context));
        final Optional<ModelInfo> liveModel = find(context.available(), live);
        final Optional<ModelInfo> candidateModel = stopped ? Optional.empty()
                : find(context.available(), candidate);
        final boolean toCandidate = candidateModel.isPresent() && bucket < percent;
        final List<ModelInfo> order = new ArrayList<>();
        (toCandidate ? candidateModel : liveModel).ifPresent(order::add);
        (toCandidate ? liveModel : candidateModel).ifPresent(m -> {
            if (!order.contains(m)) {
                order.add(m);
            }
        });
        for (final String fallback : QualityFilter.Settings.list(new String[] {
            settings.getOrDefault("fallback", "")})) {
            find(context.available(), fallback).filter(m -> !order.contains(m))
                    .filter(m -> !stopped || !isNamed(m, candidate)).ifPresent(order::add);
        }
        final String arm = order.isEmpty() ? "none"
                : candidateModel.filter(order.get(0)::equals).isPresent() ? "candidate"
                : liveModel.filter(order.get(0)::equals).isPresent() ? "live" : "fallback";
        return new RouteDecision(order, NAME, String.format(Locale.ROOT,
                "ab:%s %s (bucket %d, candidate %d%%%s)", arm, order.isEmpty() ? "-"
                : order.get(0).id(), bucket, percent, stopped ? ", experiment stopped"
                : candidateModel.isEmpty() ? ", no candidate available" : ""));
    }

    @Override
    public void onRequest(final RequestEvent event) {
        if (!NAME.equals(event.strategy()) || event.route() == null
                || !event.route().startsWith("ab:")) {
            return;
        }
        final String[] words = event.route().substring(3).split(" ");
        if (words.length < 2 || "none".equals(words[0])) {
            return;
        }
        final boolean escalated = event.attempts() > 1 || (event.model() != null
                && !event.model().equals(words[1]));
        final AbStore.Row row = new AbStore.Row(event.requestId() != null
                ? event.requestId() : "unidentified-" + UUID.randomUUID(),
                String.valueOf(event.requestedModel()), words[0], words[1], clock.getAsLong(),
                event.timestamp() == null ? clock.getAsLong() : event.timestamp().toEpochMilli(),
                !event.isSuccess(), escalated, event.latency().toNanos() / 1e6,
                event.costUsd());
        synchronized (recent) {
            if (loaded) {
                count(row);
            } else {
                pending.add(row);
            }
        }
        if (unsavedCount.incrementAndGet() <= UNSAVED_MAX) {
            unsaved.add(row);
        } else {
            unsavedCount.decrementAndGet();
            if (dropped.getAndIncrement() % 1000 == 0) {
                LOG.warn("A/B: {} routed request(s) waiting to be stored; this one is counted "
                        + "in memory only (dropped so far: {})", UNSAVED_MAX, dropped.get());
            }
        }
    }

    /**
     * Counts a routed request in its arm's figures; the caller holds {@link #recent}. A model the
     * arm never sent to before becomes its current one at once; a model it sent to before (A,
     * B, A: a rollback) only when the request arrived after the one that made the present model
     * current, so a late event of the old model does not take the new one's place.
     */
    private void count(final AbStore.Row row) {
        final Key key = new Key(row.model(), row.arm(), row.target());
        final boolean[] created = {false};
        final Figures arm = figures.computeIfAbsent(key, k -> {
            created[0] = true;
            return new Figures(sequence.incrementAndGet());
        });
        final List<String> armKey = List.of(row.model(), row.arm());
        final Switch now = current.get(armKey);
        if (created[0] || now == null) {
            current.put(armKey, new Switch(key, row.arrivedMs()));
        } else if (!now.key().equals(key) && row.arrivedMs() > now.sinceMs()) {
            arm.sequence = sequence.incrementAndGet();
            current.put(armKey, new Switch(key, row.arrivedMs()));
        }
        arm.add(row.error(), row.escalated(), row.latencyMs(), row.costUsd());
        if (!row.requestId().startsWith("unidentified-")) {
            remember(row.requestId(), arm);
        }
    }

    /**
     * Remembers an A/B request for its rating, and counts a rating that arrived before it.
     * The oldest requests are forgotten beyond {@link #RECENT_MAX} or 24 h (a later rating of
     * a forgotten request finds its arm through its stored row).
     */
    private void remember(final String requestId, final Figures arm) {
        synchronized (recent) {
            final long now = clock.getAsLong();
            expire(now);
            final Served served = new Served(arm, now);
            recent.remove(requestId);
            recent.put(requestId, served);
            while (recent.size() > recentMax) {
                final Iterator<Served> oldest = recent.values().iterator();
                oldest.next();
                oldest.remove();
            }
            final Early waiting = early.remove(requestId);
            if (waiting != null) {
                rateRemembered(requestId, waiting.rating());
            }
        }
    }

    /**
     * A rating stored by {@link LearningStore#feedback}: counted in the arm that served the
     * request, in place of its earlier rating. A request remembered in memory (the last 24 h,
     * 100,000 at most) is found there; another through its stored row. A rating of a request
     * not seen yet waits for its event (request events are delivered asynchronously, so a fast
     * client may rate before the event arrives); ratings of requests outside an experiment so
     * wait until more than {@link #EARLY_MAX} push them out.
     *
     * @param requestId the request id
     * @param previous the rating it replaces in the database, {@code NaN} when none
     * @param rating -1..1
     */
    void rated(final String requestId, final double previous, final double rating) {
        synchronized (recent) {
            expire(clock.getAsLong());
            if (rateRemembered(requestId, rating)) {
                return;
            }
        }
        // not remembered (older than 24 h, beyond the 100,000 kept, or routed before a
        // restart and not read back): its stored row names the arm; read on the rating's
        // thread, never on the request path
        AbStore.Row stored = null;
        try {
            stored = abStore.find(requestId);
        } catch (final SQLException | RuntimeException e) {
            LOG.warn("A/B: cannot look up the rated request {}: {}", requestId, e.getMessage());
        }
        synchronized (recent) {
            if (rateRemembered(requestId, rating)) {
                return;
            }
            if (stored != null) {
                // its arm's figures are gone only when older than the retention
                final Figures arm = figures.get(new Key(stored.model(), stored.arm(),
                        stored.target()));
                if (arm != null) {
                    arm.addRating(previous, rating);
                }
                return;
            }
            early.remove(requestId);
            early.put(requestId, new Early(rating));
            while (early.size() > EARLY_MAX) {
                final Iterator<Early> oldest = early.values().iterator();
                oldest.next();
                oldest.remove();
            }
        }
    }

    /**
     * Counts a rating of a remembered request in place of its earlier one; the caller holds
     * {@link #recent}.
     *
     * @return whether the request is remembered
     */
    private boolean rateRemembered(final String requestId, final double rating) {
        final Served served = recent.get(requestId);
        if (served == null) {
            return false;
        }
        served.figures.addRating(served.rating, rating);
        served.rating = rating;
        return true;
    }

    private void expire(final long now) {
        for (final Iterator<Served> i = recent.values().iterator(); i.hasNext();) {
            if (i.next().atMs > now - recentMaxAgeMs) {
                break;
            }
            i.remove();
        }
    }

    /** @return how many A/B requests are remembered for their ratings */
    int remembered() {
        synchronized (recent) {
            return recent.size();
        }
    }

    /**
     * The experiment's figures: per virtual model and arm, the figures since the arm last
     * changed model ({@code model} names it: a promotion, rollback or new candidate starts the
     * arm again), and, once both the live and the candidate arm have requests,
     * {@code difference}: candidate minus live for the error and escalation rates (Newcombe
     * interval), the mean latency and cost (Welch interval), and the feedback's mean rating
     * (Welch) and positive share (Newcombe), each at 95%, as long as the two arms send to
     * different models.
     *
     * @return virtual model to arm (or {@code difference}) to figures
     */
    Map<String, Map<String, Map<String, Object>>> report() {
        final Map<String, Map<String, Map.Entry<String, Figures>>> current = new TreeMap<>();
        figures.forEach((key, f) -> current.computeIfAbsent(key.model(), k -> new TreeMap<>())
                .merge(key.arm(), Map.entry(key.target(), f), (a, b) ->
                        a.getValue().sequence >= b.getValue().sequence ? a : b));
        final Map<String, Map<String, Map<String, Object>>> out = new TreeMap<>();
        current.forEach((model, byArm) -> {
            final Map<String, Map<String, Object>> arms = new LinkedHashMap<>();
            new TreeMap<>(byArm).forEach((arm, entry) -> {
                final Map<String, Object> report = new LinkedHashMap<>();
                report.put("model", entry.getKey());
                report.putAll(entry.getValue().report());
                arms.put(arm, report);
            });
            final Map.Entry<String, Figures> live = byArm.get("live");
            final Map.Entry<String, Figures> candidate = byArm.get("candidate");
            // after a promotion the candidate arm still holds the promoted model's figures
            // until a new candidate gets traffic: a model is not compared with itself
            if (live != null && candidate != null && !live.getKey().equals(candidate.getKey())) {
                arms.put(DIFFERENCE, difference(candidate.getValue(), live.getValue()));
            }
            out.put(model, arms);
        });
        return out;
    }

    /**
     * Candidate minus live, with 95% intervals.
     *
     * @param candidate the candidate arm's figures (at least one request)
     * @param live the live arm's figures (at least one request)
     * @return {@code of, errorRate, escalationRate, latencyMs, costUsd, meanRating,
     *         positiveRate} ({@code costUsd} {@code null} when an arm has no priced request,
     *         the last two when an arm has no rating)
     */
    static Map<String, Object> difference(final Figures candidate, final Figures live) {
        final Map<String, Object> out = new LinkedHashMap<>();
        out.put("of", "candidate - live");
        out.put("errorRate", AbStats.proportionDifference(candidate.errors(),
                candidate.requests(), live.errors(), live.requests()));
        out.put("escalationRate", AbStats.proportionDifference(candidate.escalations(),
                candidate.requests(), live.escalations(), live.requests()));
        out.put("latencyMs", AbStats.meanDifference(candidate.latency(), live.latency()));
        final AbStats.Sample candidateCost = candidate.cost();
        final AbStats.Sample liveCost = live.cost();
        out.put("costUsd", candidateCost.n() == 0 || liveCost.n() == 0 ? null
                : AbStats.meanDifference(candidateCost, liveCost));
        final boolean rated = candidate.rated() > 0 && live.rated() > 0;
        out.put("meanRating", rated ? AbStats.meanDifference(candidate.ratings(),
                live.ratings()) : null);
        out.put("positiveRate", rated ? AbStats.proportionDifference(candidate.positive(),
                candidate.rated(), live.positive(), live.rated()) : null);
        return out;
    }

    /**
     * Gogo {@code lodestar:ab}: the experiment's figures.
     *
     * @return one line per virtual model and arm, then the difference
     */
    @Descriptor("A/B experiments (strategy ab): per arm requests, error and escalation rates, "
            + "latency, cost and feedback (ratings, mean rating, share rated above 0) with 95% "
            + "confidence intervals, and the difference candidate minus live with its 95% "
            + "interval")
    public String ab() {
        final StringBuilder out = new StringBuilder();
        arms.forEach((name, a) -> out.append(String.format(Locale.ROOT,
                "registry %s: live %s, candidate %s%n", name, a.live(), a.candidate())));
        status().forEach((name, s) -> out.append(String.format(Locale.ROOT,
                "experiment %s: %s%s%s%n", name, s.get("state"),
                s.get("candidatePercent") == null ? "" : " at " + s.get("candidatePercent") + "%",
                s.get("changedBy") == null ? "" : " (" + s.get("changedBy") + ", "
                        + s.get("changedAt") + ")")));
        final Map<String, Object> storage = storage();
        if (((Number) storage.get("unsaved")).longValue() > 1000
                || ((Number) storage.get("dropped")).longValue() > 0) {
            out.append(String.format(Locale.ROOT, "storage: %s%n", storage));
        }
        final String row = "%-12s %-10s %-20s %6s %-22s %-22s %-24s %-32s %5s %-22s %s%n";
        out.append(String.format(Locale.ROOT, row, "MODEL", "ARM", "SENT TO", "REQS",
                "ERRORS [95% CI]", "ESCALATED [95% CI]", "LATENCY MS [95% CI]",
                "COST USD/REQ [95% CI]", "RATED", "MEAN RATING [95% CI]",
                "RATED >0 [95% CI]"));
        final List<String> differences = new ArrayList<>();
        report().forEach((model, byArm) -> byArm.forEach((arm, f) -> {
            if (DIFFERENCE.equals(arm)) {
                differences.add(String.format(Locale.ROOT, "%-12s candidate - live: errors %s, "
                        + "escalated %s, latency ms %s, cost USD/req %s, mean rating %s, "
                        + "rated >0 %s%n", model,
                        signed(f.get("errorRate"), 100, " pp"),
                        signed(f.get("escalationRate"), 100, " pp"),
                        signed(f.get("latencyMs"), 1, ""), signed(f.get("costUsd"), 1, ""),
                        signed(f.get("meanRating"), 1, "", "%+.2f"),
                        signed(f.get("positiveRate"), 100, " pp")));
                return;
            }
            @SuppressWarnings("unchecked")
            final Map<String, Object> feedback = (Map<String, Object>) f.get("feedback");
            out.append(String.format(Locale.ROOT, row, model, arm, f.get("model"),
                    f.get("requests"), interval(f.get("errorRate"), 100, "%"),
                    interval(f.get("escalationRate"), 100, "%"),
                    interval(f.get("latencyMs"), 1, ""), interval(f.get("costUsd"), 1, ""),
                    feedback.get("count"), rating(feedback.get("meanRating")),
                    feedback.get("positiveRate") == null ? "-"
                    : interval(feedback.get("positiveRate"), 100, "%")));
        }));
        differences.forEach(out::append);
        return out.toString();
    }

    /**
     * Gogo {@code lodestar:ab start MODEL} / {@code lodestar:ab stop MODEL}.
     *
     * @param action {@code start} or {@code stop}
     * @param model the virtual model
     * @return the new state
     * @throws SQLException on a database error
     */
    @Descriptor("ab start MODEL: runs the experiment of a virtual model (strategy ab) with its "
            + "configured candidatePercent; ab stop MODEL: every session to the live version, "
            + "figures kept")
    public String ab(@Descriptor("start | stop") final String action,
            @Descriptor("virtual model") final String model) throws SQLException {
        return command(action, model, null);
    }

    /**
     * Gogo {@code lodestar:ab start MODEL PERCENT}.
     *
     * @param action {@code start}
     * @param model the virtual model
     * @param percent the candidate's share of sessions, 0..100
     * @return the new state
     * @throws SQLException on a database error
     */
    @Descriptor("ab start MODEL PERCENT: runs the experiment with the candidate's share of "
            + "sessions set to PERCENT (0..100) instead of the configured one")
    public String ab(@Descriptor("start") final String action,
            @Descriptor("virtual model") final String model,
            @Descriptor("candidate share, 0..100") final int percent) throws SQLException {
        if (!"start".equals(action)) {
            throw new IllegalArgumentException("usage: ab start MODEL PERCENT");
        }
        return command(action, model, percent);
    }

    private String command(final String action, final String model, final Integer percent)
            throws SQLException {
        final String actor = "gogo:" + LearningCommands.user();
        final AbStore.Experiment e;
        if ("start".equals(action)) {
            e = start(model, percent, actor);
        } else if ("stop".equals(action) && percent == null) {
            e = stop(model, actor);
        } else {
            throw new IllegalArgumentException("usage: ab start MODEL [PERCENT] | ab stop MODEL");
        }
        return String.format(Locale.ROOT, "experiment %s: %s%s%s%n", e.model(),
                e.state(), e.percent() == null
                ? (e.running() ? " (candidate share as configured)" : "")
                : " (candidate " + e.percent() + "% of sessions)",
                routed.contains(e.model()) ? "" : "; no request routed by ab for this virtual "
                + "model since the start: is lodestar.router.model-" + e.model()
                + ".cfg set to strategy=ab?");
    }

    private static String signed(final Object value, final double scale, final String unit) {
        return signed(value, scale, unit, null);
    }

    @SuppressWarnings("unchecked")
    private static String signed(final Object value, final double scale, final String unit,
            final String fixed) {
        if (value == null) {
            return "n/a";
        }
        final Map<String, Object> v = (Map<String, Object>) value;
        final double d = (Double) v.get("value") * scale;
        final String format = fixed != null ? fixed
                : scale == 1 && Math.abs(d) < 1 && d != 0 ? "%+.5f" : "%+.1f";
        final String bounds = v.get("low") == null ? "[n/a]" : String.format(Locale.ROOT,
                "[" + format + "," + format + "]", (Double) v.get("low") * scale,
                (Double) v.get("high") * scale);
        return String.format(Locale.ROOT, format, d) + unit + " " + bounds
                + (Boolean.TRUE.equals(v.get("excludesZero")) ? " *" : "");
    }

    @SuppressWarnings("unchecked")
    private static String interval(final Object value, final double scale, final String unit) {
        final Map<String, Double> v = (Map<String, Double>) value;
        final String format = scale == 1 && v.get("value") < 1 ? "%.5f" : "%.1f";
        return String.format(Locale.ROOT, format + "%s [" + format + "," + format + "]",
                v.get("value") * scale, unit, v.get("low") * scale, v.get("high") * scale);
    }

    /** A mean rating with its interval: {@code +0.50 [+0.10,+0.90]}, {@code -} unrated. */
    @SuppressWarnings("unchecked")
    private static String rating(final Object value) {
        if (value == null) {
            return "-";
        }
        final Map<String, Double> v = (Map<String, Double>) value;
        return String.format(Locale.ROOT, "%+.2f ", v.get("value")) + (v.get("low") == null
                ? "[n/a]" : String.format(Locale.ROOT, "[%+.2f,%+.2f]", v.get("low"),
                        v.get("high")));
    }

    /** @return the arms read from the registry */
    Map<String, Arms> arms() {
        return Map.copyOf(arms);
    }

    static String stickyKey(final RoutingContext context) {
        final String session = context.headers().getOrDefault("x-lodestar-session",
                context.headers().get("x-claude-code-session-id"));
        if (session != null && !session.isBlank()) {
            return "s:" + session;
        }
        if (context.request() != null && context.request().messages() != null) {
            for (final ChatMessage m : context.request().messages()) {
                if ("user".equals(m.role())) {
                    return "u:" + String.valueOf(m.content());
                }
            }
        }
        return "";
    }

    static int bucket(final String key) {
        try {
            final byte[] hash = MessageDigest.getInstance("SHA-256")
                    .digest(key.getBytes(StandardCharsets.UTF_8));
            return (int) (((hash[0] & 0xffL) << 24 | (hash[1] & 0xffL) << 16
                    | (hash[2] & 0xffL) << 8 | (hash[3] & 0xffL)) % 100);
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int percent(final String raw) {
        try {
            return raw == null ? 10 : Math.max(0, Math.min(100, Integer.parseInt(raw.trim())));
        } catch (final NumberFormatException e) {
            return 10;
        }
    }

    private static boolean isNamed(final ModelInfo model, final String name) {
        return name != null && (name.equals(model.qualifiedName()) || name.equals(model.id()));
    }

    private static String first(final String a, final String b) {
        return a != null && !a.isBlank() ? a.trim() : b;
    }

    private static Optional<ModelInfo> find(final List<ModelInfo> available, final String name) {
        if (name == null || name.isBlank()) {
            return Optional.empty();
        }
        return available.stream().filter(m -> isNamed(m, name)).findFirst();
    }

    /**
     * A proportion with its 95% Wilson interval.
     *
     * @param hits successes
     * @param n trials
     * @return {@code {value, low, high}}
     */
    static Map<String, Double> rate(final long hits, final long n) {
        if (n == 0) {
            return Map.of("value", 0.0, "low", 0.0, "high", 1.0);
        }
        final double[] bounds = AbStats.wilson(hits, n);
        return ordered(hits / (double) n, bounds[0], bounds[1]);
    }

    static Map<String, Double> mean(final double mean, final double sd, final long n) {
        final double half = n > 1 ? AbStats.Z * sd / Math.sqrt(n) : 0;
        return ordered(mean, mean - half, mean + half);
    }

    private static Map<String, Double> ordered(final double value, final double low,
            final double high) {
        final Map<String, Double> out = new LinkedHashMap<>();
        out.put("value", value);
        out.put("low", low);
        out.put("high", high);
        return out;
    }
}
