package lodestar.provider.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How every HTTP provider reads the parts of its configuration they share — the API key
 * (literal, {@code ${env:NAME}} / {@code $[env:NAME]}, the hint where it is missing, never shown),
 * extra headers and the base URL — run against each provider by a subclass in its bundle's tests
 * (test-jar), which adds its dialect's own keys, defaults and model attributes.
 */
public abstract class SettingsContract {

    /**
     * Parses a configuration as the provider's {@code Settings.parse} does.
     *
     * @param props the component properties
     * @param env the environment
     * @return the settings
     * @throws InvalidConfigException when invalid
     */
    protected abstract ProviderSettings parse(Map<String, Object> props, Map<String, String> env);

    /**
     * A valid, mutable configuration (with {@code .apiKey} = {@link #key()}, read from
     * {@link #file()}, models {@code fake-small, fake-large}).
     *
     * @return the component properties
     */
    protected abstract Map<String, Object> validProperties();

    /**
     * The provider's dialect, as in its PID {@code lodestar.provider.<dialect>}.
     *
     * @return the dialect
     */
    protected abstract String dialect();

    /**
     * The key of {@link #validProperties()}.
     *
     * @return the key
     */
    protected abstract String key();

    /**
     * The configuration file of {@link #validProperties()}.
     *
     * @return its path
     */
    protected abstract String file();

    private ProviderSettings parse(final Map<String, Object> props) {
        return parse(props, Map.of());
    }

    private InvalidConfigException invalid(final Map<String, Object> props) {
        try {
            parse(props);
        } catch (final InvalidConfigException e) {
            assertThat(e.getMessage()).startsWith("Invalid configuration in " + file() + ": ");
            assertThat(e.source()).isEqualTo(file());
            assertThat(e.getMessage()).doesNotContain(key());
            return e;
        }
        throw new AssertionError("configuration accepted: " + props);
    }

    @Test
    void keysAreReadLiterallyOrFromTheEnvironment() {
        final Map<String, Object> props = validProperties();
        assertThat(parse(props).apiKey()).isEqualTo(key());
        assertThat(parse(props).keyHint()).isEqualTo(".apiKey in " + file());

        props.put(".apiKey", "${env:MY_KEY}");
        assertThat(parse(props, Map.of("MY_KEY", " key-from-env ")).apiKey())
                .isEqualTo("key-from-env");
        props.put(".apiKey", "$[env:MY_KEY]");
        assertThat(parse(props, Map.of("MY_KEY", "key-other")).apiKey()).isEqualTo("key-other");

        final ProviderSettings missing = parse(props);
        assertThat(missing.hasKey()).isFalse();
        assertThat(missing.keyHint()).isEqualTo("MY_KEY");
        assertThat(parse(props, Map.of("MY_KEY", "  ")).hasKey()).isFalse();
    }

    @Test
    void anEmptiedReferenceIsFoundInTheFile(@TempDir final Path dir) throws Exception {
        final String variable = dialect().toUpperCase(Locale.ROOT) + "_API_KEY";
        final Path file = dir.resolve("lodestar.provider." + dialect() + "-" + dialect()
                + ".cfg");
        Files.writeString(file, "# comment\nid=" + dialect() + "\n  .apiKey = ${env:" + variable
                + "}\n");
        final Map<String, Object> props = validProperties();
        props.put(".apiKey", "");
        props.put(Configs.FILE_PROPERTY, file.toUri().toString());
        final ProviderSettings settings = parse(props);
        assertThat(settings.hasKey()).isFalse();
        assertThat(settings.keyHint()).isEqualTo(variable);
    }

    @Test
    void toStringHidesTheKey() {
        assertThat(parse(validProperties()).toString()).doesNotContain(key())
                .contains("apiKey=****");
        final Map<String, Object> props = validProperties();
        props.remove(".apiKey");
        assertThat(parse(props).toString()).contains("apiKey=none");
    }

    @Test
    void extraHeadersAreParsed() {
        final Map<String, Object> props = validProperties();
        props.put("extraHeaders", " X-Title: Lodestar ;X-Trace:on; ");
        assertThat(parse(props).extraHeaders()).containsExactly(Map.entry("X-Title", "Lodestar"),
                Map.entry("X-Trace", "on"));
    }

    @Test
    void badUrlsAreRejected() {
        for (final String url : List.of("ftp://x/v1", "not a url", "https:///v1",
                "https://user:pw@host/v1", "https://host/v1?api-version=1", "relative/v1")) {
            final Map<String, Object> props = validProperties();
            props.put("baseUrl", url);
            assertThat(invalid(props).problems()).as(url).singleElement().asString()
                    .startsWith("baseUrl");
        }
    }

    @Test
    void badKeysAreRejectedWithoutShowingThem() {
        final Map<String, Object> props = validProperties();
        props.put(".apiKey", "${SOME_API_KEY}");
        assertThat(invalid(props).problems()).containsExactly(
                ".apiKey looks like an unresolved reference; use ${env:NAME} or $[env:NAME]");
        props.put(".apiKey", "${env:1BAD}");
        assertThat(invalid(props).problems()).containsExactly(
                ".apiKey refers to an invalid environment variable name");
        props.put(".apiKey", "sk-with space");
        assertThat(invalid(props).problems()).containsExactly(
                ".apiKey holds characters that cannot be sent in a header");
        props.put(".apiKey", "${env:K}");
        try {
            parse(props, Map.of("K", "sk-a\nb"));
            throw new AssertionError("accepted");
        } catch (final InvalidConfigException e) {
            assertThat(e.problems()).containsExactly(
                    "the environment variable K holds characters that cannot be sent in a "
                            + "header");
        }
    }
}
