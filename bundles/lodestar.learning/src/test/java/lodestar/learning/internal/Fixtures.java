package lodestar.learning.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import lodestar.api.event.ExchangeContent;
import org.h2.jdbcx.JdbcDataSource;
import org.osgi.util.converter.Converters;

/** Test helpers: an in-memory H2, typed configurations, exchanges. */
final class Fixtures {

    static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicInteger DATABASES = new AtomicInteger();

    private Fixtures() {
    }

    static DataSource database() {
        final JdbcDataSource source = new JdbcDataSource();
        source.setURL("jdbc:h2:mem:learning" + DATABASES.incrementAndGet()
                + ";DB_CLOSE_DELAY=-1");
        return source;
    }

    static LearningConfig config(final Object... pairs) {
        final Map<String, Object> map = new HashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            map.put((String) pairs[i], pairs[i + 1]);
        }
        return Converters.standardConverter().convert(map).to(LearningConfig.class);
    }

    static LearningStore store(final Path dir, final AtomicLong clock, final Object... pairs)
            throws SQLException {
        return new LearningStore(config(pairs), dir, database(), clock::get);
    }

    static JsonNode json(final String text) {
        try {
            return JSON.readTree(text);
        } catch (final Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    static JsonNode request(final String user) {
        return JSON.createObjectNode().put("model", "auto").set("messages", JSON.createArrayNode()
                .add(JSON.createObjectNode().put("role", "system").put("content", "Be brief."))
                .add(JSON.createObjectNode().put("role", "user").put("content", user)));
    }

    static JsonNode answer(final String text, final String finish) {
        return JSON.createObjectNode().put("object", "chat.completion").set("choices",
                JSON.createArrayNode().add(JSON.createObjectNode().put("index", 0)
                        .put("finish_reason", finish).set("message", JSON.createObjectNode()
                                .put("role", "assistant").put("content", text))));
    }

    static ExchangeContent content(final String id, final long ts, final String user,
            final String answer, final String finish) {
        return new ExchangeContent(id, Instant.ofEpochMilli(ts), "s1", "ollama", "llama3.2:3b",
                request(user), answer(answer, finish), finish);
    }

    static LearningStore.Exchange exchange(final String id, final long ts, final String user,
            final String answer, final String finish) {
        return new LearningStore.Exchange(id, ts, "s1", "ollama", "llama3.2:3b", finish,
                request(user).toString(), answer(answer, finish).toString(), 0);
    }
}
