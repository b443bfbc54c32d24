package lodestar.learning.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
 * retried), latency and cost, reported with 95% confidence intervals, and the difference
 * candidate minus live with 95% intervals (Newcombe for rates, Welch for means). An arm's
 * figures start again when it sends to another model (promotion, rollback, new candidate). The
 * registry is read off the request path, every 5 s and at once after each change of the
 * registry; the figures live in memory (reset by a restart).
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
        private final long sequence;
        private long requests;
        private long errors;
        private long escalations;
        private double latencyMean;
        private double latencyM2;
        private long costed;
        private double costSum;
        private double costSquares;

        Figures(final long sequence) {
            this.sequence = sequence;
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
            return out;
        }
    }

    private final ModelRegistry registry;
    private final Map<String, Arms> arms = new ConcurrentHashMap<>();
    private final Map<Key, Figures> figures = new ConcurrentHashMap<>();
    private final AtomicLong sequence = new AtomicLong();
    private final ScheduledExecutorService refresher;
    private final Runnable onChange = this::refresh;

    /**
     * Activates.
     *
     * @param registry the model registry
     */
    @Activate
    public AbStrategy(@Reference final ModelRegistry registry) {
        this.registry = registry;
        this.refresher = Executors.newSingleThreadScheduledExecutor(r -> {
            final Thread thread = new Thread(r, "lodestar-learning-ab");
            thread.setDaemon(true);
            return thread;
        });
        refresher.scheduleWithFixedDelay(this::refresh, 0, 5, TimeUnit.SECONDS);
        registry.addListener(onChange);
    }

    @Deactivate
    void deactivate() {
        registry.removeListener(onChange);
        refresher.shutdown();
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
        final int percent = percent(settings.get("candidatePercent"));
        final int bucket = bucket(stickyKey(context));
        final Optional<ModelInfo> liveModel = find(context.available(), live);
        final Optional<ModelInfo> candidateModel = find(context.available(), candidate);
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
                    .ifPresent(order::add);
        }
        final String arm = order.isEmpty() ? "none"
                : candidateModel.filter(order.get(0)::equals).isPresent() ? "candidate"
                : liveModel.filter(order.get(0)::equals).isPresent() ? "live" : "fallback";
        return new RouteDecision(order, NAME, String.format(Locale.ROOT,
                "ab:%s %s (bucket %d, candidate %d%%%s)", arm, order.isEmpty() ? "-"
                : order.get(0).id(), bucket, percent, candidateModel.isEmpty()
                ? ", no candidate available" : ""));
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
        figures.computeIfAbsent(new Key(String.valueOf(event.requestedModel()), words[0],
                words[1]), k -> new Figures(sequence.incrementAndGet())).add(
                        !event.isSuccess(), escalated, event.latency().toNanos() / 1e6,
                        event.costUsd());
    }

    /**
     * The experiment's figures: per virtual model and arm, the figures since the arm last
     * changed model ({@code model} names it: a promotion, rollback or new candidate starts the
     * arm again), and, once both the live and the candidate arm have requests,
     * {@code difference}: candidate minus live for the error and escalation rates (Newcombe
     * interval) and the mean latency and cost (Welch interval), each at 95%, as long as the
     * two arms send to different models.
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
     * @return {@code of, errorRate, escalationRate, latencyMs, costUsd}
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
        return out;
    }

    /**
     * Gogo {@code lodestar:ab}: the experiment's figures.
     *
     * @return one line per virtual model and arm, then the difference
     */
    @Descriptor("A/B experiments (strategy ab): per arm requests, error and escalation rates, "
            + "latency and cost with 95% confidence intervals, and the difference candidate "
            + "minus live with its 95% interval")
    public String ab() {
        final StringBuilder out = new StringBuilder();
        arms.forEach((name, a) -> out.append(String.format(Locale.ROOT,
                "registry %s: live %s, candidate %s%n", name, a.live(), a.candidate())));
        out.append(String.format(Locale.ROOT, "%-12s %-10s %-20s %6s %-22s %-22s %-24s %s%n",
                "MODEL", "ARM", "SENT TO", "REQS", "ERRORS [95% CI]", "ESCALATED [95% CI]",
                "LATENCY MS [95% CI]", "COST USD/REQ [95% CI]"));
        final List<String> differences = new ArrayList<>();
        report().forEach((model, byArm) -> byArm.forEach((arm, f) -> {
            if (DIFFERENCE.equals(arm)) {
                differences.add(String.format(Locale.ROOT, "%-12s candidate - live: errors %s, "
                        + "escalated %s, latency ms %s, cost USD/req %s%n", model,
                        signed(f.get("errorRate"), 100, " pp"),
                        signed(f.get("escalationRate"), 100, " pp"),
                        signed(f.get("latencyMs"), 1, ""), signed(f.get("costUsd"), 1, "")));
                return;
            }
            out.append(String.format(Locale.ROOT, "%-12s %-10s %-20s %6d %-22s %-22s %-24s %s%n",
                    model, arm, f.get("model"), f.get("requests"),
                    interval(f.get("errorRate"), 100, "%"),
                    interval(f.get("escalationRate"), 100, "%"),
                    interval(f.get("latencyMs"), 1, ""), interval(f.get("costUsd"), 1, "")));
        }));
        differences.forEach(out::append);
        return out.toString();
    }

    @SuppressWarnings("unchecked")
    private static String signed(final Object value, final double scale, final String unit) {
        if (value == null) {
            return "n/a";
        }
        final Map<String, Object> v = (Map<String, Object>) value;
        final double d = (Double) v.get("value") * scale;
        final String format = scale == 1 && Math.abs(d) < 1 && d != 0 ? "%+.5f" : "%+.1f";
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

    private static String first(final String a, final String b) {
        return a != null && !a.isBlank() ? a.trim() : b;
    }

    private static Optional<ModelInfo> find(final List<ModelInfo> available, final String name) {
        if (name == null || name.isBlank()) {
            return Optional.empty();
        }
        return available.stream().filter(m -> name.equals(m.qualifiedName())
                || name.equals(m.id())).findFirst();
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
