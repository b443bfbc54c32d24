package lodestar.runtime.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ModuleTableTest {

    private static Map<String, Object> config(final String... keyValues) {
        final Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            map.put(keyValues[i], keyValues[i + 1]);
        }
        map.put("service.pid", "lodestar.modules");
        map.put("felix.fileinstall.filename", "file:/c/lodestar.modules.cfg");
        return map;
    }

    @Test
    void everyBuiltInModuleIsEnabledByDefault() {
        final ModuleTable table = ModuleTable.from(null, null);

        assertThat(table.modules()).extracting(ModuleTable.Module::name)
                .containsExactly("router", "providers", "routing", "cache", "usage", "health",
                        "gpu-probe", "learning", "dashboard");
        assertThat(table.modules()).allMatch(ModuleTable.Module::enabled);
        assertThat(table.problems()).isEmpty();
    }

    @Test
    void bundlesMapToTheirModule() {
        final ModuleTable table = ModuleTable.from(config(), null);

        assertThat(table.moduleOf("lodestar.provider.openai")).map(ModuleTable.Module::name)
                .contains("providers");
        assertThat(table.moduleOf("lodestar.gpu")).map(ModuleTable.Module::name)
                .contains("gpu-probe");
        assertThat(table.moduleOf("lodestar.learning.trainer")).map(ModuleTable.Module::name)
                .contains("learning");
        assertThat(table.moduleOf("lodestar.runtime")).isEmpty();
        assertThat(table.moduleOf("lodestar.api")).isEmpty();
        assertThat(table.moduleOf("org.apache.felix.scr")).isEmpty();
        assertThat(table.moduleOf(null)).isEmpty();
    }

    @Test
    void modulesSwitchOffAndGainNewBundles() {
        final ModuleTable table = ModuleTable.from(config("router.enabled", "false",
                "usage.enabled", "TRUE", "extras.bundles", "com.example.*, ,org.foo.bar",
                "extras.enabled", "false"), null);

        assertThat(table.module("router")).map(ModuleTable.Module::enabled).contains(false);
        assertThat(table.module("usage")).map(ModuleTable.Module::enabled).contains(true);
        assertThat(table.module("extras")).map(ModuleTable.Module::enabled).contains(false);
        assertThat(table.moduleOf("com.example.thing")).map(ModuleTable.Module::name)
                .contains("extras");
        assertThat(table.moduleOf("org.foo.bar")).map(ModuleTable.Module::name)
                .contains("extras");
        assertThat(table.problems()).isEmpty();
    }

    @Test
    void anInvalidSwitchKeepsThePreviousValueAndIsReported() {
        final ModuleTable before = ModuleTable.from(config("router.enabled", "false"), null);
        final ModuleTable after = ModuleTable.from(config("router.enabled", "maybe"), before);
        final ModuleTable first = ModuleTable.from(config("router.enabled", "0"), null);

        assertThat(after.module("router")).map(ModuleTable.Module::enabled).contains(false);
        assertThat(after.problems()).singleElement().asString()
                .contains("router.enabled").contains("true or false").contains("keeping false");
        assertThat(first.module("router")).map(ModuleTable.Module::enabled).contains(true);
    }

    @Test
    void coreBundlesCannotBeClaimed() {
        final ModuleTable table = ModuleTable.from(config("evil.bundles", "lodestar.*",
                "evil.enabled", "false"), null);

        assertThat(table.moduleOf("lodestar.runtime")).isEmpty();
        assertThat(table.module("evil")).map(ModuleTable.Module::bundlePatterns).hasValue(
                java.util.List.of());
        assertThat(table.problems()).singleElement().asString().contains("core bundle");
    }

    @Test
    void malformedKeysAreReported() {
        final ModuleTable table = ModuleTable.from(config("Router.enabled", "true",
                "router.on", "true", "noDot", "x"), null);

        assertThat(table.problems()).hasSize(2);
        assertThat(table.problems().get(0)).contains("module names are lower-case");
        assertThat(table.problems().get(1)).contains("unknown key 'router.on'");
    }

    @Test
    void globsMatchWholeNames() {
        assertThat(ModuleTable.globMatches("lodestar.provider.*", "lodestar.provider.x")).isTrue();
        assertThat(ModuleTable.globMatches("lodestar.gpu", "lodestar.gpux")).isFalse();
        assertThat(ModuleTable.globMatches("a.b", "aXb")).isFalse();
    }
}
