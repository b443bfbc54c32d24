package lodestar.learning.internal;

import java.sql.SQLException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Gogo commands {@code lodestar:train start|status|cancel} and
 * {@code lodestar:model list|history|approve|promote|rollback}.
 */
@Component(service = TrainingCommands.class, property = {"osgi.command.scope=lodestar",
    "osgi.command.function=train", "osgi.command.function=model"})
public final class TrainingCommands {

    private static final String TRAIN_USAGE = "usage: lodestar:train start DATASET "
            + "[key=value ...] | lodestar:train status [JOB] | lodestar:train cancel JOB\n"
            + "  keys: backend, name, base, and any hyper-parameter (epochs=2 ...)\n";
    private static final String MODEL_USAGE = "usage: lodestar:model list [NAME] | history NAME"
            + " | approve NAME VERSION [--override] | promote NAME VERSION | rollback NAME\n"
            + "  --override approves although the quality benchmark's gate refuses (recorded)\n";

    private final TrainingService training;
    private final ModelRegistry registry;

    /**
     * Activates.
     *
     * @param training the training jobs
     * @param registry the model registry
     */
    @Activate
    public TrainingCommands(@Reference final TrainingService training,
            @Reference final ModelRegistry registry) {
        this.training = training;
        this.registry = registry;
    }

    /**
     * Training jobs.
     *
     * @param args {@code start DATASET [key=value...]}, {@code status [JOB]},
     *     {@code cancel JOB}
     * @return the outcome
     * @throws SQLException on a database error
     */
    @Descriptor("Training: start DATASET [backend=.. name=.. base=.. epochs=..] | status [JOB]"
            + " | cancel JOB")
    public String train(@Descriptor("start|status|cancel and arguments") final String... args)
            throws SQLException {
        if (args.length == 0) {
            return TRAIN_USAGE;
        }
        switch (args[0]) {
            case "start": {
                if (args.length < 2) {
                    return TRAIN_USAGE;
                }
                final Map<String, String> params = new LinkedHashMap<>();
                String backend = null;
                String name = null;
                String base = null;
                for (int i = 2; i < args.length; i++) {
                    final int eq = args[i].indexOf('=');
                    if (eq <= 0) {
                        return "not key=value: " + args[i] + "\n" + TRAIN_USAGE;
                    }
                    final String key = args[i].substring(0, eq);
                    final String value = args[i].substring(eq + 1);
                    switch (key) {
                        case "backend" -> backend = value;
                        case "name" -> name = value;
                        case "base" -> base = value;
                        default -> params.put(key, value);
                    }
                }
                try {
                    final TrainingService.Job job = training.start(new TrainingService.Request(
                            args[1], backend, name, base, params));
                    return "queued " + job.id() + " (dataset " + job.datasetId() + ", backend "
                            + job.backend() + ", base " + job.baseModel() + ")\n  log: "
                            + job.logPath() + "\n";
                } catch (final IllegalArgumentException e) {
                    return e.getMessage() + "\n";
                }
            }
            case "status":
                return args.length > 1 ? status(args[1]) : status();
            case "cancel":
                if (args.length < 2) {
                    return TRAIN_USAGE;
                }
                return training.cancel(args[1]) ? "cancelling " + args[1] + "\n"
                        : args[1] + " is not queued or running\n";
            default:
                return TRAIN_USAGE;
        }
    }

