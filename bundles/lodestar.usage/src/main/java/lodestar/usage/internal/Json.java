package lodestar.usage.internal;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;

/**
 * The JSON shapes of the reports, of exported rows and of stored content (shared by HTTP and
 * the shell).
 */
final class Json {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private Json() {
    }

    /**
     * US dollars rounded to nine decimals (sums of doubles carry noise below that).
     *
     * @param usd the amount
     * @return the rounded amount
     */
    static BigDecimal usd(final double usd) {
        return BigDecimal.valueOf(usd).setScale(9, RoundingMode.HALF_UP).stripTrailingZeros();
    }

    /**
     * An OpenAI-shaped error body.
     *
     * @param message what is wrong
     * @param type the error type
     * @param param the parameter at fault, or {@code null}
     * @param code a machine-readable code, or {@code null}
     * @return the body
     */
    static ObjectNode error(final String message, final String type, final String param,
            final String code) {
        final ObjectNode root = NODES.objectNode();
        final ObjectNode error = root.putObject("error");
        error.put("message", message).put("type", type);
        error.put("param", param);
        error.put("code", code);
        return root;
    }

    private static ObjectNode range(final Params.Range range) {
        final ObjectNode root = NODES.objectNode();
        root.put("since", range.from().toString()).put("until", range.to().toString());
        return root;
    }

    /**
     * A group's figures.
     *
     * @param a the figures
     * @return the JSON
     */
    static ObjectNode figures(final Aggregate a) {
        final ObjectNode node = NODES.objectNode();
        node.put("requests", a.requests());
        node.put("errors", a.get(Measure.ERRORS));
        node.put("cacheHits", a.get(Measure.CACHE_HITS));
        node.put("streamed", a.get(Measure.STREAMED));
        final ObjectNode tokens = node.putObject("tokens");
        tokens.put("input", a.get(Measure.INPUT_TOKENS));
        tokens.put("output", a.get(Measure.OUTPUT_TOKENS));
        tokens.put("cachedInput", a.get(Measure.CACHED_TOKENS));
        tokens.put("cacheCreation", a.get(Measure.CACHE_CREATION_TOKENS));
        tokens.put("estimatedRequests", a.get(Measure.ESTIMATED));
        node.put("costUsd", usd(a.usd(Measure.COST_USD)));
        final ObjectNode pricing = node.putObject("pricing");
        pricing.put("tablePriced", a.get(Measure.TABLE_PRICED));
        pricing.put("providerPriced", a.get(Measure.EVENT_PRICED));
        pricing.put("unpriced", a.get(Measure.UNPRICED));
        node.put("baselineCostUsd", usd(a.usd(Measure.BASELINE_USD)));
        node.put("baselineRequests", a.get(Measure.BASELINE_REQUESTS));
        node.set("savings", savings(a));
        putMean(node, "avgLatencyMs", a.mean(Measure.LATENCY_MS, Measure.REQUESTS));
        putMean(node, "avgTimeToFirstTokenMs", a.mean(Measure.TTFT_MS, Measure.TTFT_REQUESTS));
        node.put("attempts", a.get(Measure.ATTEMPTS));
        node.put("modelSwitches", a.get(Measure.MODEL_SWITCHES));
        if (a.requests() > 0) {
            node.put("first", Instant.ofEpochMilli(a.get(Measure.FIRST_MS)).toString());
            node.put("last", Instant.ofEpochMilli(a.get(Measure.LAST_MS)).toString());
        }
        return node;
    }

    private static void putMean(final ObjectNode node, final String name, final Double value) {
        if (value == null) {
            node.putNull(name);
        } else {
            node.put(name, Math.round(value * 10) / 10.0);
        }
    }

    /**
     * Savings figures: over the requests whose cost and baseline are both known.
     *
     * @param a the figures
     * @return the JSON
     */
    static ObjectNode savings(final Aggregate a) {
        final ObjectNode node = NODES.objectNode();
        node.put("comparableRequests", a.get(Measure.CMP_REQUESTS));
        node.put("costUsd", usd(a.usd(Measure.CMP_COST_USD)));
        node.put("baselineCostUsd", usd(a.usd(Measure.CMP_BASELINE_USD)));
        node.put("savedUsd", usd(a.savedUsd()));
        final Double percent = a.savedPercent();
        if (percent == null) {
            node.putNull("savedPercent");
        } else {
            node.put("savedPercent", Math.round(percent * 100) / 100.0);
        }
        return node;
    }

