package lodestar.provider.gemini.internal;

import static lodestar.provider.gemini.internal.Fixtures.config;
import static lodestar.provider.gemini.internal.Fixtures.properties;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Dictionary;
import java.util.List;
import java.util.Map;
import lodestar.api.health.HealthContributor;
import lodestar.api.provider.ModelProvider;
import org.junit.jupiter.api.Test;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

/** The component registers its service itself, with the provider id and the dialect. */
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
                            if ("unregister".equals(method.getName())) {
                                throw new IllegalStateException("already unregistered");
                            }
                            return null;
                        });
        return (BundleContext) Proxy.newProxyInstance(loader,
                new Class<?>[] {BundleContext.class}, (proxy, method, args) -> {
                    if ("registerService".equals(method.getName())) {
                        calls.add("registerService " + ((Class<?>) args[0]).getName());
                        properties.add((Dictionary<?, ?>) args[2]);
                        return registration;
                    }
                    return null;
                });
    }

    @Test
    void theServiceCarriesTheIdAndDialectAndFollowsIdChanges() {
        final Map<String, Object> props = properties("https://api.example.com/v1");
        final GeminiProvider provider = new GeminiProvider(context(), config(props), props);

        assertThat(calls).containsExactly("registerService " + ModelProvider.class.getName(),
                "registerService " + HealthContributor.class.getName());
        final Dictionary<?, ?> registered = properties.get(0);
        assertThat(registered.size()).isEqualTo(2);
        assertThat(registered.get(ModelProvider.PROVIDER_ID)).isEqualTo("gemini-test");
        assertThat(registered.get("lodestar.provider.dialect")).isEqualTo("gemini");

        props.put("models", "other");
        provider.modified(config(props), props);
        assertThat(calls).hasSize(2);

        props.put("id", "gemini");
        provider.modified(config(props), props);
        assertThat(calls).endsWith("setProperties");
        assertThat(properties.get(2).get(ModelProvider.PROVIDER_ID)).isEqualTo("gemini");

        provider.deactivate();
        assertThat(calls).endsWith("unregister");
        assertThat(provider.isAvailable()).isFalse();
    }

    @Test
    void anInvalidConfigurationRegistersNothing() {
        final Map<String, Object> props = properties("https://api.example.com/v1");
        props.put("totalTimeoutMs", "-5");
        assertThatThrownBy(() -> new GeminiProvider(context(), config(props), props))
                .hasMessageContaining("totalTimeoutMs must be positive (is -5)");
        assertThat(calls).isEmpty();
    }

    @Test
    void aFailedRegistrationStopsTheHttpClient() {
        final Map<String, Object> props = properties("https://api.example.com/v1");
        props.put("id", "unregistrable");
        final BundleContext stopping = (BundleContext) Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[] {BundleContext.class},
                (proxy, method, args) -> {
                    throw new IllegalStateException("bundle is stopping");
                });
        assertThatThrownBy(() -> new GeminiProvider(stopping, config(props), props))
                .isInstanceOf(IllegalStateException.class).hasMessage("bundle is stopping");
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(thread -> thread.isAlive()
                && thread.getName().startsWith("lodestar-gemini-unregistrable-"));
    }
}
