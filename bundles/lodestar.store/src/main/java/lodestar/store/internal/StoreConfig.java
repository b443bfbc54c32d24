package lodestar.store.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Configuration of the shared database (PID {@code lodestar.store}). A change closes the pool
 * and opens a new one: every consumer is restarted by DS.
 */
@ObjectClassDefinition(name = "Lodestar store",
        description = "The shared embedded H2 database and its connection pool")
public @interface StoreConfig {

    /** The default JDBC URL; {@code ${lodestar.data.dir}} is the framework's data folder. */
    String DEFAULT_URL = "jdbc:h2:file:${lodestar.data.dir}/lodestar;DB_CLOSE_ON_EXIT=FALSE;"
            + "WRITE_DELAY=0";

    /** @return the JDBC URL */
    @AttributeDefinition(description = "H2 JDBC URL. ${lodestar.data.dir} is replaced by the "
            + "data folder; a relative file path is made absolute against the working folder. "
            + "WRITE_DELAY=0 makes every commit survive a killed process; "
            + "DB_CLOSE_ON_EXIT=FALSE lets consumers flush during shutdown")
    String url() default DEFAULT_URL;

    /** @return the database user */
    @AttributeDefinition(description = "Database user (the file is created with this user)")
    String user() default "sa";

    /** @return the database password */
    @AttributeDefinition(type = AttributeType.PASSWORD, description = "Database password "
            + "(private property, never published on the service)")
    String _password() default "";

    /** @return the most connections open at once */
    @AttributeDefinition(description = "Most connections open at once; a caller waits for a "
            + "free one up to loginTimeoutSeconds")
    int maxConnections() default 10;

    /** @return how long a caller waits for a free connection */
    @AttributeDefinition(description = "Seconds a caller waits for a free connection")
    int loginTimeoutSeconds() default 30;

    /** @return whether to rewrite the file compactly when the store stops */
    @AttributeDefinition(description = "Run SHUTDOWN COMPACT when the store stops: the file "
            + "shrinks to its live data, but stopping takes longer (seconds per GB)")
    boolean compactOnClose() default false;
}
