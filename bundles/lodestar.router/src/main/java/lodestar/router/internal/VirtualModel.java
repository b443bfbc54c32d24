package lodestar.router.internal;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.metatype.annotations.Designate;

/**
 * One virtual model from its factory configuration. Every key of the file is also passed to
 * the strategy as a setting, so strategies can take their own keys.
 */
@Component(service = VirtualModel.class, configurationPid = "lodestar.router.model",
        configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = VirtualModelConfig.class, factory = true)
public final class VirtualModel {

    private final String name;
    private final String strategy;
    private final List<String> targets;
    private final String description;
    private final Map<String, String> settings;

    /**
     * Activates from configuration.
     *
     * @param config the typed configuration
     * @param properties all properties, passed to the strategy as settings
     */
    @Activate
    public VirtualModel(final VirtualModelConfig config, final Map<String, Object> properties) {
        if (config.name() == null || config.name().isBlank()) {
            throw new IllegalArgumentException("virtual model in "
                    + properties.get("felix.fileinstall.filename") + " has no 'name'");
        }
        this.name = config.name().trim();
        this.strategy = config.strategy().trim();
        this.targets = Arrays.stream(config.targets().split(",")).map(String::trim)
                .filter(s -> !s.isEmpty()).toList();
        this.description = config.description();
        final Map<String, String> map = new LinkedHashMap<>();
        properties.forEach((k, v) -> {
            if (!k.startsWith("service.") && !k.startsWith("component.")
                    && !k.startsWith("felix.") && !k.startsWith(".")) {
                map.put(k, String.valueOf(v));
            }
        });
        this.settings = Map.copyOf(map);
    }


    /** @return the model name clients use */
    public String name() {
        return name;
    }

    /** @return the strategy name */
    public String strategy() {
        return strategy;
    }

    /** @return candidate targets in preference order */
    public List<String> targets() {
        return targets;
    }

    /** @return the description */
    public String description() {
        return description;
    }

    /** @return all settings, for the strategy */
    public Map<String, String> settings() {
        return settings;
    }
}
