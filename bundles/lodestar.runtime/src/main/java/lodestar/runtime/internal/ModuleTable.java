package lodestar.runtime.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The modules Lodestar knows, which bundles belong to each, and whether each is enabled.
 * Built from {@code config/lodestar.modules.cfg}: {@code <module>.enabled=true|false} switches a
 * module, {@code <module>.bundles=glob,glob} sets (or defines) its bundles by symbolic name.
 * Modules not mentioned keep their defaults (enabled, built-in bundle patterns).
 *
 * @param modules the modules in display order
 * @param problems configuration problems found while building it (logged by the caller)
 */
record ModuleTable(List<Module> modules, List<String> problems) {

    /** Bundles no module may claim: the runtime cannot switch itself or the API off. */
    static final List<String> PROTECTED = List.of("lodestar.api", "lodestar.runtime");

    /** Built-in modules and their bundle patterns. */
    static final Map<String, List<String>> DEFAULTS = defaults();

    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]*");

    /** Normalises. */
    ModuleTable {
        modules = List.copyOf(modules);
        problems = List.copyOf(problems);
    }

    private static Map<String, List<String>> defaults() {
        final Map<String, List<String>> map = new LinkedHashMap<>();
        map.put("router", List.of("lodestar.router"));
        map.put("providers", List.of("lodestar.provider.*"));
        map.put("routing", List.of("lodestar.routing.*"));
        map.put("cache", List.of("lodestar.cache"));
        map.put("usage", List.of("lodestar.usage"));
        map.put("health", List.of("lodestar.health"));
        map.put("gpu-probe", List.of("lodestar.gpu"));
        map.put("learning", List.of("lodestar.learning", "lodestar.learning.*"));
        map.put("dashboard", List.of("lodestar.dashboard"));
        return map;
    }

    /**
     * Builds the table from configuration properties. Invalid entries are reported in
     * {@link #problems()}; for them the previous value ({@code previous}) stays in force.
     *
     * @param properties the configuration, may be {@code null}
     * @param previous the table in force before, or {@code null}
     * @return the new table
     */
    static ModuleTable from(final Map<String, ?> properties, final ModuleTable previous) {
        final Map<String, Boolean> enabled = new LinkedHashMap<>();
        final Map<String, List<String>> patterns = new LinkedHashMap<>(DEFAULTS);
        DEFAULTS.keySet().forEach(name -> enabled.put(name, Boolean.TRUE));
        final List<String> problems = new ArrayList<>();
        if (properties != null) {
            for (final Map.Entry<String, ?> entry : properties.entrySet()) {
                parseEntry(entry.getKey(), String.valueOf(entry.getValue()).trim(), enabled,
                        patterns, problems, previous);
            }
        }
        final List<Module> modules = new ArrayList<>();
        for (final Map.Entry<String, List<String>> entry : patterns.entrySet()) {
            final String name = entry.getKey();
            modules.add(new Module(name, enabled.getOrDefault(name, Boolean.TRUE),
                    entry.getValue()));
        }
        return new ModuleTable(modules, problems);
    }

    private static void parseEntry(final String key, final String value,
            final Map<String, Boolean> enabled, final Map<String, List<String>> patterns,
            final List<String> problems, final ModuleTable previous) {
        final int dot = key.lastIndexOf('.');
        if (dot <= 0 || ConfigReport.isInternal(key)) {
            return; // framework keys (service.pid, felix.fileinstall.filename, ...)
        }
        final String module = key.substring(0, dot);
        final String attribute = key.substring(dot + 1);
        if (!NAME.matcher(module).matches()) {
            problems.add("'" + key + "': module names are lower-case letters, digits and '-'");
            return;
        }
        switch (attribute) {
            case "enabled" -> {
                final String lower = value.toLowerCase(Locale.ROOT);
                if ("true".equals(lower) || "false".equals(lower)) {
                    enabled.put(module, Boolean.valueOf(lower));
                } else {
                    final boolean kept = previous == null
                            || previous.module(module).map(Module::enabled).orElse(true);
                    problems.add("'" + key + "' must be true or false, not '" + value
                            + "'; keeping " + kept);
                    enabled.put(module, kept);
                }
                patterns.putIfAbsent(module, List.of());
            }
            case "bundles" -> {
                final List<String> globs = new ArrayList<>();
                for (final String glob : value.split(",")) {
                    final String trimmed = glob.trim();
                    if (trimmed.isEmpty()) {
                        continue;
                    }
                    if (PROTECTED.stream().anyMatch(p -> globMatches(trimmed, p))) {
                        problems.add("'" + key + "': pattern '" + trimmed
                                + "' would claim a core bundle (" + PROTECTED + "); ignored");
                        continue;
                    }
                    globs.add(trimmed);
                }
                patterns.put(module, List.copyOf(globs));
                enabled.putIfAbsent(module, Boolean.TRUE);
            }
            default -> problems.add("unknown key '" + key
                    + "' (expected <module>.enabled or <module>.bundles)");
        }
    }

    /**
     * The module a bundle belongs to.
     *
     * @param symbolicName the bundle symbolic name
     * @return the module, empty for core and foreign bundles
     */
    Optional<Module> moduleOf(final String symbolicName) {
        if (symbolicName == null || PROTECTED.contains(symbolicName)) {
            return Optional.empty();
        }
        return modules.stream().filter(m -> m.matches(symbolicName)).findFirst();
    }

    /**
     * A module by name.
     *
     * @param name the module name
     * @return the module, if known
     */
    Optional<Module> module(final String name) {
        return modules.stream().filter(m -> m.name().equals(name)).findFirst();
    }

    static boolean globMatches(final String glob, final String name) {
        final StringBuilder regex = new StringBuilder();
        for (final char c : glob.toCharArray()) {
            regex.append(c == '*' ? ".*" : Pattern.quote(String.valueOf(c)));
        }
        return name.matches(regex.toString());
    }

    /**
     * One module.
     *
     * @param name the module name, e.g. {@code router}
     * @param enabled whether its bundles should run
     * @param bundlePatterns symbolic-name globs of its bundles
     */
    record Module(String name, boolean enabled, List<String> bundlePatterns) {

        /** Normalises. */
        Module {
            bundlePatterns = List.copyOf(bundlePatterns);
        }

        boolean matches(final String symbolicName) {
            return bundlePatterns.stream().anyMatch(g -> globMatches(g, symbolicName));
        }
    }
}