    private String status() throws SQLException {
        final StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
                "%-24s %-10s %-20s %-8s %8s %9s %9s  %s%n", "JOB", "STATE", "DATASET", "BACKEND",
                "STEP", "LOSS", "EVAL", "MESSAGE"));
        for (final TrainingService.Job j : training.jobs()) {
            out.append(String.format(Locale.ROOT, "%-24s %-10s %-20s %-8s %8s %9s %9s  %s%n",
                    j.id(), j.state(), j.datasetId(), j.backend(), j.step() == null ? "-"
                    : j.step(), fmt(j.loss()), fmt(j.evalLoss()), j.message() == null ? ""
                    : j.message()));
        }
        return out.toString();
    }

    private String status(final String id) throws SQLException {
        return training.job(id).map(j -> String.format(Locale.ROOT, "job      %s%nstate    %s%n"
                + "dataset  %s%nbackend  %s%nbase     %s%nparams   %s%nstep     %s%n"
                + "loss     %s%neval     %s%nadapter  %s%nmodel    %s%nlog      %s%n"
                + "message  %s%n", j.id(), j.state(), j.datasetId(), j.backend(),
                j.baseModel(), j.params(), j.step() == null ? "-" : j.step(), fmt(j.loss()),
                fmt(j.evalLoss()), j.adapterDir() == null ? "-" : j.adapterDir(),
                j.modelVersion() == null ? "-" : j.modelName() + " v" + j.modelVersion(),
                j.logPath(), j.message() == null ? "" : j.message()))
                .orElse("no job " + id + "\n");
    }

    /**
     * The model registry.
     *
     * @param args {@code list [NAME]}, {@code history NAME}, {@code approve NAME VERSION},
     *     {@code promote NAME VERSION}, {@code rollback NAME}
     * @return the outcome
     * @throws SQLException on a database error
     */
    @Descriptor("Model registry: list [NAME] | history NAME | approve NAME VERSION [--override]"
            + " | promote NAME VERSION | rollback NAME")
    public String model(@Descriptor("list|history|approve|promote|rollback and arguments")
            final String... args) throws SQLException {
        final String actor = "gogo:" + LearningCommands.user();
        try {
            if (args.length == 0 || "list".equals(args[0])) {
                return list(registry.list(args.length > 1 ? args[1] : null));
            }
            if ("history".equals(args[0]) && args.length == 2) {
                final StringBuilder out = new StringBuilder();
                for (final ModelRegistry.Event e : registry.history(args[1])) {
                    out.append(String.format(Locale.ROOT, "%-24s v%-4d %-12s %-20s %s%n",
                            Instant.ofEpochMilli(e.atMs()), e.version(), e.action(), e.actor(),
                            e.detail() == null ? "" : e.detail()));
                }
                return out.toString();
            }
            if ("rollback".equals(args[0]) && args.length == 2) {
                final ModelRegistry.Version v = registry.rollback(args[1], actor);
                return "rolled back: " + v.name() + " v" + v.version() + " is live"
                        + deployed(v) + "\n";
            }
            final boolean override = args.length == 4 && "approve".equals(args[0])
                    && "--override".equals(args[3]);
            if ((args.length == 3 || override) && ("approve".equals(args[0])
                    || "promote".equals(args[0]))) {
                final int version = Integer.parseInt(args[2].startsWith("v")
                        ? args[2].substring(1) : args[2]);
                final ModelRegistry.Version v = "approve".equals(args[0])
                        ? registry.approve(args[1], version, actor, override)
                        : registry.promote(args[1], version, actor);
                return ("approve".equals(args[0]) ? "approved " : "live: ") + v.name() + " v"
                        + v.version() + deployed(v) + "\n";
            }
        } catch (final ModelRegistry.Refused e) {
            return "refused: " + e.getMessage() + "\n";
        } catch (final NumberFormatException e) {
            return "not a version number: " + args[2] + "\n";
        }
        return MODEL_USAGE;
    }

    private static String list(final List<ModelRegistry.Version> versions) {
        final StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
                "%-12s %4s %-10s %-20s %-24s %-20s %-10s %s%n", "NAME", "VER", "STATE",
                "DATASET", "BASE", "APPROVED BY", "BACKEND", "METRICS"));
        for (final ModelRegistry.Version v : versions) {
            out.append(String.format(Locale.ROOT, "%-12s %4d %-10s %-20s %-24s %-20s %-10s %s%n",
                    v.name(), v.version(), ModelRegistry.lower(v.state()), v.datasetId(),
                    v.baseModel(), v.approvedBy() == null ? "-" : v.approvedBy(), v.backend(),
                    v.metrics()));
        }
        return out.toString();
    }

    private static String deployed(final ModelRegistry.Version v) {
        return v.deployedAs() == null ? " (not deployed to Ollama)" : " (Ollama model "
                + v.deployedAs() + ")";
    }

    private static String fmt(final Double value) {
        return value == null ? "-" : String.format(Locale.ROOT, "%.4f", value);
    }
}
