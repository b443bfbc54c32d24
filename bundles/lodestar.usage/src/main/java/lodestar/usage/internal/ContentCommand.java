package lodestar.usage.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Function;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Gogo command {@code lodestar:usage-content REQUEST_ID}: the stored request and answer of one
 * request (stored only while {@code storeContent=true}, kept {@code contentRetentionDays}). A
 * {@link Function} because a method cannot be named {@code usage-content}.
 */
@Component(service = Function.class, property = {"osgi.command.scope=lodestar",
    "osgi.command.function=usage-content"})
@Descriptor("Show the stored request and answer of a request: usage-content REQUEST_ID "
        + "(content is stored only with storeContent=true)")
public final class ContentCommand implements Function {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final UsageService usage;

    /**
     * Activates.
     *
     * @param usage usage tracking
     */
    @Activate
    public ContentCommand(@Reference final UsageService usage) {
        this.usage = usage;
    }

    @Override
    public Object execute(final CommandSession session, final List<Object> arguments) {
        if (arguments.size() != 1) {
            return usageText(arguments.isEmpty() ? "REQUEST_ID is required"
                    : "expected one REQUEST_ID, got " + arguments.size() + " argument(s)");
        }
        final String id = String.valueOf(arguments.get(0));
        if (id.startsWith("-")) {
            return usageText("unknown option " + id);
        }
        try {
            final List<Reports.Content> found = usage.reports().content(id);
            if (found.isEmpty()) {
                return "no stored content for request " + id + (usage.contentStats().isEmpty()
                        ? " (content is not being stored: storeContent=false)"
                        : " (content is kept " + Math.max(1, usage.config()
                                .contentRetentionDays()) + " day(s))") + "\n";
            }
            final StringBuilder out = new StringBuilder();
            for (final Reports.Content c : found) {
                out.append(text(c));
            }
            return out.toString();
        } catch (final SQLException e) {
            return "error: usage database unavailable: " + e.getMessage() + "\n";
        }
    }

    private static String usageText(final String problem) {
        return "error: " + problem + "\nusage: lodestar:usage-content REQUEST_ID\n";
    }

    /**
     * One stored exchange as text: its fields, then the request and the answer as indented
     * JSON.
     *
     * @param c the exchange
     * @return the text
     */
    static String text(final Reports.Content c) {
        return "request id     " + c.requestId() + "\n"
                + "timestamp      " + Instant.ofEpochMilli(c.tsMs()) + "\n"
                + "session        " + orDash(c.session()) + "\n"
                + "provider       " + orDash(c.provider()) + "\n"
                + "model          " + orDash(c.model()) + "\n"
                + "finish reason  " + orDash(c.finishReason()) + "\n"
                + "--- request\n" + pretty(c.request()) + "\n"
                + "--- answer\n" + pretty(c.answer()) + "\n";
    }

    private static String orDash(final String text) {
        return text == null ? "-" : text;
    }

    static String pretty(final String json) {
        if (json == null) {
            return "(none)";
        }
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(JSON.readTree(json));
        } catch (final JsonProcessingException e) {
            return json;
        }
    }
}
