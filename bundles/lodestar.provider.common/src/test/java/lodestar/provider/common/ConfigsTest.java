package lodestar.provider.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import lodestar.api.provider.ModelInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The configuration steps every HTTP provider shares. */
class ConfigsTest {

    private final List<String> problems = new ArrayList<>();

    @Test
    void anEmptiedReferenceIsFoundInTheFile(@TempDir final Path dir) throws Exception {
        final Path file = dir.resolve("lodestar.provider.x-x.cfg");
        Files.writeString(file, "# comment\nid=x\n  .apiKey = ${env:X_API_KEY}\n");
        final Configs.Key key = Configs.apiKey(() -> "", "f.cfg",
                Map.of(Configs.FILE_PROPERTY, file.toUri().toString()), name -> null, problems);
        assertThat(key).isEqualTo(new Configs.Key(null, "X_API_KEY"));

        Files.writeString(file, ".apiKey=$[env:XAI_API_KEY]\n");
        assertThat(Configs.referenceInFile(file.toString())).isEqualTo("XAI_API_KEY");
        Files.writeString(file, ".apiKey=\n");
        assertThat(Configs.referenceInFile(file.toString())).isNull();
        assertThat(Configs.apiKey(() -> "", "f.cfg", Map.of(Configs.FILE_PROPERTY,
                file.toString()), name -> null, problems))
                .isEqualTo(new Configs.Key(null, ".apiKey in f.cfg"));
        Files.writeString(file, ".apiKey=${env:bad name}\n");
        assertThat(Configs.referenceInFile(file.toString())).isNull();
        assertThat(Configs.referenceInFile(dir.resolve("missing.cfg").toString())).isNull();
        assertThat(Configs.referenceInFile(null)).isNull();
        assertThat(Configs.referenceInFile("file:not a uri")).isNull();
        assertThat(problems).isEmpty();
    }

    @Test
    void factoryNameFallsBackToTheFileName() {
        assertThat(Configs.factoryName(Map.of(Configs.FILE_PROPERTY,
                "file:/c/lodestar.provider.openai-my-groq.cfg"))).isEqualTo("my-groq");
        assertThat(Configs.factoryName(Map.of(Configs.FILE_PROPERTY, "C:\\c\\x.cfg")))
                .isNull();
        assertThat(Configs.factoryName(Map.of("service.pid", "lodestar.provider.openai.42")))
                .isNull();
        assertThat(Configs.factoryName(Map.of("service.pid", "p~prod"))).isEqualTo("prod");
    }

    @Test
    void sourceIsTheFileOrThePid() {
        assertThat(Configs.source(Map.of(Configs.FILE_PROPERTY, "file:/etc/x.cfg"), "p"))
                .isEqualTo("/etc/x.cfg");
        assertThat(Configs.source(Map.of(Configs.FILE_PROPERTY, "/etc/x.cfg"), "p"))
                .isEqualTo("/etc/x.cfg");
        assertThat(Configs.source(Map.of("service.pid", "p~a"), "p"))
                .isEqualTo("configuration p~a");
        assertThat(Configs.source(null, "p")).isEqualTo("configuration p");
    }

    @Test
    void idsDefaultToThePrefixAndTheFactoryName() {
        assertThat(Configs.parseId("", Map.of("service.pid", "p~prod"), "openai", problems))
                .isEqualTo("openai-prod");
        assertThat(Configs.parseId("", Map.of(), "openai", problems)).isEqualTo("openai");
        assertThat(Configs.parseId("mine", Map.of(), "openai", problems)).isEqualTo("mine");
        assertThat(problems).isEmpty();
        assertThat(Configs.parseId("-bad id", Map.of(), "openai", problems)).isNull();
        assertThat(problems).singleElement().asString().startsWith("id '-bad id' is invalid");
    }

    @Test
    void baseUrlsAreCheckedAndNormalised() {
        assertThat(Configs.parseBaseUrl("", "https://d.example/v1", problems))
                .isEqualTo("https://d.example/v1");
        assertThat(Configs.parseBaseUrl("http://h:8080/v1///", "x", problems))
                .isEqualTo("http://h:8080/v1");
        assertThat(problems).isEmpty();
        for (final String bad : List.of("ftp://h", "http:///x", "https://u:p@h", "https://h?q=1",
                "https://h#f", "http://h/ x", "h")) {
            assertThat(Configs.parseBaseUrl(bad, "x", problems)).as(bad).isNull();
        }
        assertThat(problems).containsExactly("baseUrl must start with http:// or https://",
                "baseUrl has no host",
                "baseUrl must not contain user info; put credentials in .apiKey",
                "baseUrl must not have a query or fragment",
                "baseUrl must not have a query or fragment",
                "baseUrl is not a valid URL (Illegal character in path)",
                "baseUrl must start with http:// or https://");
    }

