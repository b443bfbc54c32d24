package lodestar.router.internal;

import java.util.Optional;
import lodestar.api.security.ClientKeys;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** The proxy's client keys (config {@code .proxyKeys}) offered to other bundles' endpoints. */
@Component(service = ClientKeys.class)
public final class RouterClientKeys implements ClientKeys {

    private final RouterCore core;

    /**
     * Activates.
     *
     * @param core the router
     */
    @Activate
    public RouterClientKeys(@Reference final RouterCore core) {
        this.core = core;
    }

    @Override
    public boolean required() {
        return !core.settings().proxyKeys().isEmpty();
    }

    @Override
    public Optional<String> authenticate(final String authorization, final String apiKey) {
        return core.authenticate(ClientRequest.presentedKey(authorization, apiKey));
    }
}
