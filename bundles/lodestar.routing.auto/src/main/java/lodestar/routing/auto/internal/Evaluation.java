package lodestar.routing.auto.internal;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Offline evaluation: the learned router beside the random router and the always-weak and
 * always-strong baselines, per source and for all prompts together.
 */
final class Evaluation {

    /** The key of the row over all prompts. */
    static final String ALL = "all";

    /**
     * The figures of one source (or of all prompts).
     *
     * @param source the source, or {@value #ALL}
     * @param router the learned router's curve metrics
     * @param threshold the p(local ok) threshold in force (NaN when it varied per fold)
     * @param strongShare share of prompts the router sends to the strong tier at the threshold
     * @param qualityAtThreshold the router's quality at the threshold
     * @param randomSavingsAt95 the random router's savings at 95% of the strong quality
     */
    record Row(String source, Metrics.Summary router, double threshold, double strongShare,
            double qualityAtThreshold, double randomSavingsAt95) {
    }

    private Evaluation() {
    }

    /**
     * Computes the rows.
     *
     * @param examples the test examples
     * @param scores 1 - p(local ok) per example
     * @param strong per example, whether the router sends it to the strong tier at its threshold
     * @param threshold the threshold, for display (NaN when it varied)
     * @return the rows per source in order of appearance, then {@value #ALL}
     */
    static Map<String, Row> rows(final List<Example> examples, final double[] scores,
            final boolean[] strong, final double threshold) {
        final Map<String, List<Integer>> groups = new LinkedHashMap<>();
        for (int i = 0; i < examples.size(); i++) {
            groups.computeIfAbsent(examples.get(i).source(), s -> new ArrayList<>()).add(i);
        }
        final List<Integer> all = new ArrayList<>();
        for (int i = 0; i < examples.size(); i++) {
            all.add(i);
        }
        groups.put(ALL, all);
        final Map<String, Row> rows = new LinkedHashMap<>();
        groups.forEach((source, members) -> rows.put(source,
                row(source, members, examples, scores, strong, threshold)));
        return rows;
    }

    private static Row row(final String source, final List<Integer> members,
            final List<Example> examples, final double[] scores, final boolean[] strong,
            final double threshold) {
        final int n = members.size();
        final double[] s = new double[n];
        final boolean[] weakRight = new boolean[n];
        final boolean[] strongRight = new boolean[n];
        int sent = 0;
        int right = 0;
        for (int k = 0; k < n; k++) {
            final int i = members.get(k);
            final Example example = examples.get(i);
            s[k] = scores[i];
            weakRight[k] = example.weakCorrect();
            strongRight[k] = example.strongCorrect();
            sent += strong[i] ? 1 : 0;
            right += (strong[i] ? example.strongCorrect() : example.weakCorrect()) ? 1 : 0;
        }
        final Metrics.Summary summary = Metrics.summarise(s, weakRight, strongRight);
        return new Row(source, summary, threshold, n == 0 ? 0 : (double) sent / n,
                n == 0 ? 0 : (double) right / n,
                Metrics.randomSavingsAt(summary.weak(), summary.strong(), 0.95));
    }

    /**
     * The rows as one JSON object keyed by source, then {@value #ALL}; fractions in [0, 1].
     *
     * @param rows the rows
     * @return the object
     */
    static ObjectNode json(final Map<String, Row> rows) {
        final ObjectNode root = JsonNodeFactory.instance.objectNode();
        rows.forEach((source, row) -> {
            final Metrics.Summary m = row.router();
            final ObjectNode node = root.putObject(source);
            node.put("n", m.n());
            node.put("weak_quality", round(m.weak()));
            node.put("strong_quality", round(m.strong()));
            node.put("savings_at_95", round(m.savingsAt95()));
            putNumber(node, "apgr", m.apgr());
            node.put("cpt50", round(m.cpt50()));
            node.put("cpt80", round(m.cpt80()));
            putNumber(node, "threshold", row.threshold());
            node.put("strong_share_at_threshold", round(row.strongShare()));
            node.put("quality_at_threshold", round(row.qualityAtThreshold()));
            node.put("random_savings_at_95", round(row.randomSavingsAt95()));
            node.put("random_apgr", 0.5);
            node.put("random_cpt50", 0.5);
            node.put("random_cpt80", 0.8);
        });
        return root;
    }

    /**
     * The rows as a text table: per source, the learned router, the random router, always-weak
     * and always-strong.
     *
     * @param rows the rows
     * @return the table
     */
    static String table(final Map<String, Row> rows) {
        final StringBuilder out = new StringBuilder();
        final String format = "%-8s %6s  %-13s %8s %7s %7s %7s %8s %9s%n";
        out.append(String.format(Locale.ROOT, format, "SOURCE", "N", "ROUTER", "SAV@95%",
                "APGR", "CPT50", "CPT80", "STRONG%", "QUALITY"));
        rows.forEach((source, row) -> {
            final Metrics.Summary m = row.router();
            final String n = Integer.toString(m.n());
            out.append(String.format(Locale.ROOT, format, source, n, "learned",
                    pct(m.savingsAt95()), num(m.apgr()), pct(m.cpt50()), pct(m.cpt80()),
                    pct(row.strongShare()), pct(row.qualityAtThreshold())));
            final double gap = m.strong() - m.weak();
            final double randomQuality = m.weak() + row.strongShare() * gap;
            out.append(String.format(Locale.ROOT, format, "", "", "random",
                    pct(row.randomSavingsAt95()), num(gap > 0 ? 0.5 : Double.NaN),
                    pct(gap > 0 ? 0.5 : 0), pct(gap > 0 ? 0.8 : 0), pct(row.strongShare()),
                    pct(randomQuality)));
            out.append(String.format(Locale.ROOT, format, "", "", "always-weak",
                    m.weak() >= 0.95 * m.strong() ? pct(1) : "-", num(0), "-", "-", pct(0),
                    pct(m.weak())));
            out.append(String.format(Locale.ROOT, format, "", "", "always-strong", pct(0), "-",
                    "-", "-", pct(1), pct(m.strong())));
        });
        out.append("SAV@95%: savings (1 - strong-call share) at 95% of the strong model's "
                + "quality; APGR: average performance gap recovered;\nCPT50/CPT80: strong-call "
                + "share to recover 50%/80% of the gap; STRONG%/QUALITY: at the router's "
                + "threshold\n(the random router at the same strong-call share).\n");
        return out.toString();
    }

    private static String pct(final double value) {
        return Double.isNaN(value) ? "-" : String.format(Locale.ROOT, "%.1f%%", value * 100);
    }

    private static String num(final double value) {
        return Double.isNaN(value) ? "-" : String.format(Locale.ROOT, "%.3f", value);
    }

    private static double round(final double value) {
        return Math.round(value * 10000) / 10000.0;
    }

    private static void putNumber(final ObjectNode node, final String key, final double value) {
        if (Double.isNaN(value)) {
            node.putNull(key);
        } else {
            node.put(key, round(value));
        }
    }
}
