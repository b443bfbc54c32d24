package lodestar.usage.internal;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.SQLException;
import java.util.List;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Function;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Gogo command {@code lodestar:usage-export FILE [--since 7d] [--until X]}: every request of
 * the range written to FILE as a JSON array, row by row (constant memory). A {@link Function}
 * because a method cannot be named {@code usage-export}.
 */
@Component(service = Function.class, property = {"osgi.command.scope=lodestar",
    "osgi.command.function=usage-export"})
@Descriptor("Export every recorded request to a JSON file: usage-export FILE [--since 7d|all]"
        + " [--until X]")
public final class ExportCommand implements Function {

    private static final JsonFactory JSON = new JsonFactory();
    private final UsageService usage;

    /**
     * Activates.
     *
     * @param usage usage tracking
     */
    @Activate
    public ExportCommand(@Reference final UsageService usage) {
        this.usage = usage;
    }

    @Override
    public Object execute(final CommandSession session, final List<Object> arguments) {
        String file = null;
        String since = null;
        String until = null;
        for (int i = 0; i < arguments.size(); i++) {
            final String argument = String.valueOf(arguments.get(i));
            final boolean hasValue = i + 1 < arguments.size();
            if (("--since".equals(argument) || "-s".equals(argument)) && hasValue) {
                since = String.valueOf(arguments.get(++i));
            } else if (("--until".equals(argument) || "-u".equals(argument)) && hasValue) {
                until = String.valueOf(arguments.get(++i));
            } else if (!argument.startsWith("-") && file == null) {
                file = argument;
            } else {
                return usageText("unexpected argument '" + argument + "'");
            }
        }
        if (file == null) {
            return usageText("FILE is required");
        }
        try {
            final Params.Range range = Params.range(since, until, "all", usage.now());
            final Path target = Path.of(file).toAbsolutePath();
            final long rows = export(range, target);
            return "exported " + rows + " request(s) from " + range.from() + " to " + range.to()
                    + " into " + target + "\n";
        } catch (final Params.Invalid e) {
            return "error: " + e.getMessage() + "\n";
        } catch (final SQLException e) {
            return "error: usage database unavailable: " + e.getMessage() + "\n";
        } catch (final IOException e) {
            return "error: cannot write " + file + ": " + e.getMessage() + "\n";
        }
    }

    private long export(final Params.Range range, final Path target)
            throws SQLException, IOException {
        final Path parent = target.getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        final Path temp = target.resolveSibling(target.getFileName() + ".part");
        try {
            final long rows;
            try (JsonGenerator out = JSON.createGenerator(temp.toFile(), JsonEncoding.UTF8)) {
                out.writeStartArray();
                rows = usage.reports().export(range.fromMs(), range.toMs(),
                        row -> Json.exportRow(out, row));
                out.writeEndArray();
            }
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            return rows;
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    private static String usageText(final String problem) {
        return "error: " + problem + "\nusage: lodestar:usage-export FILE [--since 7d|all] "
                + "[--until X]\n";
    }
}
