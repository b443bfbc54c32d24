package lodestar.provider.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Dictionary;
import java.util.List;
import java.util.Map;
import lodestar.api.health.HealthContributor;
import lodestar.api.provider.ModelProvider;
import org.junit.jupiter.api.Test;
import org.osgi.framework.BundleContext;

/**
 * What every HTTP provider component must do with its services, run against each provider by a
 * subclass in its bundle's tests (test-jar): it registers its {@link ModelProvider} itself, with
 * exactly the provider id and the dialect as properties, follows an id change, unregisters on
 * deactivation, registers nothing with an invalid configuration and leaves no client thread
 * behind when the registration fails.
 */
public abstract class RegistrationContract {

    private final RecordingContext recording = new RecordingContext();
    private final List<String> calls = recording.calls;
    private final List<Dictionary<?, ?>> properties = recording.properties;

    /**
     * Activates the component as DS would.
     *
     * @param context the bundle context
     * @param properties the component properties
     * @return the component
     */
    protected abstract ModelProvider activate(BundleContext context,
            Map<String, Object> properties);

    /**
     * Calls the component's {@code @Modified} method.
     *
     * @param provider the component
     * @param properties the new properties
     */
    protected abstract void modify(ModelProvider provider, Map<String, Object> properties);

    /**
     * Calls the component's {@code @Deactivate} method.
     *
     * @param provider the component
     */
    protected abstract void deactivate(ModelProvider provider);

    /**
     * A valid, mutable configuration whose id defaults to {@code <dialect>-test}.
     *
     * @return the component properties
     */
    protected abstract Map<String, Object> validProperties();

    /**
     * The provider's dialect.
     *
     * @return the dialect
     */
    protected abstract String dialect();

    private BundleContext context() {
        return recording.context();
    }

    @Test
    void theServiceCarriesTheIdAndDialectAndFollowsIdChanges() {
        final Map<String, Object> props = validProperties();
        final ModelProvider provider = activate(context(), props);

        assertThat(calls).containsExactly("registerService " + ModelProvider.class.getName(),
                "registerService " + HealthContributor.class.getName());
        final Dictionary<?, ?> registered = properties.get(0);
        assertThat(registered.size()).isEqualTo(2);
        assertThat(registered.get(ModelProvider.PROVIDER_ID)).isEqualTo(dialect() + "-test");
        assertThat(registered.get(ProviderCore.DIALECT_PROPERTY)).isEqualTo(dialect());
        assertThat(provider.dialect()).isEqualTo(dialect());

        props.put("models", "other");
        modify(provider, props);
        assertThat(calls).hasSize(2);

        props.put("id", dialect());
        modify(provider, props);
        assertThat(calls).endsWith("setProperties");
        assertThat(properties.get(2).get(ModelProvider.PROVIDER_ID)).isEqualTo(dialect());
        assertThat(provider.id()).isEqualTo(dialect());

        deactivate(provider);
        assertThat(calls).endsWith("unregister");
        assertThat(provider.isAvailable()).isFalse();
    }

    @Test
    void anInvalidConfigurationRegistersNothing() {
        final Map<String, Object> props = validProperties();
        props.put("totalTimeoutMs", "-5");
        assertThatThrownBy(() -> activate(context(), props))
                .hasMessageContaining("totalTimeoutMs must be positive (is -5)");
        assertThat(calls).isEmpty();
    }

    @Test
    void aFailedRegistrationStopsTheHttpClient() {
        final Map<String, Object> props = validProperties();
        props.put("id", "unregistrable");
        final BundleContext stopping = RecordingContext.refusing("bundle is stopping");
        assertThatThrownBy(() -> activate(stopping, props))
                .isInstanceOf(IllegalStateException.class).hasMessage("bundle is stopping");
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(thread -> thread.isAlive()
                && thread.getName().startsWith("lodestar-" + dialect() + "-unregistrable-"));
    }
}
