package lodestar.store.internal;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.Locale;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcConnectionPool;
import org.h2.jdbcx.JdbcDataSource;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shared database: one H2 file under the data folder behind one {@link JdbcConnectionPool},
 * registered as a {@link DataSource} with {@code dataSourceName=lodestar}. Consumers own their
 * tables (each with its own prefix and schema version table); this bundle owns the file, the
 * pool and the durability settings.
 *
 * <p>H2 is used through its {@code org.h2.jdbcx} classes, not {@code DriverManager} and not a
 * {@code DataSourceFactory} service (H2 registers one only when the OSGi JDBC service package
 * is present, which the product does not ship): see ADR 0007.
 */
@Component(service = DataSource.class, configurationPid = "lodestar.store",
        configurationPolicy = ConfigurationPolicy.OPTIONAL,
        property = "dataSourceName=lodestar")
@Designate(ocd = StoreConfig.class)
public final class H2Store implements DataSource {

    private static final Logger LOG = LoggerFactory.getLogger(H2Store.class);
    private static final String DATA_DIR = "${lodestar.data.dir}";

    private final JdbcDataSource source;
    private final JdbcConnectionPool pool;
    private final boolean compactOnClose;
    private final String location;

    /**
     * Opens the pool (the database file itself opens with the first connection).
     *
     * @param config the configuration
     * @param context the bundle context, for {@code lodestar.data.dir}
     * @throws IOException when the data folder cannot be created
     */
    @Activate
    public H2Store(final StoreConfig config, final BundleContext context) throws IOException {
        final String data = context.getProperty("lodestar.data.dir");
        final Path dataDir = Path.of(data == null || data.isBlank() ? "data" : data)
                .toAbsolutePath().normalize();
        final String url = resolveUrl(config.url(), dataDir);
        this.location = filePart(url);
        if (location != null) {
            final Path parent = Path.of(location).getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
        }
        this.source = new JdbcDataSource();
        source.setURL(url);
        source.setUser(config.user());
        source.setPassword(config._password());
        this.pool = JdbcConnectionPool.create(source);
        pool.setMaxConnections(Math.max(1, config.maxConnections()));
        pool.setLoginTimeout(Math.max(1, config.loginTimeoutSeconds()));
        this.compactOnClose = config.compactOnClose();
        LOG.info("Store ready: {} (at most {} connections)", location == null ? "H2 "
                + url.split(";", 2)[0] : location, pool.getMaxConnections());
    }

    /**
     * Replaces {@code ${lodestar.data.dir}} and makes a relative H2 file path absolute (H2
     * refuses paths implicitly relative to the working folder).
     *
     * @param url the configured URL
     * @param dataDir the absolute data folder
     * @return the URL to open
     */
    static String resolveUrl(final String url, final Path dataDir) {
        final String configured = url == null || url.isBlank() ? StoreConfig.DEFAULT_URL : url;
        final String replaced = configured.replace(DATA_DIR, dataDir.toString()
                .replace('\\', '/'));
        final String prefix = replaced.startsWith("jdbc:h2:file:") ? "jdbc:h2:file:"
                : replaced.startsWith("jdbc:h2:") ? "jdbc:h2:" : null;
        if (prefix == null) {
            return replaced;
        }
        final int semicolon = replaced.indexOf(';');
        final String path = semicolon < 0 ? replaced.substring(prefix.length())
                : replaced.substring(prefix.length(), semicolon);
        final String rest = semicolon < 0 ? "" : replaced.substring(semicolon);
        final String lower = path.toLowerCase(Locale.ROOT);
        final boolean notAFile = lower.startsWith("mem:") || lower.startsWith("tcp:")
                || lower.startsWith("ssl:") || lower.startsWith("zip:")
                || lower.startsWith("~") || path.isEmpty();
        if (notAFile || Path.of(path).isAbsolute()) {
            return replaced;
        }
        return prefix + Path.of(path).toAbsolutePath().normalize().toString()
                .replace('\\', '/') + rest;
    }

    /**
     * The database file's path (without H2's {@code .mv.db} suffix), or {@code null} for an
     * in-memory or remote database.
     */
    static String filePart(final String url) {
        if (!url.startsWith("jdbc:h2:")) {
            return null;
        }
        String path = url.substring("jdbc:h2:".length());
        if (path.startsWith("file:")) {
            path = path.substring("file:".length());
        }
        final int semicolon = path.indexOf(';');
        path = semicolon < 0 ? path : path.substring(0, semicolon);
        final String lower = path.toLowerCase(Locale.ROOT);
        if (lower.startsWith("mem:") || lower.startsWith("tcp:") || lower.startsWith("ssl:")
                || lower.startsWith("zip:") || !Path.of(path.replace("~", "")).isAbsolute()) {
            return null;
        }
        return path;
    }

    /**
     * Closes the pool; idle connections close at once, borrowed ones when returned. With
     * {@code compactOnClose}, rewrites the file to its live data first.
     */
    @Deactivate
    void deactivate() {
        pool.dispose();
        if (compactOnClose) {
            final long started = System.nanoTime();
            try (Connection connection = source.getConnection();
                    Statement statement = connection.createStatement()) {
                statement.execute("SHUTDOWN COMPACT");
                LOG.info("Store compacted in {} ms", (System.nanoTime() - started) / 1_000_000);
            } catch (final SQLException e) {
                LOG.warn("Store compaction failed: {}", e.getMessage());
            }
        }
        LOG.info("Store closed");
    }

    /**
     * Connections borrowed now.
     *
     * @return the count
     */
    int activeConnections() {
        return pool.getActiveConnections();
    }

    @Override
    public Connection getConnection() throws SQLException {
        return pool.getConnection();
    }

    @Override
    public Connection getConnection(final String username, final String password)
            throws SQLException {
        throw new SQLFeatureNotSupportedException("the shared pool has one user");
    }

    @Override
    public PrintWriter getLogWriter() throws SQLException {
        return pool.getLogWriter();
    }

    @Override
    public void setLogWriter(final PrintWriter out) throws SQLException {
        pool.setLogWriter(out);
    }

    @Override
    public void setLoginTimeout(final int seconds) throws SQLException {
        pool.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() throws SQLException {
        return pool.getLoginTimeout();
    }

    @Override
    public java.util.logging.Logger getParentLogger() throws SQLFeatureNotSupportedException {
        throw new SQLFeatureNotSupportedException("no java.util.logging");
    }

    @Override
    public <T> T unwrap(final Class<T> type) throws SQLException {
        if (type.isInstance(this)) {
            return type.cast(this);
        }
        throw new SQLException("not a wrapper for " + type.getName());
    }

    @Override
    public boolean isWrapperFor(final Class<?> type) {
        return type.isInstance(this);
    }
}