    /**
     * The usage report.
     *
     * @param range the range
     * @param by the grouping
     * @param groups the groups
     * @param total the total
     * @return the JSON
     */
    static ObjectNode usage(final Params.Range range, final Reports.GroupBy by,
            final List<Reports.Group> groups, final Aggregate total) {
        final ObjectNode root = range(range);
        root.put("groupBy", by.label());
        final ArrayNode rows = root.putArray("rows");
        for (final Reports.Group group : groups) {
            final ObjectNode row = rows.addObject();
            row.put("key", group.key());
            row.setAll(figures(group.aggregate()));
        }
        root.set("total", figures(total));
        return root;
    }

    /**
     * The sessions report.
     *
     * @param range the range
     * @param sessions the sessions
     * @param limit the limit applied
     * @return the JSON
     */
    static ObjectNode sessions(final Params.Range range, final List<Reports.Session> sessions,
            final int limit) {
        final ObjectNode root = range(range);
        root.put("limit", limit);
        final ArrayNode rows = root.putArray("sessions");
        for (final Reports.Session session : sessions) {
            final ObjectNode row = rows.addObject();
            final Aggregate a = session.aggregate();
            row.put("session", session.key());
            row.put("client", session.client());
            final long start = Math.min(session.startMs(), a.get(Measure.FIRST_MS));
            final long end = a.get(Measure.LAST_MS);
            row.put("start", Instant.ofEpochMilli(start).toString());
            row.put("end", Instant.ofEpochMilli(end).toString());
            row.put("durationSeconds", Math.max(0, end - start) / 1000.0);
            row.setAll(figures(a));
        }
        return root;
    }

    /**
     * The savings report.
     *
     * @param range the range
     * @param total the total
     * @param by the grouping, or {@code null} for the total only
     * @param groups the groups (when grouped)
     * @return the JSON
     */
    static ObjectNode savings(final Params.Range range, final Aggregate total,
            final Reports.GroupBy by, final List<Reports.Group> groups) {
        final ObjectNode root = range(range);
        root.put("requests", total.requests());
        root.put("costUsd", usd(total.usd(Measure.COST_USD)));
        root.put("baselineCostUsd", usd(total.usd(Measure.BASELINE_USD)));
        root.setAll(savings(total));
        root.put("unpricedRequests", total.get(Measure.UNPRICED));
        root.put("noBaselineRequests", total.requests() - total.get(Measure.BASELINE_REQUESTS));
        if (by != null && by != Reports.GroupBy.NONE) {
            root.put("groupBy", by.label());
            final ArrayNode rows = root.putArray("rows");
            for (final Reports.Group group : groups) {
                final ObjectNode row = rows.addObject();
                row.put("key", group.key());
                row.put("requests", group.aggregate().requests());
                row.put("costUsd", usd(group.aggregate().usd(Measure.COST_USD)));
                row.setAll(savings(group.aggregate()));
            }
        }
        return root;
    }

    /**
     * The model switches.
     *
     * @param range the range
     * @param switches the switches
     * @param total how many there are in the range
     * @return the JSON
     */
    static ObjectNode switches(final Params.Range range, final List<Reports.Switch> switches,
            final long total) {
        final ObjectNode root = range(range);
        root.put("total", total);
        final ArrayNode rows = root.putArray("switches");
        for (final Reports.Switch s : switches) {
            rows.addObject().put("timestamp", Instant.ofEpochMilli(s.tsMs()).toString())
                    .put("requestId", s.requestId()).put("session", s.session())
                    .put("sessionStart", Instant.ofEpochMilli(s.sessionStartMs()).toString())
                    .put("provider", s.provider()).put("from", s.from()).put("to", s.to());
        }
        return root;
    }

