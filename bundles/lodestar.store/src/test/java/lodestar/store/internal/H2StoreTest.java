package lodestar.store.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.BundleContext;
import org.osgi.util.converter.Converters;

class H2StoreTest {

    @TempDir
    Path dir;

    private static StoreConfig config(final Object... keyValues) {
        final Map<String, Object> map = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            map.put((String) keyValues[i], keyValues[i + 1]);
        }
        return Converters.standardConverter().convert(map).to(StoreConfig.class);
    }

    private static BundleContext context(final String dataDir) {
        return (BundleContext) Proxy.newProxyInstance(H2StoreTest.class.getClassLoader(),
                new Class<?>[] {BundleContext.class}, (proxy, method, args) ->
                        "getProperty".equals(method.getName())
                                && "lodestar.data.dir".equals(args[0]) ? dataDir : null);
    }

    @Test
    void opensTheDefaultFileUnderTheDataFolderAndKeepsDataAcrossRestarts() throws Exception {
        final Path data = dir.resolve("data");
        H2Store store = new H2Store(config(), context(data.toString()));
        try (Connection c = store.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE t(id INT)");
            s.execute("INSERT INTO t VALUES (42)");
            assertThat(store.activeConnections()).isEqualTo(1);
        }
        store.deactivate();
        assertThat(data.resolve("lodestar.mv.db")).exists();

        store = new H2Store(config("compactOnClose", true), context(data.toString()));
        try (Connection c = store.getConnection(); Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT id FROM t")) {
            assertThat(r.next()).isTrue();
            assertThat(r.getInt(1)).isEqualTo(42);
        }
        store.deactivate();
    }

    @Test
    void theDataFolderDefaultsToDataInTheWorkingFolder() {
        final String url = H2Store.resolveUrl(StoreConfig.DEFAULT_URL,
                Path.of("data").toAbsolutePath());
        assertThat(url).startsWith("jdbc:h2:file:" + Path.of("data").toAbsolutePath()
                + "/lodestar;").contains("WRITE_DELAY=0").contains("DB_CLOSE_ON_EXIT=FALSE");
        assertThat(H2Store.resolveUrl("", Path.of("/x"))).startsWith("jdbc:h2:file:/x/lodestar;");
        assertThat(H2Store.resolveUrl(null, Path.of("/x"))).startsWith("jdbc:h2:file:/x/");
    }

    @Test
    void relativePathsBecomeAbsoluteAndOtherUrlsAreLeftAlone() {
        final Path data = Path.of("/srv/lodestar/data");
        assertThat(H2Store.resolveUrl("jdbc:h2:file:db/x;MODE=REGULAR", data))
                .isEqualTo("jdbc:h2:file:" + Path.of("db/x").toAbsolutePath() + ";MODE=REGULAR");
        assertThat(H2Store.resolveUrl("jdbc:h2:./db/x", data))
                .isEqualTo("jdbc:h2:" + Path.of("db/x").toAbsolutePath());
        assertThat(H2Store.resolveUrl("jdbc:h2:mem:t", data)).isEqualTo("jdbc:h2:mem:t");
        assertThat(H2Store.resolveUrl("jdbc:h2:tcp://localhost/x", data))
                .isEqualTo("jdbc:h2:tcp://localhost/x");
        assertThat(H2Store.resolveUrl("jdbc:h2:file:/abs/x", data))
                .isEqualTo("jdbc:h2:file:/abs/x");
        assertThat(H2Store.resolveUrl("jdbc:postgresql://h/db", data))
                .isEqualTo("jdbc:postgresql://h/db");
        assertThat(H2Store.filePart("jdbc:h2:file:/abs/x;A=B")).isEqualTo("/abs/x");
        assertThat(H2Store.filePart("jdbc:h2:/abs/x")).isEqualTo("/abs/x");
        assertThat(H2Store.filePart("jdbc:h2:mem:t")).isNull();
        assertThat(H2Store.filePart("jdbc:other:x")).isNull();
    }

    @Test
    void anInMemoryDatabaseNeedsNoFolder() throws Exception {
        final H2Store store = new H2Store(config("url", "jdbc:h2:mem:store-test",
                "maxConnections", 2), context(null));
        try (Connection c = store.getConnection(); Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT 1")) {
            assertThat(r.next()).isTrue();
        }
        store.deactivate();
    }

    @Test
    void actsAsAPlainDataSource() throws Exception {
        final H2Store store = new H2Store(config("url", "jdbc:h2:mem:ds-test",
                "loginTimeoutSeconds", 5), context(dir.toString()));
        final DataSource ds = store;
        assertThat(ds.getLoginTimeout()).isEqualTo(5);
        ds.setLoginTimeout(7);
        assertThat(ds.getLoginTimeout()).isEqualTo(7);
        final PrintWriter writer = new PrintWriter(new StringWriter());
        ds.setLogWriter(writer);
        assertThat(ds.getLogWriter()).isSameAs(writer);
        assertThat(ds.isWrapperFor(DataSource.class)).isTrue();
        assertThat(ds.isWrapperFor(String.class)).isFalse();
        assertThat(ds.unwrap(DataSource.class)).isSameAs(store);
        assertThatThrownBy(() -> ds.unwrap(String.class)).isInstanceOf(SQLException.class);
        assertThatThrownBy(() -> ds.getConnection("u", "p"))
                .isInstanceOf(SQLFeatureNotSupportedException.class);
        assertThatThrownBy(ds::getParentLogger)
                .isInstanceOf(SQLFeatureNotSupportedException.class);
        store.deactivate();
    }

    @Test
    void aFailedCompactionIsLoggedNotThrown() throws Exception {
        // a folder where the database file should be: H2 cannot open it
        Files.createDirectories(dir.resolve("bad.mv.db"));
        final H2Store store = new H2Store(config("url", "jdbc:h2:file:" + dir.resolve("bad"),
                "compactOnClose", true), context(dir.toString()));
        assertThatThrownBy(store::getConnection).isInstanceOf(SQLException.class);
        store.deactivate();
    }
}
