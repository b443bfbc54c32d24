package lodestar.learning.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LearningStoreTest {

    @TempDir
    Path dir;
    private final AtomicLong clock = new AtomicLong(1_000);

    @Test
    void createsTheSchemaOnceAndRecordsItsVersion() throws Exception {
        final LearningStore store = Fixtures.store(dir, clock);
        assertThat(store.schemaVersion()).isEqualTo(3);
        try (Connection connection = store.dataSource().getConnection()) {
            assertThat(Schema.migrate(connection)).isEqualTo(3);
            assertThat(Schema.version(connection)).isEqualTo(3);
        }
        assertThat(store.home()).isEqualTo(dir.resolve("learning"));
        assertThat(LearningStore.dataDir(null)).isEqualTo(Path.of("data").toAbsolutePath());
        assertThat(LearningStore.dataDir("/x")).isEqualTo(Path.of("/x"));
        assertThat(Schema.resource("V999.sql")).isNull();
        assertThat(Schema.statements("-- c\nSELECT 1;\n\nSELECT\n 2")).containsExactly(
                "SELECT 1", "SELECT\n 2");
    }

    @Test
    void storesExchangesOnceAndScansThemInOrder() throws Exception {
        final LearningStore store = Fixtures.store(dir, clock);
        assertThat(store.insert(List.of())).isZero();
        assertThat(store.insert(List.of(Fixtures.exchange("b", 20, "q2", "a2", "stop"),
                Fixtures.exchange("a", 10, "q1", "a1", "stop")))).isEqualTo(2);
        assertThat(store.insert(List.of(Fixtures.exchange("a", 10, "q1", "a1", "stop"))))
                .isZero();
        final List<String> ids = new ArrayList<>();
        store.scan(e -> ids.add(e.requestId()));
        assertThat(ids).containsExactly("a", "b");
        assertThat(store.exchangeCount()).isEqualTo(2);
    }

    @Test
    void keepsTheLatestRatingAndChecksIt() throws Exception {
        final LearningStore store = Fixtures.store(dir, clock);
        store.insert(List.of(Fixtures.exchange("a", 10, "q1", "a1", "stop")));
        assertThat(store.feedback("a", 1, "http")).isTrue();
        assertThat(store.feedback("a", -0.5, "gogo")).isTrue();
        assertThat(store.feedback("later", 1, null)).isFalse();
        assertThat(store.ratings()).containsEntry("a", -0.5).containsEntry("later", 1.0);
        assertThatThrownBy(() -> store.feedback("a", 2, null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.feedback("a", Double.NaN, null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.feedback(" ", 0, null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.feedback(null, 0, null))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void configurationIsSwappedWhole() throws Exception {
        final LearningStore store = Fixtures.store(dir, clock);
        assertThat(store.config().collect()).isFalse();
        store.modified(Fixtures.config("collect", "true"));
        assertThat(store.config().collect()).isTrue();
        assertThat(store.now()).isEqualTo(1_000);
    }
}
