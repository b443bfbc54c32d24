package lodestar.runtime.internal;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import java.util.function.Function;

/**
 * The folders and address of this instance, as the running framework sees them: the folders from
 * {@code lodestar.config.dir} / {@code lodestar.deploy.dir} (set by {@code start-router.sh} from
 * the {@code LODESTAR_*} variables), else from the folders FileInstall actually watches
 * ({@code felix.fileinstall.dir}, config first); the address from the Felix HTTP properties.
 * Only the data folder falls back to {@code LODESTAR_DATA_DIR}, then {@code ~/.lodestar}.
 *
 * @param configDir the ConfigAdmin files folder ({@code LODESTAR_CONFIG_DIR})
 * @param deployDir the hot-deploy folder ({@code LODESTAR_DEPLOY_DIR})
 * @param dataDir the data folder ({@code LODESTAR_DATA_DIR})
 * @param bind the HTTP bind address ({@code LODESTAR_BIND})
 * @param port the HTTP port ({@code LODESTAR_PORT})
 */
record LodestarEnvironment(Path configDir, Path deployDir, Path dataDir, String bind, int port) {

    static final int DEFAULT_PORT = 4000;
    static final String DEFAULT_BIND = "127.0.0.1";

    /**
     * Reads the environment.
     *
     * @param property framework property lookup (e.g. {@code BundleContext::getProperty})
     * @param env environment variables
     * @return the environment
     */
    static LodestarEnvironment read(final Function<String, String> property,
            final Map<String, String> env) {
        final String home = System.getProperty("user.home", ".");
        final String[] watched = String.valueOf(property.apply("felix.fileinstall.dir"))
                .split(",");
        final Path config = path(value(property, "lodestar.config.dir",
                watched.length > 0 && !"null".equals(watched[0]) ? watched[0].trim() : "config"));
        final Path deploy = path(value(property, "lodestar.deploy.dir",
                watched.length > 1 ? watched[1].trim() : "deploy"));
        final Path data = path(value(property, env, "lodestar.data.dir", "LODESTAR_DATA_DIR",
                Paths.get(home, ".lodestar").toString()));
        final String bind = value(property, "org.apache.felix.http.host", DEFAULT_BIND);
        final String portText = value(property, "org.osgi.service.http.port",
                Integer.toString(DEFAULT_PORT));
        int port;
        try {
            port = Integer.parseInt(portText.trim());
        } catch (final NumberFormatException e) {
            port = DEFAULT_PORT;
        }
        return new LodestarEnvironment(config, deploy, data, bind, port);
    }

    private static String value(final Function<String, String> property, final String key,
            final String fallback) {
        final String fromProperty = property.apply(key);
        return fromProperty == null || fromProperty.isBlank() ? fallback : fromProperty;
    }

    private static String value(final Function<String, String> property,
            final Map<String, String> env, final String key, final String envName,
            final String fallback) {
        final String fromProperty = property.apply(key);
        if (fromProperty != null && !fromProperty.isBlank()) {
            return fromProperty;
        }
        final String fromEnv = env.get(envName);
        if (fromEnv != null && !fromEnv.isBlank()) {
            return fromEnv;
        }
        return fallback;
    }

    private static Path path(final String value) {
        return Paths.get(value).toAbsolutePath().normalize();
    }
}
