package lodestar.provider.ollama.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import lodestar.api.health.HealthContributor;
import lodestar.api.provider.ModelProvider;
import org.junit.jupiter.api.Test;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

/** The component registers its service itself, with the configured id. */
class RegistrationTest {

    private final List<String> calls = Collections.synchronizedList(new ArrayList<>());
    private final List<Dictionary<?, ?>> properties =
            Collections.synchronizedList(new ArrayList<>());

    private BundleContext context() {
        final ClassLoader loader = getClass().getClassLoader();
        final ServiceRegistration<?> registration = (ServiceRegistration<?>) Proxy
                .newProxyInstance(loader, new Class<?>[] {ServiceRegistration.class},
                        (proxy, method, args) -> {
                            calls.add(method.getName());
                            if ("setProperties".equals(method.getName())) {
                                properties.add((Dictionary<?, ?>) args[0]);
                            }
                            if ("unregister".equals(method.getName()) && calls.stream()
                                    .filter("unregister"::equals).count() > 1) {
                                throw new IllegalStateException("already unregistered");
                            }
                            return null;
                        });
        return (BundleContext) Proxy.newProxyInstance(loader, new Class<?>[] {BundleContext.class},
                (proxy, method, args) -> {
                    if ("registerService".equals(method.getName())) {
                        calls.add("registerService " + ((Class<?>) args[0]).getName());
                        properties.add((Dictionary<?, ?>) args[2]);
                        return registration;
                    }
                    return null;
                });
    }

    private static Map<String, Object> config(final String id) {
        final Map<String, Object> map = new HashMap<>();
        map.put("service.pid", "lodestar.provider.ollama~local");
        map.put("models", "llama3.2:3b");
        if (id != null) {
            map.put("id", id);
        }
        return map;
    }

    @Test
    void theServiceCarriesTheIdAndFollowsItsChanges() {
        final OllamaProvider provider = new OllamaProvider(context(), config(null));

        assertThat(calls).containsExactly("registerService " + ModelProvider.class.getName(),
                "registerService " + HealthContributor.class.getName());
        assertThat(properties.get(0).get(ModelProvider.PROVIDER_ID)).isEqualTo("ollama-local");
        assertThat(properties.get(0).get("lodestar.provider.dialect")).isEqualTo("ollama");

        provider.modified(config(null));
        assertThat(calls).hasSize(2);

        provider.modified(config("ollama"));
        assertThat(calls).endsWith("setProperties");
        assertThat(properties.get(2).get(ModelProvider.PROVIDER_ID)).isEqualTo("ollama");

        provider.deactivate();
        assertThat(calls).endsWith("unregister");
        assertThat(provider.isAvailable()).isFalse();
    }
}
