package lodestar.usage.internal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;
import javax.sql.DataSource;
import lodestar.api.event.ContentListener;
import lodestar.api.event.RequestEvent;
import lodestar.api.event.RequestListener;
import lodestar.api.health.HealthContributor;
import lodestar.api.health.HealthResult;
import lodestar.api.health.Severity;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Usage tracking: a {@link RequestListener} that hands every request event to the
 * {@link UsageWriter} (never blocking the router's dispatcher), the {@code usage} health
 * check, and the reports the shell and HTTP endpoints show.
 *
 * <p>With {@code storeContent=true} (and only then) it also registers a
 * {@link ContentListener} service that hands every exchange's content to the
 * {@link ContentWriter}. Without that service the router keeps no content at all. A change of
 * configuration restarts the component, registering or withdrawing the service.
 */
@Component(service = {UsageService.class, RequestListener.class, HealthContributor.class},
        configurationPid = "lodestar.usage", configurationPolicy = ConfigurationPolicy.OPTIONAL,
        immediate = true)
@Designate(ocd = UsageConfig.class)
public final class UsageService implements RequestListener, HealthContributor {

    /** Drops within this window keep the health check at WARNING. */
    static final long DROP_WARN_MS = 15 * 60_000L;
    private static final Logger LOG = LoggerFactory.getLogger(UsageService.class);

    private final UsageConfig config;
    private final UsageWriter writer;
    private final ContentWriter content;
    private final Runnable withdrawContentListener;
    private final Reports reports;
    private final PriceCatalog prices;
    private final Path databaseFile;
    private final LongSupplier clock;

    /**
     * Starts tracking.
     *
     * @param config the configuration
     * @param context the bundle context, for the data folder
     * @param dataSource the shared database
     * @param prices the price table
     */
    @Activate
    public UsageService(final UsageConfig config, final BundleContext context,
            @Reference(name = "dataSource", target = "(dataSourceName=lodestar)")
            final DataSource dataSource, @Reference final PriceCatalog prices) {
        this(config, dataDir(context), dataSource, prices, System::currentTimeMillis,
                registrar(context));
    }

    /**
     * Creates and starts the service with a given clock (tests, benchmark); a content
     * listener, if any, is not published.
     *
     * @param config the configuration
     * @param dataDir the data folder
     * @param dataSource the database
     * @param prices the price table
     * @param clock the current time, epoch ms
     */
    UsageService(final UsageConfig config, final Path dataDir, final DataSource dataSource,
            final PriceCatalog prices, final LongSupplier clock) {
        this(config, dataDir, dataSource, prices, clock, listener -> () -> { });
    }

    /**
     * Creates and starts the service.
     *
     * @param config the configuration
     * @param dataDir the data folder
     * @param dataSource the database
     * @param prices the price table
     * @param clock the current time, epoch ms
     * @param registrar publishes the content listener when {@code storeContent=true}
     */
    UsageService(final UsageConfig config, final Path dataDir, final DataSource dataSource,
            final PriceCatalog prices, final LongSupplier clock,
            final ContentRegistrar registrar) {
        this.config = config;
        this.prices = prices;
        this.clock = clock;
        final Partitions partitions = new Partitions();
        final Partitions contentPartitions = new Partitions();
        this.writer = new UsageWriter(dataSource, prices::current, new UsageWriter.Settings(
                config.queueSize(), config.batchSize(), config.flushMillis(),
                config.retentionDays(), Math.max(1, config.sessionIdleMinutes()) * 60_000L,
                config.maxRouteChars(), config.anonymize(), dataDir,
                config.contentRetentionDays()), partitions, contentPartitions, clock);
        this.reports = new Reports(dataSource, partitions, contentPartitions);
        this.databaseFile = dataDir.resolve("lodestar.mv.db");
        writer.start();
        if (config.storeContent()) {
            this.content = new ContentWriter(dataSource, new ContentWriter.Settings(
                    config.contentQueueSize(), config.batchSize(), config.flushMillis(),
                    config.contentRetentionDays(), config.anonymize(), dataDir),
                    contentPartitions, clock);
            content.start();
            this.withdrawContentListener = registrar.register(content::offer);
            LOG.info("Usage content storage on: the request and answer of every successful "
                    + "exchange are stored for {} day(s)", Math.max(1,
                            config.contentRetentionDays()));
        } else {
            this.content = null;
            this.withdrawContentListener = null;
        }
    }

    /** Publishes the content listener; what it returns withdraws it. */
    @FunctionalInterface
    interface ContentRegistrar {
        /**
         * Publishes a content listener.
         *
         * @param listener the listener
         * @return what withdraws it (called once, when the component stops)
         */
        Runnable register(ContentListener listener);
    }

    /**
     * Registers the content listener as a service of this bundle.
     *
     * @param context the bundle context
     * @return the registrar
     */
    static ContentRegistrar registrar(final BundleContext context) {
        return listener -> {
            final Dictionary<String, Object> properties = new Hashtable<>();
            properties.put(Constants.SERVICE_DESCRIPTION, "Lodestar usage: stores the content "
                    + "of exchanges (storeContent=true)");
            properties.put("lodestar.content.store", "usage");
            final ServiceRegistration<ContentListener> registration =
                    context.registerService(ContentListener.class, listener, properties);
            return () -> {
                try {
                    registration.unregister();
                } catch (final IllegalStateException alreadyGone) {
                    // unregistered with the bundle
                }
            };
        };
    }

    private static Path dataDir(final BundleContext context) {
        final String data = context.getProperty("lodestar.data.dir");
        return Path.of(data == null || data.isBlank() ? "data" : data).toAbsolutePath();
    }

    /** Stops tracking after writing what is queued (at most 30 s). */
    @Deactivate
    void deactivate() {
        if (content != null) {
            withdrawContentListener.run();
            final ContentWriter.Stats before = content.stats();
            content.close(Duration.ofSeconds(30));
            final ContentWriter.Stats after = content.stats();
            LOG.info("Usage content storage stopped: {} exchange(s) stored ({} in the final "
                    + "flush), {} dropped, {} lost", after.written(), after.written()
                    - before.written(), after.dropped(), after.lost());
        }
        final UsageWriter.Stats before = writer.stats();
        writer.close(Duration.ofSeconds(30));
        final UsageWriter.Stats after = writer.stats();
        LOG.info("Usage tracking stopped: {} written ({} in the final flush), {} dropped, "
                + "{} lost", after.written(), after.written() - before.written(),
                after.dropped(), after.lost());
    }

    @Override
    public void onRequest(final RequestEvent event) {
        writer.offer(event);
    }

    @Override
    public String name() {
        return "usage";
    }

    @Override
    public List<HealthResult> check() {
        return List.of(health());
    }

    /**
     * The {@code usage} check: CRITICAL while the database cannot be written, WARNING when
     * events were dropped in the last 15 minutes, else OK.
     *
     * @return the result
     */
    HealthResult health() {
        final UsageWriter.Stats stats = writer.stats();
        final long now = clock.getAsLong();
        final Map<String, Object> details = new LinkedHashMap<>();
        details.put("written", stats.written());
        details.put("dropped", stats.dropped());
        details.put("queued", stats.queued());
        details.put("queueSize", config.queueSize());
        details.put("lost", stats.lost());
        details.put("expired", stats.expired());
        details.put("openSessions", stats.openSessions());
        details.put("schemaVersion", stats.schemaVersion());
        if (stats.priceVersion() != null) {
            details.put("priceVersion", stats.priceVersion());
        }
        if (stats.msSinceFlush() >= 0) {
            details.put("msSinceLastWrite", stats.msSinceFlush());
        }
        try {
            if (Files.exists(databaseFile)) {
                details.put("databaseBytes", Files.size(databaseFile));
            }
        } catch (final java.io.IOException ignored) {
            // the size is a detail only
        }
        details.put("storeContent", content != null);
        final ContentWriter.Stats contentStats = content == null ? null : content.stats();
        if (contentStats != null) {
            details.put("contentWritten", contentStats.written());
            details.put("contentDropped", contentStats.dropped());
            details.put("contentQueued", contentStats.queued());
            details.put("contentQueueSize", config.contentQueueSize());
            details.put("contentLost", contentStats.lost());
            details.put("contentExpired", contentStats.expired());
            details.put("contentRetentionDays", Math.max(1, config.contentRetentionDays()));
        }
        final boolean contentDrops = contentStats != null && contentStats.lastDropMs() > 0
                && now - contentStats.lastDropMs() < DROP_WARN_MS;
        final Severity severity;
        final String message;
        if (!stats.writable()) {
            severity = Severity.CRITICAL;
            message = "usage database not writable: " + stats.lastError()
                    + (stats.queued() > 0 ? " (" + stats.queued() + " events waiting)" : "");
            details.put("lastErrorAt", Instant.ofEpochMilli(stats.lastErrorMs()).toString());
        } else if (contentStats != null && !contentStats.writable()) {
            severity = Severity.CRITICAL;
            message = "usage content not writable: " + contentStats.lastError()
                    + (contentStats.queued() > 0 ? " (" + contentStats.queued()
                            + " exchanges waiting)" : "");
            details.put("lastErrorAt", Instant.ofEpochMilli(contentStats.lastErrorMs())
                    .toString());
        } else if (stats.lastDropMs() > 0 && now - stats.lastDropMs() < DROP_WARN_MS) {
            severity = Severity.WARNING;
            message = stats.dropped() + " usage event(s) dropped since start (queue of "
                    + config.queueSize() + " full; last at "
                    + Instant.ofEpochMilli(stats.lastDropMs()) + ")"
                    + (contentDrops ? "; " + contentDropMessage(contentStats) : "");
        } else if (contentDrops) {
            severity = Severity.WARNING;
            message = contentDropMessage(contentStats);
        } else if (!stats.ready()) {
            severity = Severity.INFO;
            message = "usage tracking starting";
        } else {
            severity = Severity.OK;
            message = stats.written() + " request(s) recorded since start"
                    + (contentStats == null ? "" : ", " + contentStats.written()
                            + " exchange content record(s) stored");
        }
        return new HealthResult("usage", severity, message, details, Instant.ofEpochMilli(now));
    }

    private String contentDropMessage(final ContentWriter.Stats stats) {
        return stats.dropped() + " exchange content record(s) dropped since start (content "
                + "queue of " + config.contentQueueSize() + " full; last at "
                + Instant.ofEpochMilli(stats.lastDropMs()) + ")";
    }

    UsageWriter.Stats stats() {
        return writer.stats();
    }

    /**
     * The content writer's figures.
     *
     * @return them, or empty when content is not being stored
     */
    Optional<ContentWriter.Stats> contentStats() {
        return content == null ? Optional.empty() : Optional.of(content.stats());
    }

    UsageConfig config() {
        return config;
    }

    PriceTable prices() {
        return prices.current();
    }

    long now() {
        return clock.getAsLong();
    }

    Reports reports() {
        return reports;
    }
}