    @Test
    void keysAreReadLiterallyOrFromTheEnvironment() {
        final Map<String, String> env = Map.of("K", " env-key ", "BAD", "a b");
        assertThat(Configs.apiKey(() -> "lit", "s", Map.of(), env::get, problems))
                .isEqualTo(new Configs.Key("lit", ".apiKey in s"));
        assertThat(Configs.apiKey(() -> "${env:K}", "s", Map.of(), env::get, problems))
                .isEqualTo(new Configs.Key("env-key", "K"));
        assertThat(Configs.apiKey(() -> "$[env: K ]", "s", Map.of(), env::get, problems))
                .isEqualTo(new Configs.Key("env-key", "K"));
        assertThat(Configs.apiKey(() -> "${env:UNSET}", "s", Map.of(), env::get, problems))
                .isEqualTo(new Configs.Key(null, "UNSET"));
        assertThat(problems).isEmpty();
        assertThat(Configs.apiKey(() -> "${env:1x}", "s", Map.of(), env::get, problems))
                .isEqualTo(new Configs.Key(null, ".apiKey in s"));
        assertThat(Configs.apiKey(() -> "${env:BAD}", "s", Map.of(), env::get, problems))
                .isEqualTo(new Configs.Key(null, "BAD"));
        assertThat(Configs.apiKey(() -> "${K}", "s", Map.of(), env::get, problems).value())
                .isNull();
        assertThat(Configs.apiKey(() -> "sk-é", "s", Map.of(), env::get, problems).value())
                .isNull();
        assertThat(Configs.apiKey(() -> {
            throw new IllegalArgumentException("not text");
        }, "s", Map.of(), env::get, problems).value()).isNull();
        assertThat(problems).containsExactly(
                ".apiKey refers to an invalid environment variable name",
                "the environment variable BAD holds characters that cannot be sent in a header",
                ".apiKey looks like an unresolved reference; use ${env:NAME} or $[env:NAME]",
                ".apiKey holds characters that cannot be sent in a header",
                ".apiKey cannot be read as text");
        assertThat(String.join(" ", problems)).doesNotContain("a b");
    }

    @Test
    void timeoutsAndProbeIntervalsAreChecked() {
        assertThat(Configs.timeout(() -> 250L, "t", problems)).isEqualTo(Duration.ofMillis(250));
        assertThat(Configs.probeInterval(() -> 0L, problems)).isEqualTo(Duration.ZERO);
        assertThat(Configs.probeInterval(() -> 30L, problems)).isEqualTo(Duration.ofSeconds(30));
        assertThat(problems).isEmpty();
        assertThat(Configs.timeout(() -> 0L, "t", problems)).isNull();
        assertThat(Configs.timeout(() -> {
            throw new NumberFormatException();
        }, "t", problems)).isNull();
        assertThat(Configs.probeInterval(() -> 86_401L, problems)).isEqualTo(Duration.ZERO);
        assertThat(Configs.probeInterval(() -> {
            throw new NumberFormatException();
        }, problems)).isEqualTo(Duration.ZERO);
        assertThat(problems).containsExactly("t must be positive (is 0)",
                "t is not a whole number of milliseconds",
                "probeSeconds must be between 0 and 86400 (is 86401)",
                "probeSeconds is not a whole number of seconds");
    }

    @Test
    void extraHeadersAreParsedAndChecked() {
        final Set<String> reserved = Configs.reservedHeaders("x-own");
        assertThat(Configs.parseHeaders("X-A: 1; ;X-B:two words", reserved, problems))
                .containsExactly(Map.entry("X-A", "1"), Map.entry("X-B", "two words"));
        assertThat(problems).isEmpty();
        assertThat(Configs.parseHeaders("nocolon; Bad Name: v; X-Own: v; Accept: v; X-C: a\u0001b",
                reserved, problems)).isEmpty();
        assertThat(problems).containsExactly("extraHeaders entry 1 is not 'Name: value'",
                "extraHeaders has an invalid header name 'Bad Name'",
                "extraHeaders must not set X-Own (set by the provider or the HTTP client)",
                "extraHeaders must not set Accept (set by the provider or the HTTP client)",
                "extraHeaders value of X-C has control characters");
        assertThat(Configs.isReservedHeader(reserved, "x-own")).isTrue();
        assertThat(Configs.isReservedHeader(reserved, "proxy-authorization")).isTrue();
        assertThat(Configs.isReservedHeader(reserved, "x-trace")).isFalse();
        assertThat(Configs.isValidHeader("X-T", "v\t1")).isTrue();
        assertThat(Configs.isValidHeader("X T", "v")).isFalse();
        assertThat(Configs.isValidHeader("X-T", "v\n")).isFalse();
        assertThat(Configs.isValidHeader("X-T", "\u20ac")).isFalse();
        assertThat(Configs.isValidHeader(null, "v")).isFalse();
        assertThat(Configs.isValidHeader("X-T", null)).isFalse();
    }

