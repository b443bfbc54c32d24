package lodestar.runtime.internal;

import org.osgi.framework.Bundle;

/**
 * A bundle as reported by {@code /health} and {@code lodestar:status}.
 *
 * @param id the bundle id
 * @param symbolicName the symbolic name
 * @param version the version
 * @param state {@code INSTALLED}, {@code RESOLVED}, {@code STARTING}, {@code STOPPING},
 *     {@code ACTIVE} or {@code UNINSTALLED}
 * @param module the module it belongs to, or {@code null}
 */
public record BundleView(long id, String symbolicName, String version, String state,
        String module) {

    static BundleView of(final Bundle bundle, final String module) {
        return new BundleView(bundle.getBundleId(), bundle.getSymbolicName(),
                bundle.getVersion().toString(), stateName(bundle.getState()), module);
    }

    static String stateName(final int state) {
        return switch (state) {
            case Bundle.INSTALLED -> "INSTALLED";
            case Bundle.RESOLVED -> "RESOLVED";
            case Bundle.STARTING -> "STARTING";
            case Bundle.STOPPING -> "STOPPING";
            case Bundle.ACTIVE -> "ACTIVE";
            case Bundle.UNINSTALLED -> "UNINSTALLED";
            default -> "UNKNOWN(" + state + ")";
        };
    }
}
