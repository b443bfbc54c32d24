package lodestar.cache.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import lodestar.api.chat.ChatRequest;
import lodestar.api.chat.ChatResponse;
import lodestar.api.provider.ModelInfo;
import org.junit.jupiter.api.Test;
import org.osgi.util.converter.Converters;

class ExactCacheTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ModelInfo SMALL = new ModelInfo("small", "local", 8000, false, false,
            true, 0, 0);
    private static final ModelInfo LARGE = new ModelInfo("large", "paid", 8000, false, false,
            false, 0, 0);

    /** A clock the test moves. */
    private static final class Manual extends Clock {
        private Instant now = Instant.parse("2026-11-26T10:00:00Z");

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(final java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    private static CacheConfig config(final Object... keyValues) {
        final Map<String, Object> map = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            map.put((String) keyValues[i], keyValues[i + 1]);
        }
        return Converters.standardConverter().convert(map).to(CacheConfig.class);
    }

    private static ChatRequest request(final String model, final String text,
            final String extra) throws Exception {
        return JSON.readValue(("{'model':'" + model + "','temperature':0,'messages':"
                + "[{'role':'user','content':'" + text + "'}]" + extra + "}")
                .replace('\'', '"'), ChatRequest.class);
    }

    private static ChatResponse answer(final String text) throws Exception {
        return JSON.readValue(("{'id':'x','object':'chat.completion','created':1,'model':'m',"
                + "'choices':[{'index':0,'message':{'role':'assistant','content':'" + text
                + "'},'finish_reason':'stop'}],'usage':{'prompt_tokens':3,"
                + "'completion_tokens':2,'total_tokens':5}}").replace('\'', '"'),
                ChatResponse.class);
    }

    @Test
    void anExactRepeatOnTheSameModelHitsAndExpiresAfterTheTtl() throws Exception {
        final Manual clock = new Manual();
        final ExactCache cache = new ExactCache(config("ttlSeconds", 60), clock);
        assertThat(cache.get(SMALL, request("cheap", "hi", ""))).isEmpty();
        cache.put(SMALL, request("cheap", "hi", ""), answer("hello"));

        // the client's model name, stream flags and user do not change the answer
        assertThat(cache.get(SMALL, request("local", "hi", ",'user':'bob','stream':false")))
                .get().extracting(a -> a.choices().get(0).message().text()).isEqualTo("hello");
        assertThat(cache.get(LARGE, request("cheap", "hi", ""))).as("other model").isEmpty();
        assertThat(cache.get(SMALL, request("cheap", "hi!", ""))).as("other text").isEmpty();
        assertThat(cache.get(SMALL, request("cheap", "hi", ",'max_tokens':5")))
                .as("other parameters").isEmpty();
        // key order in the request does not matter
        assertThat(cache.key(SMALL, JSON.readValue("{\"temperature\":0,\"model\":\"a\","
                + "\"messages\":[{\"content\":\"hi\",\"role\":\"user\"}]}", ChatRequest.class)))
                .isEqualTo(cache.key(SMALL, request("b", "hi", "")));

        clock.now = clock.now.plus(Duration.ofSeconds(61));
        assertThat(cache.get(SMALL, request("cheap", "hi", ""))).isEmpty();
        assertThat(cache.stats()).containsEntry("hits", 1L).containsEntry("stores", 1L)
                .containsEntry("entries", 0L);
    }

    @Test
    void boundsEvictTheLeastRecentlyUsed() throws Exception {
        final ExactCache cache = new ExactCache(config("maxEntries", 2), new Manual());
        cache.put(SMALL, request("m", "a", ""), answer("A"));
        cache.put(SMALL, request("m", "b", ""), answer("B"));
        assertThat(cache.get(SMALL, request("m", "a", ""))).isPresent();
        cache.put(SMALL, request("m", "c", ""), answer("C"));
        assertThat(cache.get(SMALL, request("m", "b", ""))).as("least recently used").isEmpty();
        assertThat(cache.get(SMALL, request("m", "a", ""))).isPresent();
        assertThat(cache.stats()).containsEntry("evictions", 1L);

        final ExactCache small = new ExactCache(config("maxBytes", 400, "maxEntryBytes", 300),
                new Manual());
        small.put(SMALL, request("m", "a", ""), answer("A"));
        small.put(SMALL, request("m", "b", ""), answer("B"));
        assertThat(small.stats().get("bytes")).isLessThanOrEqualTo(400L);
        small.put(SMALL, request("m", "big", ""), answer("x".repeat(500)));
        assertThat(small.get(SMALL, request("m", "big", ""))).as("too large").isEmpty();
    }

    @Test
    void disablingEmptiesAndCommandsReport() throws Exception {
        final ExactCache cache = new ExactCache(config(), new Manual());
        cache.put(SMALL, request("m", "a", ""), answer("A"));
        final CacheCommands commands = new CacheCommands(cache);
        assertThat(commands.cache()).contains("entries    1").contains("hit rate");
        cache.modified(config("enabled", false));
        assertThat(cache.get(SMALL, request("m", "a", ""))).isEmpty();
        cache.put(SMALL, request("m", "a", ""), answer("A"));
        assertThat(cache.stats()).containsEntry("entries", 0L);
        cache.modified(config());
        cache.put(SMALL, request("m", "a", ""), answer("A"));
        assertThat(commands.cacheclear()).contains("emptied");
        assertThat(cache.stats()).containsEntry("entries", 0L);
        cache.put(SMALL, request("m", "a", ""), JSON.readValue("{\"id\":\"x\",\"object\":"
                + "\"chat.completion\",\"created\":1,\"model\":\"m\",\"choices\":[]}",
                ChatResponse.class));
        assertThat(cache.stats()).as("empty answers are not cached").containsEntry("entries",
                0L);
    }
}
