package lodestar.learning.internal;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import org.osgi.util.converter.Converters;

/** The stand-in trainer script and command backends running it. */
final class Trainer {

    private Trainer() {
    }

    static Path script() {
        try {
            return Path.of(Trainer.class.getResource("/fake_trainer.sh").toURI());
        } catch (final URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static CommandBackendConfig config(final String mode, final Object... pairs) {
        final Map<String, Object> map = new HashMap<>();
        map.put("command", "sh " + script() + " --train {train} --output {output} --mode "
                + mode + " --job {job}");
        for (int i = 0; i < pairs.length; i += 2) {
            map.put((String) pairs[i], pairs[i + 1]);
        }
        return Converters.standardConverter().convert(map).to(CommandBackendConfig.class);
    }

    static CommandBackend backend(final String mode, final Object... pairs) {
        return new CommandBackend(config(mode, pairs));
    }

    static CommandBackend backend(final String mode, final LongSupplier clock,
            final Object... pairs) {
        return new CommandBackend(config(mode, pairs), clock);
    }
}
