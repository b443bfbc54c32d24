package lodestar.health.internal;

import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.Map;
import org.osgi.framework.BundleContext;
import org.osgi.util.converter.Converters;

/** Typed configurations and a bundle context for plain unit tests. */
final class Configs {

    private Configs() {
    }

    static HealthConfig health(final Object... keyValues) {
        return Converters.standardConverter().convert(map(keyValues)).to(HealthConfig.class);
    }

    static WebhookConfig webhook(final Object... keyValues) {
        return Converters.standardConverter().convert(map(keyValues)).to(WebhookConfig.class);
    }

    private static Map<String, Object> map(final Object... keyValues) {
        final Map<String, Object> map = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            map.put((String) keyValues[i], keyValues[i + 1]);
        }
        return map;
    }

    /** A bundle context that only answers {@code getProperty}. */
    static BundleContext context(final Map<String, String> properties) {
        return (BundleContext) Proxy.newProxyInstance(Configs.class.getClassLoader(),
                new Class<?>[] {BundleContext.class}, (proxy, method, args) ->
                        "getProperty".equals(method.getName()) ? properties.get((String) args[0])
                                : null);
    }
}
