package lodestar.health.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import lodestar.api.health.Alert;
import lodestar.api.health.AlertSink;
import lodestar.api.health.Severity;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers alerts to a webhook, one component per factory configuration
 * ({@code config/lodestar.health.webhook-<name>.cfg}). Deliveries run on the sink's own thread
 * through a bounded queue, with retries and exponential backoff; the monitor never waits.
 */
@Component(service = AlertSink.class, configurationPid = "lodestar.health.webhook",
        configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = WebhookConfig.class, factory = true)
public final class WebhookSink implements AlertSink {

    private static final Logger LOG = LoggerFactory.getLogger(WebhookSink.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI url;
    private final String format;
    private final Severity minSeverity;
    private final int retries;
    private final long backoffMs;
    private final Duration timeout;
    private final HttpClient client;
    private final ThreadPoolExecutor worker;
    private final Set<String> announced = ConcurrentHashMap.newKeySet();
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();

    /**
     * Activates; an invalid configuration is refused with a clear message.
     *
     * @param config the configuration
     */
    @Activate
    public WebhookSink(final WebhookConfig config) {
        final String raw = config._url().trim();
        if (raw.isEmpty() || !(raw.startsWith("http://") || raw.startsWith("https://"))) {
            throw new IllegalArgumentException("webhook .url must be an http(s) URL");
        }
        this.url = URI.create(raw);
        this.format = config.format().trim().toLowerCase(Locale.ROOT);
        if (!Set.of("json", "slack", "text").contains(format)) {
            throw new IllegalArgumentException("webhook format must be json, slack or text, not "
                    + config.format());
        }
        this.minSeverity = Severity.valueOf(config.minSeverity().trim().toUpperCase(Locale.ROOT));
        this.retries = Math.max(0, config.retries());
        this.backoffMs = Math.max(0, config.backoffMs());
        this.timeout = Duration.ofMillis(Math.max(100, config.timeoutMs()));
        this.client = HttpClient.newBuilder().connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NEVER).build();
        this.worker = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
                new LinkedBlockingQueue<>(Math.max(1, config.queueSize())), r -> {
                    final Thread thread = new Thread(r, "lodestar-webhook-" + url.getHost());
                    thread.setDaemon(true);
                    return thread;
                });
        LOG.info("Alert webhook to {} ({} format, from {})", url.getHost(), format,
                minSeverity);
    }

    /** Stops delivering; alerts still queued are dropped. */
    @Deactivate
    void deactivate() {
        worker.shutdownNow();
    }

    @Override
    public void deliver(final Alert alert) {
        final boolean wanted = alert.recovery() ? announced.remove(alert.key())
                : alert.severity().compareTo(minSeverity) >= 0;
        if (!wanted) {
            return;
        }
        if (!alert.recovery()) {
            announced.add(alert.key());
        }
        try {
            worker.execute(() -> send(alert));
        } catch (final RejectedExecutionException e) {
            if (dropped.incrementAndGet() % 100 == 1) {
                LOG.warn("Alert webhook to {}: queue full, {} alert(s) dropped", url.getHost(),
                        dropped.get());
            }
        }
    }

    private void send(final Alert alert) {
        final String body;
        final String type;
        try {
            body = body(alert);
            type = "text".equals(format) ? "text/plain; charset=utf-8" : "application/json";
        } catch (final IOException e) {
            failed.incrementAndGet();
            return;
        }
        long wait = backoffMs;
        for (int attempt = 0; attempt <= retries; attempt++) {
            String problem;
            try {
                final HttpResponse<Void> response = client.send(HttpRequest.newBuilder(url)
                        .timeout(timeout).header("Content-Type", type)
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                        HttpResponse.BodyHandlers.discarding());
                final int status = response.statusCode();
                if (status >= 200 && status < 300) {
                    delivered.incrementAndGet();
                    return;
                }
                problem = "HTTP " + status;
                if (status != 429 && status < 500) {
                    break;
                }
            } catch (final IOException e) {
                problem = e.getClass().getSimpleName();
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (attempt == retries) {
                LOG.warn("Alert webhook to {} failed after {} attempt(s): {}", url.getHost(),
                        attempt + 1, problem);
                break;
            }
            try {
                Thread.sleep(wait);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            wait = Math.min(wait * 2, 60_000);
        }
        failed.incrementAndGet();
    }

    String body(final Alert alert) throws IOException {
        final String line = (alert.recovery() ? "RECOVERED" : alert.severity().name()) + " "
                + alert.key() + ": " + alert.message();
        return switch (format) {
            case "slack" -> JSON.writeValueAsString(JSON.createObjectNode().put("text",
                    "[Lodestar] " + line));
            case "text" -> line;
            default -> {
                final ObjectNode node = JSON.createObjectNode();
                node.put("source", "lodestar");
                node.put("key", alert.key());
                node.put("severity", alert.severity().name());
                node.put("recovery", alert.recovery());
                node.put("message", alert.message());
                node.put("raisedAt", alert.raisedAt().toString());
                node.set("details", JSON.valueToTree(alert.details()));
                yield JSON.writeValueAsString(node);
            }
        };
    }

    long delivered() {
        return delivered.get();
    }

    long failed() {
        return failed.get();
    }

    long dropped() {
        return dropped.get();
    }
}
