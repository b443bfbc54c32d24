package lodestar.provider.anthropic.internal;

import static lodestar.provider.anthropic.internal.Fixtures.config;
import static lodestar.provider.anthropic.internal.Fixtures.properties;

import java.util.Map;
import lodestar.api.provider.ModelProvider;
import lodestar.provider.common.RegistrationContract;
import org.osgi.framework.BundleContext;

/** The component registers its service itself, with the provider id and the dialect. */
class RegistrationTest extends RegistrationContract {

    @Override
    protected ModelProvider activate(final BundleContext context,
            final Map<String, Object> props) {
        return new AnthropicProvider(context, config(props), props);
    }

    @Override
    protected void modify(final ModelProvider provider, final Map<String, Object> props) {
        ((AnthropicProvider) provider).modified(config(props), props);
    }

    @Override
    protected void deactivate(final ModelProvider provider) {
        ((AnthropicProvider) provider).deactivate();
    }

    @Override
    protected Map<String, Object> validProperties() {
        return properties("https://api.example.com");
    }

    @Override
    protected String dialect() {
        return AnthropicProvider.DIALECT;
    }
}
