package lodestar.routing.auto.internal;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;

/** Writes the out-of-fold scores of the shipped learner (L2 0.006) for each fold seed given. */
public final class Dump {

    private Dump() {
    }

    /**
     * Runs.
     *
     * @param args the data file and the fold seeds, comma-separated
     * @throws Exception when a file cannot be read or written
     */
    public static void main(final String[] args) throws Exception {
        final TrainingData.Loaded data = TrainingData.read(Path.of(args[0]));
        final List<Example> examples = data.examples();
        final List<SparseVector> vectors = Trainer.vectors(
                new Features(Trainer.DEFAULTS.features()), examples);
        for (final String text : args[1].split(",")) {
            final long seed = Long.parseLong(text);
            final Trainer.Options options = new Trainer.Options(Trainer.DEFAULTS.features(),
                    Label.GAIN, 0.006, 300, 5, seed, 0.95, List.of(0.006));
            final Trainer.Folded folded = Trainer.crossValidate(examples, vectors, options,
                    false);
            try (PrintWriter out = new PrintWriter("scores-" + seed + ".txt")) {
                for (int i = 0; i < examples.size(); i++) {
                    out.println(examples.get(i).id() + " " + folded.scores()[i]);
                }
            }
        }
    }
}
