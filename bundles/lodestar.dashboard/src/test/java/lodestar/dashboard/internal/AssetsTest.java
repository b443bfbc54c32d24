package lodestar.dashboard.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Static checks of the UI sources: the rules the browser's CSP enforces at run time are checked
 * here at build time too, plus the rule the CSP cannot enforce (no HTML built from data).
 */
class AssetsTest {

    private static final Path UI = Paths.get("src/main/resources/lodestar/dashboard/internal/ui");

    private static String read(final String name) throws IOException {
        return Files.readString(UI.resolve(name));
    }

    @Test
    void everyFileOfTheUiFolderIsListedAndEveryListedFileExists() throws IOException {
        try (Stream<Path> files = Files.walk(UI)) {
            assertThat(files.filter(Files::isRegularFile).map(p -> UI.relativize(p).toString())
                    .sorted().toList()).as("add new files to Assets.NAMES")
                    .containsExactlyInAnyOrderElementsOf(Assets.NAMES);
        }
        assertThat(Assets.load().find("app.js").body()).isEqualTo(Files.readAllBytes(
                UI.resolve("app.js")));
    }

    @Test
    void scriptsNeverBuildHtmlFromStringsNorEvaluateCode() throws IOException {
        for (final String name : List.of("app.js", "charts.js")) {
            final String js = read(name);
            assertThat(js).as(name).doesNotContain("innerHTML", "outerHTML", "insertAdjacentHTML",
                    "document.write", "eval(", "new Function", "DOMParser",
                    "createContextualFragment", "srcdoc", "javascript:");
            assertThat(js).as(name + ": setTimeout with a string").doesNotContainPattern(
                    "setTimeout\\(\\s*['\"`]");
            assertThat(js).as(name + ": style attributes are blocked by the CSP")
                    .doesNotContain("setAttribute('style'", ".style.", "cssText");
        }
    }

    @Test
    void theKeyTravelsInTheAuthorizationHeaderOnly() throws IOException {
        final String js = read("app.js");
        assertThat(js).contains("sessionStorage").contains("'Authorization', `Bearer ${key}`")
                .doesNotContain("localStorage").doesNotContain("document.cookie")
                .doesNotContainPattern("[?&](key|token|api_key)=");
        assertThat(js).as("no other verbs").doesNotContainPattern("method: '(PUT|DELETE|PATCH)'");
        // the one state-changing call: confirmed first, JSON body, key in the header only
        final Matcher posts = Pattern.compile("method: 'POST'").matcher(js);
        assertThat(posts.results().count()).as("POST in one place").isEqualTo(1);
        final String post = js.substring(js.indexOf("async function post("),
                js.indexOf("async function detail("));
        assertThat(post).contains("'Content-Type': 'application/json'")
                .contains("JSON.stringify(body)").contains("credentials: 'same-origin'");
        // routing changes (approve, promote, roll back, override, an experiment's start and
        // stop) go through perform(), and every call of perform() comes after a confirmation
        // in the same click handler
        final String action = js.substring(js.indexOf("function actionFor("),
                js.indexOf("async function perform("));
        assertThat(action.indexOf("await confirmAction(")).as("confirmation before the action")
                .isPositive().isLessThan(action.indexOf("await perform("));
        final String override = js.substring(js.indexOf("function overrideButton("),
                js.indexOf("/** The start or stop button"));
        assertThat(override.indexOf("await confirmAction(")).as("confirmation before override")
                .isPositive().isLessThan(override.indexOf("await perform("));
        final String experiment = js.substring(js.indexOf("function experimentButton("),
                js.indexOf("/** The A/B experiments"));
        assertThat(experiment.indexOf("await confirmAction(")).as("confirmation before an "
                + "experiment starts or stops").isPositive()
                .isLessThan(experiment.indexOf("await perform("));
        assertThat(Pattern.compile("await perform\\(").matcher(js).results().count())
                .as("perform() called only from those three handlers").isEqualTo(3);
    }

    @Test
    void thePageHasNoInlineCodeNoInlineStyleAndNothingFromOtherHosts() throws IOException {
        final String html = read("index.html");
        final Matcher scripts = Pattern.compile("<script([^>]*)>(.*?)</script>", Pattern.DOTALL)
                .matcher(html);
        int count = 0;
        while (scripts.find()) {
            count++;
            assertThat(scripts.group(1)).contains("src=\"app.js?v=@VERSION@\"");
            assertThat(scripts.group(2)).as("inline script").isBlank();
        }
        assertThat(count).isEqualTo(1);
        assertThat(html).doesNotContainPattern("\\sstyle=").doesNotContain("<style")
                .doesNotContainPattern("\\son[a-z]+=").doesNotContain("javascript:");
        final Pattern remote = Pattern.compile("(https?:)?//(?!www\\.w3\\.org/2000/svg)[a-z0-9.-]+"
                + "\\.[a-z]{2,}");
        for (final String name : Assets.NAMES) {
            assertThat(read(name)).as(name + " loads nothing from another host (works offline)")
                    .doesNotContainPattern(remote);
        }
    }

    @Test
    void everyPageHasATabAndARenderer() throws IOException {
        final String html = read("index.html");
        final String js = read("app.js");
        for (final String page : List.of("overview", "routing", "sessions", "health", "models")) {
            assertThat(html).contains("data-tab=\"" + page + "\"")
                    .contains("data-page=\"" + page + "\"");
            assertThat(js).contains("async function " + page + "()");
        }
    }
}
