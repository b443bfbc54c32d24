package lodestar.routing.auto.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import lodestar.api.routing.RoutingStrategy;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Function;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Gogo commands {@code lodestar:train-router}, {@code lodestar:eval-routing} and
 * {@code lodestar:auto-router}. Each is a {@link Function} because a Java method cannot be named
 * with a hyphen. Paths are relative to Lodestar's working directory.
 */
final class RoutingCommands {

    private RoutingCommands() {
    }

    private static List<String> strings(final List<Object> arguments) {
        final List<String> out = new ArrayList<>();
        arguments.forEach(a -> out.add(String.valueOf(a)));
        return out;
    }

    private static String run(final String usage, final List<String> args) {
        try {
            return RoutingTool.run(args.toArray(String[]::new));
        } catch (final IllegalArgumentException e) {
            return "error: " + e.getMessage() + "\n" + usage;
        } catch (final IOException | RuntimeException e) {
            return "error: " + e.getMessage() + "\n";
        }
    }

    /** {@code lodestar:train-router FILE OUT [options]}. */
    @Component(service = Function.class, property = {"osgi.command.scope=lodestar",
        "osgi.command.function=train-router"})
    @Descriptor("Train a router model: train-router FILE.jsonl OUT.json [--l2 X] [--label "
            + "gain|need|weak] [--bigrams W] [--folds K] ...; load it with modelFile in "
            + "lodestar.routing.auto")
    public static final class Train implements Function {

        private static final String USAGE = "usage: lodestar:train-router FILE.jsonl OUT.json "
                + "[--label gain|need|weak] [--l2 X[,Y,...]] [--bigrams W] [--trigrams W] "
                + "[--chars N[:W]] [--norm C] [--no-shape] [--bits B] [--no-kind] "
                + "[--iterations N] [--folds K] [--seed S]\n";

        @Override
        public Object execute(final CommandSession session, final List<Object> arguments) {
            final List<String> args = new ArrayList<>(List.of("train"));
            args.addAll(strings(arguments));
            return run(USAGE, args);
        }
    }

    /** {@code lodestar:eval-routing TRAIN TEST [--json] [options]} or {@code --cv K FILE}. */
    @Component(service = Function.class, property = {"osgi.command.scope=lodestar",
        "osgi.command.function=eval-routing"})
    @Descriptor("Evaluate the learned router: eval-routing TRAIN.jsonl TEST.jsonl [--json], or "
            + "eval-routing --cv K FILE.jsonl; prints savings at 95%, APGR, CPT(50%), CPT(80%) "
            + "beside the random router")
    public static final class Eval implements Function {

        private static final String USAGE = "usage: lodestar:eval-routing TRAIN.jsonl TEST.jsonl"
                + " [--json] [options], or lodestar:eval-routing --cv K FILE.jsonl [--json] "
                + "[options]\n";

        @Override
        public Object execute(final CommandSession session, final List<Object> arguments) {
            final List<String> given = strings(arguments);
            final List<String> args = new ArrayList<>(List.of("eval"));
            final List<String> positional = new ArrayList<>();
            boolean cv = false;
            for (int i = 0; i < given.size(); i++) {
                final String arg = given.get(i);
                if (arg.startsWith("--")) {
                    args.add(arg);
                    cv |= "--cv".equals(arg);
                    if (!"--json".equals(arg) && !"--no-kind".equals(arg)
                            && i + 1 < given.size()) {
                        args.add(given.get(++i));
                    }
                } else {
                    positional.add(arg);
                }
            }
            if (cv) {
                args.addAll(positional);
            } else if (positional.size() == 2) {
                args.addAll(List.of("--train", positional.get(0), "--test", positional.get(1)));
            } else {
                return "error: TRAIN and TEST are required\n" + USAGE;
            }
            return run(USAGE, args);
        }
    }

    /** {@code lodestar:auto-router}: the model and threshold in force. */
    @Component(service = Function.class, property = {"osgi.command.scope=lodestar",
        "osgi.command.function=auto-router"})
    @Descriptor("The auto strategy's router model in force: source, id, label, threshold and "
            + "its cross-validated metrics")
    public static final class Status implements Function {

        private final AutoStrategy strategy;

        /**
         * Activates.
         *
         * @param strategy the auto strategy of this bundle
         */
        @Activate
        public Status(@Reference(target = "(component.name=" + AutoStrategy.PID + ")")
                final RoutingStrategy strategy) {
            this.strategy = (AutoStrategy) strategy;
        }

        @Override
        public Object execute(final CommandSession session, final List<Object> arguments) {
            return describe(strategy.current());
        }

        /**
         * Describes the router in force.
         *
         * @param current the router and its source
         * @return the text
         */
        static String describe(final AutoStrategy.Current current) {
            final AutoRouter router = current.router();
            final RouterModel model = router.model();
            final JsonNode training = model.training();
            final StringBuilder out = new StringBuilder();
            out.append(String.format(Locale.ROOT, "model      %s (%s)%n", model.id(),
                    current.source()));
            out.append(String.format(Locale.ROOT, "label      %s; %d non-zero weights in 2^%d%n",
                    model.label().id(), model.nonZeroWeights(), model.featureConfig().bits()));
            out.append(String.format(Locale.ROOT, "threshold  p(local ok) >= %.4f stays on the "
                    + "cheap tier (%s; recommended %.4f)%n", router.defaultThreshold(),
                    Double.isNaN(router.settings().threshold()) ? "recommended by the model"
                            : "configured", model.recommendedThreshold()));
            out.append(String.format(Locale.ROOT, "trained    on %s (n=%d, sha256 %s) at %s%n",
                    training.path("file").asText("?"), training.path("n").asInt(),
                    training.path("sha256").asText("?"), training.path("date").asText("?")));
            final JsonNode cv = training.path("cv");
            if (cv.isObject()) {
                out.append(String.format(Locale.ROOT, "%-10s %6s %8s %7s %7s %7s %9s%n",
                        "CV", "N", "SAV@95%", "APGR", "CPT50", "CPT80", "RANDOM"));
                cv.fields().forEachRemaining(e -> out.append(String.format(Locale.ROOT,
                        "%-10s %6d %7.1f%% %7.3f %6.1f%% %6.1f%% %8.1f%%%n", e.getKey(),
                        e.getValue().path("n").asInt(),
                        e.getValue().path("savings_at_95").asDouble() * 100,
                        e.getValue().path("apgr").asDouble(),
                        e.getValue().path("cpt50").asDouble() * 100,
                        e.getValue().path("cpt80").asDouble() * 100,
                        e.getValue().path("random_savings_at_95").asDouble() * 100)));
            }
            out.append(String.format(Locale.ROOT, "settings   hints %s, escalate %s, fallbackDown "
                    + "%s, markerBoost %.2f%n", router.settings().hints(),
                    router.settings().escalate(), router.settings().fallbackDown(),
                    router.settings().markerBoost()));
            return out.toString();
        }
    }
}