    @Test
    void modelsAndTheirMetadataAreRead() {
        assertThat(Configs.parseModelIds(" a, b ,,a", problems)).containsExactly("a", "b");
        assertThat(Configs.parseModelIds("c d", problems)).isEmpty();
        assertThat(problems).containsExactly("models: model id 'c d' contains white space");
        problems.clear();

        final Map<String, Double> extras = new LinkedHashMap<>();
        extras.put("cachedInput", null);
        extras.put("cacheWrite", null);
        final ModelInfo model = Configs.parseModel("m", "p", true, false,
                "context=128000, tools=false, vision=TRUE, input=2.5, output=10, cachedInput=1",
                extras, problems);
        assertThat(problems).isEmpty();
        assertThat(model).isEqualTo(new ModelInfo("m", "p", 128_000, false, true, true,
                0.0000025, 0.00001));
        assertThat(extras).containsEntry("cachedInput", 0.000001).containsEntry("cacheWrite",
                null);
        assertThat(Configs.parseModel("v", "p", false, true, "", Map.of(), problems)
                .supportsVision()).isTrue();

        assertThat(Configs.parseModel("m", "p", false, false, "context, context=-1, "
                + "context=x, tools=maybe, input=-1, output=x, odd=1", extras, problems))
                .isNull();
        assertThat(problems).containsExactly("model.m: 'context' needs a value (name=value)",
                "model.m: context must be between 0 and 2147483647 (is -1)",
                "model.m: context is not a whole number ('x')",
                "model.m: tools must be true or false (is 'maybe')",
                "model.m: input must be between 0 and 1000000 USD per 1M tokens (is -1)",
                "model.m: output is not a number ('x')",
                "model.m: unknown attribute 'odd' (known: context, tools, vision, input, output, "
                        + "cachedInput, cacheWrite)");
        problems.clear();
        Configs.parseModel("m", "p", false, false, "odd=1", Map.of(), problems);
        assertThat(problems).containsExactly(
                "model.m: unknown attribute 'odd' (known: context, tools, vision, input, output)");
    }

    @Test
    void unknownKeysAndStrayMetadataAreWarnings() {
        final List<String> warnings = new ArrayList<>();
        final Map<String, Object> props = new LinkedHashMap<>();
        props.put("id", "x");
        props.put("typo", "1");
        props.put("model.a", "context=1");
        props.put("model.b", "context=1");
        props.put("service.pid", "p");
        props.put("felix.fileinstall.filename", "f");
        props.put("component.id", 3);
        props.put("osgi.ds.satisfying.condition.target", "t");
        Configs.warnUnknownKeys(props, Set.of("id", "models"), List.of("a"), warnings);
        assertThat(warnings).containsExactly(
                "'model.b' describes a model that is not in 'models'; ignored",
                "unknown key 'typo' (known keys: id, models and model.<modelId>)");
    }

    @Test
    void textIsTrimmedAndUnreadableTextIsAProblem() {
        assertThat(Configs.text(() -> " a ", "k", problems)).isEqualTo("a");
        assertThat(Configs.text(() -> null, "k", problems)).isEmpty();
        assertThat(problems).isEmpty();
        assertThat(Configs.text(() -> {
            throw new IllegalStateException();
        }, "k", problems)).isEmpty();
        assertThat(problems).containsExactly("k cannot be read as text");
    }

    @Test
    void invalidConfigurationsListTheirProblems() {
        final InvalidConfigException e = new InvalidConfigException("f.cfg", List.of("a", "b"));
        assertThat(e).hasMessage("Invalid configuration in f.cfg: a; b");
        assertThat(e.source()).isEqualTo("f.cfg");
        assertThat(e.problems()).containsExactly("a", "b");
    }
}
