package lodestar.routing.auto.internal;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
public final class Dump {
    public static void main(String[] a) throws Exception {
        TrainingData.Loaded data = TrainingData.read(Path.of(a[0]));
        List<Example> ex = data.examples();
        List<SparseVector> v = Trainer.vectors(new Features(Trainer.DEFAULTS.features()), ex);
        for (String s : a[1].split(",")) {
            long seed = Long.parseLong(s);
            Trainer.Options o = new Trainer.Options(Trainer.DEFAULTS.features(), Label.GAIN, 0.006, 300,
                5, seed, 0.95, List.of(0.006));
            Trainer.Folded f = Trainer.crossValidate(ex, v, o, false);
            try (PrintWriter w = new PrintWriter("scores-" + seed + ".txt")) {
                for (int i = 0; i < ex.size(); i++) { w.println(ex.get(i).id() + " " + f.scores()[i]); }
            }
        }
    }
}