    /**
     * Writes one exported request ({@link UsageWriter#COLUMNS} order) as a JSON object.
     *
     * @param out the generator
     * @param r the result, on a row
     * @throws IOException when writing fails
     * @throws SQLException on a database error
     */
    static void exportRow(final JsonGenerator out, final ResultSet r)
            throws IOException, SQLException {
        out.writeStartObject();
        out.writeStringField("requestId", r.getString(1));
        out.writeStringField("timestamp", Instant.ofEpochMilli(r.getLong(2)).toString());
        out.writeStringField("endpoint", r.getString(3));
        out.writeStringField("session", r.getString(4));
        writeTime(out, "sessionStart", r, 5);
        out.writeStringField("client", r.getString(6));
        out.writeStringField("requestedModel", r.getString(7));
        out.writeStringField("providerId", r.getString(8));
        out.writeStringField("model", r.getString(9));
        out.writeStringField("strategy", r.getString(10));
        out.writeStringField("route", r.getString(11));
        out.writeBooleanField("streamed", r.getBoolean(12));
        out.writeBooleanField("cacheHit", r.getBoolean(13));
        out.writeObjectFieldStart("tokens");
        out.writeNumberField("input", r.getLong(14));
        out.writeNumberField("output", r.getLong(15));
        out.writeNumberField("cachedInput", r.getLong(16));
        out.writeNumberField("cacheCreation", r.getLong(17));
        out.writeBooleanField("estimated", r.getBoolean(18));
        out.writeEndObject();
        out.writeNumberField("latencyMs", r.getLong(19));
        writeLong(out, "timeToFirstTokenMs", r, 20);
        out.writeNumberField("status", r.getInt(21));
        out.writeStringField("errorType", r.getString(22));
        out.writeNumberField("attempts", r.getInt(23));
        writeDouble(out, "costUsd", r, 24);
        out.writeStringField("costSource", r.getString(25));
        writeLong(out, "priceVersion", r, 26);
        writeDouble(out, "eventCostUsd", r, 27);
        writeDouble(out, "baselineCostUsd", r, 28);
        out.writeStringField("switchedFrom", r.getString(29));
        out.writeEndObject();
    }

    /**
     * Writes one stored exchange as a JSON object: {@code requestId}, {@code timestamp},
     * {@code session}, {@code provider}, {@code model}, {@code finishReason}, and the
     * {@code request} and {@code answer} as JSON values (as stored).
     *
     * @param out the generator
     * @param c the exchange
     * @throws IOException when writing fails
     */
    static void content(final JsonGenerator out, final Reports.Content c) throws IOException {
        out.writeStartObject();
        out.writeStringField("requestId", c.requestId());
        out.writeStringField("timestamp", Instant.ofEpochMilli(c.tsMs()).toString());
        out.writeStringField("session", c.session());
        out.writeStringField("provider", c.provider());
        out.writeStringField("model", c.model());
        out.writeStringField("finishReason", c.finishReason());
        writeRawJson(out, "request", c.request());
        writeRawJson(out, "answer", c.answer());
        out.writeEndObject();
    }

    private static void writeRawJson(final JsonGenerator out, final String name,
            final String json) throws IOException {
        out.writeFieldName(name);
        if (json == null || json.isBlank()) {
            out.writeNull();
        } else {
            // written by the content writer from a JSON tree: valid, compact, one line
            out.writeRawValue(json);
        }
    }

    private static void writeLong(final JsonGenerator out, final String name, final ResultSet r,
            final int column) throws IOException, SQLException {
        final long value = r.getLong(column);
        if (r.wasNull()) {
            out.writeNullField(name);
        } else {
            out.writeNumberField(name, value);
        }
    }

    private static void writeTime(final JsonGenerator out, final String name,
            final ResultSet r, final int column) throws IOException, SQLException {
        final long value = r.getLong(column);
        if (r.wasNull()) {
            out.writeNullField(name);
        } else {
            out.writeStringField(name, Instant.ofEpochMilli(value).toString());
        }
    }

    private static void writeDouble(final JsonGenerator out, final String name,
            final ResultSet r, final int column) throws IOException, SQLException {
        final double value = r.getDouble(column);
        if (r.wasNull()) {
            out.writeNullField(name);
        } else {
            out.writeNumberField(name, value);
        }
    }
}
