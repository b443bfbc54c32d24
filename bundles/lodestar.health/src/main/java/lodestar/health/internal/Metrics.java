package lodestar.health.internal;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import lodestar.api.gpu.GpuSnapshot;
import lodestar.api.gpu.GpuStatus;
import lodestar.api.health.HealthResult;
import lodestar.api.health.Severity;

/** Writes the Prometheus text exposition format (version 0.0.4). */
final class Metrics {

    private final StringBuilder out = new StringBuilder(8192);

    /**
     * Renders every metric.
     *
     * @param monitor the monitor
     * @param gpu the GPU reading, or {@code null} without a probe
     * @return the text
     */
    static String render(final HealthMonitor monitor, final GpuSnapshot gpu) {
        final Metrics metrics = new Metrics();
        metrics.traffic(monitor.traffic().all());
        metrics.health(monitor);
        metrics.gpu(gpu);
        return metrics.out.toString();
    }

    private void header(final String name, final String type, final String help) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private void sample(final String name, final String labels, final double value) {
        out.append(name);
        if (!labels.isEmpty()) {
            out.append('{').append(labels).append('}');
        }
        out.append(' ').append(number(value)).append('\n');
    }

    static String number(final double value) {
        if (Double.isInfinite(value)) {
            return value > 0 ? "+Inf" : "-Inf";
        }
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            return Long.toString((long) value);
        }
        return Double.toString(value);
    }

    /** Escapes a label value: backslash, double quote and line feed. */
    static String escape(final String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    private static String labels(final TrafficStats.Series series) {
        return "provider=\"" + escape(series.provider) + "\",model=\"" + escape(series.model)
                + "\"";
    }

    private void traffic(final List<TrafficStats.Series> all) {
        header("lodestar_requests_total", "counter",
                "Requests seen by the router, by provider, model and HTTP status.");
        for (final TrafficStats.Series series : all) {
            synchronized (series) {
                series.byStatus.forEach((status, count) -> sample("lodestar_requests_total",
                        labels(series) + ",status=\"" + status + "\"", count));
            }
        }
        header("lodestar_request_errors_total", "counter",
                "Requests that failed because of the provider (5xx, upstream 429, cut streams).");
        for (final TrafficStats.Series series : all) {
            synchronized (series) {
                sample("lodestar_request_errors_total", labels(series), series.errors);
            }
        }
        histogram("lodestar_request_duration_seconds",
                "Time from arrival to the last byte.", all, false);
        histogram("lodestar_time_to_first_token_seconds",
                "Time from arrival to the first byte of the answer.", all, true);
        header("lodestar_tokens_total", "counter", "Tokens by direction (input includes "
                + "cached).");
        for (final TrafficStats.Series series : all) {
            synchronized (series) {
                sample("lodestar_tokens_total", labels(series) + ",direction=\"input\"",
                        series.tokensIn);
                sample("lodestar_tokens_total", labels(series) + ",direction=\"output\"",
                        series.tokensOut);
                sample("lodestar_tokens_total", labels(series) + ",direction=\"cached\"",
                        series.tokensCached);
            }
        }
        header("lodestar_cost_usd_total", "counter", "What the requests cost, USD.");
        for (final TrafficStats.Series series : all) {
            synchronized (series) {
                sample("lodestar_cost_usd_total", labels(series), series.cost);
            }
        }
        header("lodestar_baseline_cost_usd_total", "counter",
                "What the same requests would have cost on the baseline model, USD.");
        for (final TrafficStats.Series series : all) {
            synchronized (series) {
                sample("lodestar_baseline_cost_usd_total", labels(series), series.baselineCost);
            }
        }
    }

    private void histogram(final String name, final String help,
            final List<TrafficStats.Series> all, final boolean firstToken) {
        header(name, "histogram", help);
        for (final TrafficStats.Series series : all) {
            synchronized (series) {
                final long[] counts = firstToken ? series.firstToken : series.duration;
                long cumulative = 0;
                for (int i = 0; i < TrafficStats.BOUNDS.length; i++) {
                    cumulative += counts[i];
                    sample(name + "_bucket", labels(series) + ",le=\""
                            + number(TrafficStats.BOUNDS[i]) + "\"", cumulative);
                }
                cumulative += counts[TrafficStats.BOUNDS.length];
                sample(name + "_bucket", labels(series) + ",le=\"+Inf\"", cumulative);
                sample(name + "_sum", labels(series), firstToken ? series.firstTokenSum
                        : series.durationSum);
                sample(name + "_count", labels(series), cumulative);
            }
        }
    }

    private void health(final HealthMonitor monitor) {
        final Map<String, HealthResult> latest = monitor.latest();
        header("lodestar_health_check_severity", "gauge",
                "Latest result of each check: 0 ok, 1 info, 2 warning, 3 critical.");
        latest.forEach((name, result) -> sample("lodestar_health_check_severity",
                "check=\"" + escape(name) + "\"", result.severity().ordinal()));
        header("lodestar_alerts_total", "counter", "Alerts raised, by severity.");
        monitor.alertCounts().forEach((severity, count) -> sample("lodestar_alerts_total",
                "severity=\"" + severity.name().toLowerCase(Locale.ROOT) + "\"", count));
        header("lodestar_alert_sink_failures_total", "counter", "Alert deliveries that failed.");
        sample("lodestar_alert_sink_failures_total", "", monitor.sinkFailures());
        final HealthResult events = latest.get("router.events");
        if (events != null) {
            header("lodestar_events_dropped_total", "counter",
                    "Request events dropped because listeners were too slow.");
            sample("lodestar_events_dropped_total", "", value(events, "dropped"));
            header("lodestar_events_published_total", "counter", "Request events published.");
            sample("lodestar_events_published_total", "", value(events, "published"));
        }
        final HealthResult heap = latest.get("system.heap");
        if (heap != null) {
            header("lodestar_jvm_heap_used_bytes", "gauge", "JVM heap in use.");
            sample("lodestar_jvm_heap_used_bytes", "", value(heap, "usedBytes"));
            header("lodestar_jvm_heap_max_bytes", "gauge", "JVM heap maximum.");
            sample("lodestar_jvm_heap_max_bytes", "", value(heap, "maxBytes"));
        }
        final HealthResult disk = latest.get("system.disk");
        if (disk != null) {
            header("lodestar_disk_free_bytes", "gauge", "Free space on the data folder's disk.");
            sample("lodestar_disk_free_bytes", "", value(disk, "freeBytes"));
        }
        final HealthResult memory = latest.get("system.memory");
        if (memory != null && memory.details().containsKey("processRssBytes")) {
            header("lodestar_process_resident_memory_bytes", "gauge", "Resident set size.");
            sample("lodestar_process_resident_memory_bytes", "",
                    value(memory, "processRssBytes"));
        }
        header("lodestar_health_up", "gauge", "1 when no check is critical.");
        sample("lodestar_health_up", "", monitor.worst() == Severity.CRITICAL ? 0 : 1);
    }

    private static double value(final HealthResult result, final String key) {
        final Object value = result.details().get(key);
        return value instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    private void gpu(final GpuSnapshot snapshot) {
        if (snapshot == null) {
            return;
        }
        header("lodestar_gpu_up", "gauge", "1 when the GPUs could be read.");
        sample("lodestar_gpu_up", "host=\"" + escape(snapshot.host()) + "\",state=\""
                + snapshot.state().name().toLowerCase(Locale.ROOT) + "\"",
                snapshot.state() == GpuSnapshot.GpuState.OK ? 1 : 0);
        if (snapshot.gpus().isEmpty()) {
            return;
        }
        gauge(snapshot, "lodestar_gpu_temperature_celsius", "GPU core temperature.",
                g -> g.temperatureC() == null ? null : g.temperatureC().doubleValue());
        gauge(snapshot, "lodestar_gpu_utilization_ratio", "GPU utilisation, 0..1.",
                g -> g.utilizationGpuPct() == null ? null : g.utilizationGpuPct() / 100.0);
        gauge(snapshot, "lodestar_gpu_memory_used_bytes", "GPU memory in use.",
                g -> g.memoryUsedMiB() == null ? null : g.memoryUsedMiB() * 1048576.0);
        gauge(snapshot, "lodestar_gpu_memory_total_bytes", "GPU memory in total.",
                g -> g.memoryTotalMiB() == null ? null : g.memoryTotalMiB() * 1048576.0);
        gauge(snapshot, "lodestar_gpu_power_draw_watts", "GPU power draw.",
                GpuStatus::powerDrawW);
        gauge(snapshot, "lodestar_gpu_power_limit_watts", "GPU power limit.",
                GpuStatus::powerLimitW);
    }

    private void gauge(final GpuSnapshot snapshot, final String name, final String help,
            final java.util.function.Function<GpuStatus, Double> read) {
        header(name, "gauge", help);
        for (final GpuStatus gpu : snapshot.gpus()) {
            final Double value = read.apply(gpu);
            if (value != null) {
                sample(name, "host=\"" + escape(snapshot.host()) + "\",gpu=\"" + gpu.index()
                        + "\",name=\"" + escape(gpu.name() == null ? "" : gpu.name()) + "\"",
                        value);
            }
        }
    }
}
