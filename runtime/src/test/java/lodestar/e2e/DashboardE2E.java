package lodestar.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import lodestar.test.upstream.FakeUpstream;
import org.junit.jupiter.api.Test;

/**
 * The dashboard in a real browser: headless Chromium, driven over the Chrome DevTools Protocol
 * (the JDK's WebSocket client; no Selenium, no chromedriver), against the assembled runtime
 * with a fake upstream and a proxy key. Traffic includes a model named
 * {@code <script>alert(1)</script>}: it must show up as text, without a dialog, an injected
 * element or a CSP violation. One screenshot per page goes to {@code target/screenshots}.
 *
 * <p>Skipped (JUnit assumption, reported as skipped) when no Chromium or Chrome is found:
 * {@code apt-get install -y chromium}, or point {@code -Dlodestar.chromium} /
 * {@code LODESTAR_CHROMIUM} at a binary.
 */
class DashboardE2E {

    static final String XSS = "<script>alert(1)</script>";
    static final String GPU = "<img src=x onerror=alert(2)>";
    private static final String KEY = "sk-dash-e2e";
    /** A valid proxy key that is not the admin key: it may not sign in to the dashboard. */
    private static final String DEV_KEY = "sk-dash-dev";
    private static final Duration WAIT = Duration.ofSeconds(20);
    /** A stand-in trainer speaking lora_train.py's progress protocol, without any ML. */
    private static final String TRAINER = "#!/bin/sh\nout=''\nwhile [ $# -gt 0 ]; do\n"
            + "  if [ \"$1\" = --output ]; then out=$2; shift; fi\n  shift\ndone\n"
            + "echo '{\"step\":1,\"loss\":2.0}'\nmkdir -p \"$out\"\n"
            + "echo '{\"r\":8}' > \"$out/adapter_config.json\"\n"
            + "printf weights > \"$out/adapter_model.safetensors\"\n"
            + "echo '{\"event\":\"done\",\"metrics\":{\"final_loss\":1.5}}'\n";

    private final HttpClient http = HttpClient.newHttpClient();
    private final Path screenshots = Paths.get(System.getProperty("lodestar.screenshots",
            "target/screenshots")).toAbsolutePath();

    private HttpResponse<String> chat(final LodestarProcess lodestar, final String model,
            final String session) throws Exception {
        return chat(lodestar, model, session, "explain " + XSS + " to me");
    }

    private HttpResponse<String> chat(final LodestarProcess lodestar, final String model,
            final String session, final String prompt) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + lodestar.port
                + "/v1/chat/completions")).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + KEY)
                .header("x-lodestar-session", session)
                .POST(HttpRequest.BodyPublishers.ofString(LodestarProcess.JSON.createObjectNode()
                        .put("model", model).set("messages", LodestarProcess.JSON
                                .createArrayNode().add(LodestarProcess.JSON.createObjectNode()
                                        .put("role", "user").put("content", prompt)))
                        .toString())).build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode json(final LodestarProcess lodestar, final String path)
            throws Exception {
        return LodestarProcess.JSON.readTree(keyed(lodestar, path).body());
    }

    /** GET with the proxy key: usage reports and metrics ask for one like the proxy does. */
    private HttpResponse<String> keyed(final LodestarProcess lodestar, final String path)
            throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + lodestar.port
                + path)).timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer " + KEY)
                .GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A state-changing admin call the way a script makes it: JSON body, the admin key. */
    private JsonNode post(final LodestarProcess lodestar, final String path, final String body)
            throws Exception {
        final HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(
                "http://127.0.0.1:" + lodestar.port + path)).timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + KEY)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as("POST " + path + ": " + response.body())
                .isEqualTo(200);
        return LodestarProcess.JSON.readTree(response.body());
    }

    /** The registry's state of one version, read over HTTP. */
    private String state(final LodestarProcess lodestar, final int version) throws Exception {
        for (final JsonNode v : json(lodestar, "/api/learning/models/coder")) {
            if (v.path("version").asInt() == version) {
                return v.path("state").asText();
            }
        }
        return "missing";
    }

    /**
     * Clicks a registry action in the page, answers its confirmation dialog and returns the
     * dialog's question.
     */
    private static String act(final Chromium.Page page, final String action,
            final boolean confirm) throws Exception {
        final String button = "document.querySelector('#registry "
                + "button[data-action=" + action + "][data-model=coder]')";
        page.waitFor(button + " !== null && !" + button + ".disabled", "the " + action
                + " button");
        page.eval("document.querySelector('#registry-result').removeAttribute('data-outcome');"
                + button + ".click(); true");
        page.waitFor("document.querySelector('#confirm').open", "the confirmation dialog");
        final String question = page.eval("document.querySelector('#confirm-text').textContent")
                .asText();
        page.eval("document.querySelector('#confirm button[value=" + (confirm ? "ok" : "cancel")
                + "]').click(); true");
        page.waitFor("!document.querySelector('#confirm').open", "the dialog to close");
        return question;
    }

    @Test
    void theDashboardShowsTheApisAsTextBehindTheProxyKey() throws Exception {
        final Path chromium = Chromium.find();
        assumeTrue(chromium != null, "no Chromium or Chrome found (looked for -Dlodestar.chromium,"
                + " LODESTAR_CHROMIUM, chromium, chromium-browser, google-chrome on the PATH): "
                + "install one (apt-get install -y chromium) to run the browser test");
        try (FakeUpstream upstream = FakeUpstream.start();
                LodestarProcess lodestar = new LodestarProcess()) {
            try (Stream<Path> shipped = Files.list(lodestar.config)) {
                for (final Path file : shipped.toList()) {
                    final String name = file.getFileName().toString();
                    if (name.startsWith("lodestar.provider.")
                            || name.startsWith("lodestar.router")) {
                        Files.delete(file);
                    }
                }
            }
            lodestar.writeConfig("lodestar.provider.openai-e2e.cfg", "id=paid\nbaseUrl="
                    + upstream.baseUrl() + "/v1\n.apiKey=sk-e2e\n"
                    + "models=fake-small,fake-large," + XSS + "\n"
                    + "model.fake-small=context=8000,input=0.1,output=0.2\n"
                    + "model.fake-large=context=128000,input=2.5,output=10\n");
            lodestar.writeConfig("lodestar.router.cfg", "baselineModel=fake-large\n"
                    + ".proxyKeys=admin:" + KEY + ",dev:" + DEV_KEY + "\n");
            // the learning loop with a stand-in trainer, deploying to the fake Ollama
            final Path trainer = lodestar.root.resolve("fake-trainer.sh");
            Files.writeString(trainer, TRAINER);
            lodestar.writeConfig("lodestar.learning.cfg", "collect=true\nmodelName=coder\n"
                    + "baseModel=tiny-llama\nollamaBaseModel=fake-small\nollamaUrl="
                    + upstream.baseUrl() + "\nvalidationPercent=20\n");
            lodestar.writeConfig("lodestar.learning.command.cfg", "command=sh " + trainer
                    + " --train {train} --output {output}\n");
            // a benchmark set: its gate refuses a candidate that was never benchmarked
            final Path set = lodestar.root.resolve("eval.jsonl");
            Files.writeString(set, "{\"id\":\"add\",\"prompt\":\"2+2?\",\"check\":{\"type\":"
                    + "\"contains\",\"value\":\"4\"}}\n");
            lodestar.writeConfig("lodestar.learning.benchmark.cfg", "evaluationSet=" + set
                    + "\n");
            // a GPU whose name is markup, read through a stand-in for nvidia-smi
            final Path smi = lodestar.root.resolve("fake-nvidia-smi");
            Files.writeString(smi, "#!/bin/sh\nprintf '0, " + GPU + ", GPU-e2e, 535.183.01, P2,"
                    + " 71, 63, 20, 3072, 4096, 52.5, 70.00, 1500, 5000, 40\\n'\n");
            assertThat(smi.toFile().setExecutable(true)).isTrue();
            lodestar.writeConfig("lodestar.gpu.cfg", "enabled=true\ncommand=" + smi
                    + "\nintervalSeconds=2\n");
            // a heap limit every JVM is over: a WARNING alert for the timeline
            lodestar.writeConfig("lodestar.health.cfg", "intervalSeconds=1\nconfirmRounds=1\n"
                    + "heapWarnPercent=1\n");
            lodestar.start();
            deployDashboardIfMissing(lodestar);
            LodestarProcess.waitFor(() -> chat(lodestar, "fake-small", "warm").statusCode()
                    == 200, WAIT, "the provider to serve");
            // events published before the usage bundle listens are not recorded: wait for it
            LodestarProcess.waitFor(() -> keyed(lodestar, "/api/usage").statusCode() == 200,
                    WAIT, "usage tracking to start");
            assertThat(lodestar.get("/api/usage").statusCode()).as("no key").isEqualTo(401);
            assertThat(lodestar.get("/metrics").statusCode()).as("no key").isEqualTo(401);
            assertThat(lodestar.get("/health/alerts").statusCode()).as("no key").isEqualTo(401);
            final int before = json(lodestar, "/api/usage").path("total").path("requests")
                    .asInt();
            for (int i = 0; i < 3; i++) {
                assertThat(chat(lodestar, "fake-small", "alice").statusCode()).isEqualTo(200);
            }
            assertThat(chat(lodestar, "fake-large", "alice").statusCode()).isEqualTo(200);
            assertThat(chat(lodestar, XSS, XSS).statusCode()).as("a model named like a script")
                    .isEqualTo(200);
            LodestarProcess.waitFor(() -> json(lodestar, "/api/usage").path("total")
                    .path("requests").asInt() >= before + 5, WAIT, "5 more requests in "
                    + "/api/usage");
            // a candidate for the Models page: answers kept, a dataset built, a job trained
            LodestarProcess.waitFor(() -> json(lodestar, "/api/learning").path("collect")
                    .asBoolean(), WAIT, "learning collection to start");
            final long stored = json(lodestar, "/api/learning").path("storedExchanges").asLong();
            for (final String topic : List.of("binary search in Go", "a bash retry loop",
                    "SQL window functions", "Java records", "a Python dataclass")) {
                assertThat(chat(lodestar, "fake-large", "learn", "write " + topic + ", with an "
                        + "example").statusCode()).isEqualTo(200);
            }
            LodestarProcess.waitFor(() -> json(lodestar, "/api/learning").path("storedExchanges")
                    .asLong() >= stored + 5, WAIT, "5 exchanges kept for training");
            final String dataset = post(lodestar, "/api/learning/datasets", "{}").path("id")
                    .asText();
            final String job = post(lodestar, "/api/learning/jobs", "{\"dataset\":\"" + dataset
                    + "\"}").path("id").asText();
            LodestarProcess.waitFor(() -> "SUCCEEDED".equals(json(lodestar,
                    "/api/learning/jobs/" + job).path("state").asText()), WAIT,
                    "the training job to succeed");
            assertThat(state(lodestar, 1)).isEqualTo("candidate");
            // the registry is the admin key's: a client key reads usage but not the registry
            final HttpResponse<String> asDev = http.send(HttpRequest.newBuilder(URI.create(
                    "http://127.0.0.1:" + lodestar.port + "/api/learning/models/coder/1/approve"))
                    .header("Authorization", "Bearer " + DEV_KEY)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(asDev.statusCode()).as(asDev.body()).isEqualTo(403);
            assertThat(asDev.body()).contains("permission_error");
            assertThat(state(lodestar, 1)).isEqualTo("candidate");
            LodestarProcess.waitFor(() -> json(lodestar, "/api/usage").path("total")
                    .path("requests").asInt() >= before + 10, WAIT, "10 more requests in "
                    + "/api/usage");

            final JsonNode usage = json(lodestar, "/api/usage");
            System.out.println("[e2e] /api/usage " + usage);
            Files.createDirectories(screenshots);

            try (Chromium browser = Chromium.start(chromium)) {
                final Chromium.Page page = browser.page();
                page.navigate("http://127.0.0.1:" + lodestar.port + "/ui/");
                page.waitFor("document.body.dataset.state === 'login'", "the login form");
                page.screenshot(screenshots.resolve("login.png"));
                // a client key of the proxy is not enough: the dashboard needs the admin key
                page.eval("document.querySelector('#login-key').value = '" + DEV_KEY + "';"
                        + "document.querySelector('#login-form').requestSubmit(); true");
                page.waitFor("!document.querySelector('#login-error').hidden && document"
                        + ".querySelector('#login-error').textContent.includes(\"needs the "
                        + "'admin' key\")", "the refusal of the dev key");
                assertThat(page.eval("document.body.dataset.state").asText()).isEqualTo("login");
                assertThat(page.eval("sessionStorage.getItem('lodestar.dashboard.key')")
                        .isNull()).as("the refused key is not kept").isTrue();
                page.eval("document.querySelector('#login-key').value = '" + KEY + "';"
                        + "document.querySelector('#login-form').requestSubmit(); true");
                page.waitFor("document.body.dataset.loaded === 'overview'", "the overview");
                assertThat(page.eval("sessionStorage.getItem('lodestar.dashboard.key')")
                        .asText()).isEqualTo(KEY);
                assertThat(page.eval("location.href").asText()).doesNotContain(KEY)
                        .endsWith("/ui/");
                page.eval("window.lodestarNotReloaded = true");

                // overview: the figures are /api/usage's totals, the charts are drawn
                final JsonNode total = usage.path("total");
                assertThat(page.eval(figure("requests", "dataset.value")).asLong())
                        .isEqualTo(total.path("requests").asLong());
                assertThat(page.eval(figure("requests", "textContent")).asText())
                        .isEqualTo(String.format(Locale.US, "%,d",
                                total.path("requests").asLong()));
                assertThat(page.eval(figure("tokens", "dataset.value")).asLong()).isEqualTo(
                        total.path("tokens").path("input").asLong()
                        + total.path("tokens").path("output").asLong());
                assertThat(page.eval(figure("cost", "dataset.value")).asDouble())
                        .isEqualTo(total.path("costUsd").asDouble());
                assertThat(page.eval(figure("saved", "dataset.value")).asDouble())
                        .isEqualTo(total.path("savings").path("savedUsd").asDouble());
                assertThat(page.eval(figure("saved", "textContent")).asText()).startsWith("$");
                assertThat(page.eval("document.querySelectorAll('#chart-requests "
                        + "svg[data-chart=requests] rect.bar').length").asInt()).isPositive();
                assertThat(page.eval("document.querySelectorAll('#chart-cost "
                        + "svg[data-chart=cost] rect.bar').length").asInt()).isPositive();
                page.screenshot(screenshots.resolve("overview.png"));

                // routing: the script-like model name is text in the chart and the table
                page.open("routing");
                assertThat(page.eval(textIn("[data-table=models] td")).asBoolean())
                        .as("model name shown as text in the table").isTrue();
                assertThat(page.eval(textIn("svg[data-chart=models] text")).asBoolean())
                        .as("model name shown as text in the chart").isTrue();
                // recent requests with the router's explanation, as /api/usage/requests has them
                final JsonNode recent = json(lodestar, "/api/usage/requests?since=7d&limit=25")
                        .path("requests");
                assertThat(recent.size()).isPositive();
                page.waitFor("document.querySelectorAll('[data-table=recent] tbody tr').length "
                        + "=== " + recent.size(), "the recent requests");
                assertThat(page.eval("[...document.querySelectorAll('[data-table=recent] td')]"
                        + ".some(n => n.textContent === " + LodestarProcess.JSON.getNodeFactory()
                                .textNode(recent.get(0).path("route").asText()) + ")")
                        .asBoolean()).as("the newest route explanation shown").isTrue();
                assertThat(page.eval(textIn("[data-table=recent] td")).asBoolean())
                        .as("the script-like model name as text in recent requests").isTrue();
                page.screenshot(screenshots.resolve("routing.png"));

                page.open("sessions");
                assertThat(page.eval("document.querySelectorAll('[data-table=sessions] "
                        + "tbody tr').length").asInt()).isEqualTo(json(lodestar,
                                "/api/usage/sessions").path("sessions").size());
                page.screenshot(screenshots.resolve("sessions.png"));

                page.open("health");
                // checks come and go between health rounds: the page polls until it agrees
                LodestarProcess.waitFor(() -> {
                    final JsonNode report = json(lodestar, "/health");
                    return page.eval("document.querySelectorAll('[data-table=checks] tbody tr')"
                            + ".length").asInt() == report.path("checks").size()
                            && page.eval(figure("status", "textContent")).asText()
                                    .equals(report.path("status").asText());
                }, WAIT, "the health page to show every check of /health and its status");
                assertThat(page.eval("[...document.querySelectorAll('[data-table=checks] "
                        + ".badge')].every(b => ['OK', 'INFO', 'WARNING', 'CRITICAL']"
                        + ".includes(b.textContent))").asBoolean()).isTrue();
                page.waitFor("document.querySelectorAll('#gpu svg.gauge').length === 4",
                        "four gauges of the GPU from /metrics");
                assertThat(page.eval("document.querySelector('#gpu h3').textContent").asText())
                        .contains(GPU);
                assertThat(page.eval("document.querySelectorAll('#gpu img').length").asInt())
                        .isZero();
                assertThat(page.eval("document.querySelector('#gpu svg.gauge')"
                        + ".getAttribute('aria-label')").asText()).isEqualTo("temperature: 71 °C");
                page.waitFor("document.querySelector('#chart-alerts svg[data-chart=alerts]') "
                        + "!== null", "the alerts timeline chart");
                LodestarProcess.waitFor(() -> {
                    final int kept = Math.min(50, json(lodestar, "/health/alerts?limit=200")
                            .path("alerts").size());
                    return kept == 0 ? page.eval("document.querySelector('p[data-table=alerts]')"
                            + " !== null").asBoolean() : page.eval("document.querySelectorAll("
                            + "'[data-table=alerts] tbody tr').length").asInt() == kept;
                }, WAIT, "the alerts timeline to list /health/alerts");
                page.waitFor("[...document.querySelectorAll('[data-table=alerts] tbody tr')]"
                        + ".some(r => r.textContent.includes('system.heap') && r.textContent"
                        + ".includes('WARNING'))", "the heap warning in the alerts table");
                page.waitFor("[...document.querySelectorAll('svg[data-chart=alerts] "
                        + "rect.bar.sev-warning title')].some(t => /warning: [1-9]/"
                        + ".test(t.textContent))", "a warning bar in the alerts chart");
                page.waitFor("/(^|[^0-9,])[1-9][0-9,]* warning/.test(document.querySelector("
                        + "'[data-figure=\"alerts-sub\"]').textContent)", "the warning counted");
                page.screenshot(screenshots.resolve("health.png"));

                page.open("models");
                assertThat(page.eval(textIn("[data-table=v1models] td")).asBoolean()).isTrue();
                page.waitFor("document.querySelector('#registry-state').dataset.registry "
                        + "=== 'present'", "the learning registry");
                // the approval flow: cancel changes nothing, confirm approves (deploying the
                // adapter to Ollama), promote makes it live, a roll back with nothing earlier
                // is refused and says why
                assertThat(act(page, "approve", false)).contains("Approve coder v1");
                assertThat(state(lodestar, 1)).as("cancelled").isEqualTo("candidate");
                page.screenshot(screenshots.resolve("models-candidate.png"));
                // the benchmark gate refuses (never benchmarked); the page offers the override,
                // which asks again and is recorded
                act(page, "approve", true);
                page.waitFor("document.querySelector('#registry-result').dataset.outcome "
                        + "=== 'refused'", "the gate's refusal");
                assertThat(page.eval("document.querySelector('#registry-result').textContent")
                        .asText()).contains("override");
                assertThat(state(lodestar, 1)).as("refused by the gate").isEqualTo("candidate");
                page.screenshot(screenshots.resolve("models-gate.png"));
                assertThat(act(page, "override", true)).contains("against the benchmark gate");
                page.waitFor("document.querySelector('#registry-result').dataset.outcome "
                        + "=== 'ok'", "the approval's outcome");
                assertThat(state(lodestar, 1)).isEqualTo("approved");
                assertThat(upstream.created()).contains("lodestar-coder:v1");
                assertThat(json(lodestar, "/api/learning/models/coder").get(0).path("approvedBy")
                        .asText()).isEqualTo("http:admin (dashboard)");
                assertThat(keyed(lodestar, "/api/learning/models/coder/history").body())
                        .contains("OVERRIDDEN");
                act(page, "promote", true);
                LodestarProcess.waitFor(() -> "live".equals(state(lodestar, 1)), WAIT,
                        "v1 to go live");
                page.waitFor("document.querySelector('[data-table=registry] "
                        + "[data-state=live]') !== null", "the live badge");
                act(page, "rollback", true);
                page.waitFor("document.querySelector('#registry-result').dataset.outcome "
                        + "=== 'refused'", "the refused roll back");
                assertThat(page.eval("document.querySelector('#registry-result').textContent")
                        .asText()).contains("no earlier live version of coder");
                assertThat(state(lodestar, 1)).isEqualTo("live");
                page.waitFor("document.querySelector('[data-table=ab], #table-ab p') !== null",
                        "the A/B panel");
                page.screenshot(screenshots.resolve("models.png"));

                // live: new traffic shows up without a reload
                page.open("overview");
                page.eval("const poll = document.querySelector('#poll'); poll.value = '2';"
                        + "poll.dispatchEvent(new Event('change')); true");
                assertThat(chat(lodestar, "fake-small", "carol").statusCode()).isEqualTo(200);
                LodestarProcess.waitFor(() -> json(lodestar, "/api/usage").path("total")
                        .path("requests").asLong() > total.path("requests").asLong(), WAIT,
                        "the new request in /api/usage");
                final long now = json(lodestar, "/api/usage").path("total").path("requests")
                        .asLong();
                page.waitFor(figure("requests", "dataset.value") + " === '" + now + "'",
                        "the overview to poll the new total");
                assertThat(page.eval("window.lodestarNotReloaded === true").asBoolean()).isTrue();

                // nothing ran: no dialog, no element made from data, no error, no CSP report
                assertThat(page.eval("document.scripts.length").asInt()).isEqualTo(1);
                assertThat(page.eval("document.querySelectorAll('body script, body iframe, "
                        + "body object, body embed').length").asInt()).isZero();
                assertThat(browser.dialogs).as("JavaScript dialogs opened").isEmpty();
                assertThat(browser.problems).as("exceptions, console errors, CSP violations")
                        .isEmpty();

                // and the CSP is in force: an inline script slipped into the page is refused
                page.eval("const s = document.createElement('script'); s.textContent = "
                        + "'alert(2)'; document.body.append(s); true");
                LodestarProcess.waitFor(() -> browser.problems.stream().anyMatch(p ->
                        p.contains("Content Security Policy")), WAIT, "the CSP to refuse an "
                        + "inline script");
                assertThat(browser.dialogs).as("the refused script did not run").isEmpty();
            }
            lodestar.stop();
        }
    }

    private static String figure(final String name, final String property) {
        return "document.querySelector('[data-figure=\"" + name + "\"]')." + property;
    }

    private static String textIn(final String selector) {
        return "[...document.querySelectorAll('" + selector + "')].some(n => n.textContent === "
                + LodestarProcess.JSON.getNodeFactory().textNode(XSS) + ")";
    }

    /**
     * Until the product's bndrun runs the dashboard, the test hot-deploys the freshly built
     * bundle into the instance's {@code deploy/} folder (FileInstall). Once the product runs it,
     * this does nothing.
     */
    private static void deployDashboardIfMissing(final LodestarProcess lodestar) throws Exception {
        if (LodestarProcess.bundleState(lodestar.health(), "lodestar.dashboard") != null) {
            return;
        }
        final Path target = lodestar.home.resolve("bundles/lodestar.dashboard/target");
        final Path jar;
        try (Stream<Path> files = Files.list(target)) {
            jar = files.filter(p -> p.getFileName().toString().matches(
                    "lodestar\\.dashboard-[0-9.]+(-SNAPSHOT)?\\.jar")).findFirst()
                    .orElseThrow(() -> new AssertionError("lodestar.dashboard is neither in the "
                            + "product nor built in " + target));
        }
        final Path temp = lodestar.root.resolve("dashboard.jar.tmp");
        Files.copy(jar, temp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(temp, lodestar.deploy.resolve("lodestar.dashboard.jar"),
                StandardCopyOption.ATOMIC_MOVE);
        LodestarProcess.waitFor(() -> {
            final HttpResponse<String> ui = lodestar.get("/ui/");
            return ui != null && ui.statusCode() == 200;
        }, WAIT, "/ui/ from the hot-deployed dashboard");
    }

    /** A headless Chromium and one page, spoken to over the DevTools protocol. */
    static final class Chromium implements AutoCloseable {

        final List<String> dialogs = new CopyOnWriteArrayList<>();
        final List<String> problems = new CopyOnWriteArrayList<>();
        private final Process process;
        private final Path profile;
        private final int port;
        private final List<Page> pages = new ArrayList<>();

        private Chromium(final Process process, final Path profile, final int port) {
            this.process = process;
            this.profile = profile;
            this.port = port;
        }

        static Path find() {
            final List<String> candidates = new ArrayList<>();
            if (System.getProperty("lodestar.chromium") != null) {
                candidates.add(System.getProperty("lodestar.chromium"));
            }
            if (System.getenv("LODESTAR_CHROMIUM") != null) {
                candidates.add(System.getenv("LODESTAR_CHROMIUM"));
            }
            final String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
            for (final String name : List.of("chromium", "chromium-browser", "google-chrome",
                    "google-chrome-stable")) {
                for (final String dir : path.split(java.io.File.pathSeparator)) {
                    candidates.add(Paths.get(dir, name).toString());
                }
            }
            return candidates.stream().map(Paths::get).filter(Files::isExecutable).findFirst()
                    .orElse(null);
        }

        static Chromium start(final Path binary) throws Exception {
            final Path profile = Files.createTempDirectory("lodestar-chromium");
            final Process process = new ProcessBuilder(binary.toString(), "--headless=new",
                    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                    "--no-default-browser-check", "--disable-extensions",
                    "--disable-background-networking", "--disable-component-update",
                    "--remote-debugging-port=0", "--remote-allow-origins=*",
                    "--user-data-dir=" + profile, "--window-size=1280,900", "about:blank")
                    .redirectErrorStream(true).redirectOutput(profile.resolve("chromium.log")
                            .toFile()).start();
            final Path active = profile.resolve("DevToolsActivePort");
            final int[] port = {0};
            try {
                LodestarProcess.waitFor(() -> {
                    if (!process.isAlive()) {
                        throw new AssertionError("Chromium exited: " + Files.readString(
                                profile.resolve("chromium.log")));
                    }
                    if (Files.isRegularFile(active)) {
                        final List<String> lines = Files.readAllLines(active);
                        if (!lines.isEmpty() && !lines.get(0).isBlank()) {
                            port[0] = Integer.parseInt(lines.get(0).trim());
                            return true;
                        }
                    }
                    return false;
                }, Duration.ofSeconds(30), "Chromium's DevTools port");
            } catch (final Exception | AssertionError e) {
                process.destroyForcibly();
                throw e;
            }
            return new Chromium(process, profile, port[0]);
        }

        Page page() throws Exception {
            final HttpResponse<String> list = HttpClient.newHttpClient().send(HttpRequest
                    .newBuilder(URI.create("http://127.0.0.1:" + port + "/json/list")).build(),
                    HttpResponse.BodyHandlers.ofString());
            for (final JsonNode target : LodestarProcess.JSON.readTree(list.body())) {
                if ("page".equals(target.path("type").asText())) {
                    final Page page = new Page(this, target.path("webSocketDebuggerUrl")
                            .asText());
                    pages.add(page);
                    return page;
                }
            }
            throw new AssertionError("Chromium has no page target: " + list.body());
        }

        @Override
        public void close() throws Exception {
            for (final Page page : pages) {
                page.socket.abort();
            }
            process.destroy();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
            try (Stream<Path> files = Files.walk(profile)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (final IOException ignored) {
                // a profile file still held by an exiting helper process
            }
        }

        /** One tab: commands with ids and answers, events watched for problems. */
        static final class Page implements WebSocket.Listener {

            private final Chromium browser;
            private final WebSocket socket;
            private final AtomicInteger ids = new AtomicInteger();
            private final Map<Integer, CompletableFuture<JsonNode>> pending =
                    new ConcurrentHashMap<>();
            private final StringBuilder partial = new StringBuilder();

            Page(final Chromium browser, final String url) throws Exception {
                this.browser = browser;
                this.socket = HttpClient.newHttpClient().newWebSocketBuilder()
                        .buildAsync(URI.create(url), this).get(10, TimeUnit.SECONDS);
                send("Page.enable", null);
                send("Runtime.enable", null);
                send("Log.enable", null);
                send("Emulation.setDeviceMetricsOverride", LodestarProcess.JSON
                        .createObjectNode().put("width", 1280).put("height", 900)
                        .put("deviceScaleFactor", 1).put("mobile", false));
            }

            @Override
            public CompletionStage<?> onText(final WebSocket webSocket, final CharSequence data,
                    final boolean last) {
                partial.append(data);
                if (last) {
                    final String message = partial.toString();
                    partial.setLength(0);
                    try {
                        handle(LodestarProcess.JSON.readTree(message));
                    } catch (final IOException e) {
                        browser.problems.add("unreadable DevTools message: " + e);
                    }
                }
                webSocket.request(1);
                return null;
            }

            private void handle(final JsonNode message) {
                if (message.has("id")) {
                    final CompletableFuture<JsonNode> answer = pending.remove(message.path("id")
                            .asInt());
                    if (answer != null) {
                        answer.complete(message);
                    }
                    return;
                }
                final JsonNode params = message.path("params");
                switch (message.path("method").asText()) {
                    case "Page.javascriptDialogOpening" -> {
                        browser.dialogs.add(params.path("type").asText() + ": "
                                + params.path("message").asText());
                        socket.sendText(LodestarProcess.JSON.createObjectNode()
                                .put("id", ids.incrementAndGet())
                                .put("method", "Page.handleJavaScriptDialog")
                                .set("params", LodestarProcess.JSON.createObjectNode()
                                        .put("accept", false)).toString(), true);
                    }
                    case "Runtime.exceptionThrown" -> browser.problems.add("exception: "
                            + params.path("exceptionDetails"));
                    case "Runtime.consoleAPICalled" -> {
                        if ("error".equals(params.path("type").asText())) {
                            browser.problems.add("console.error: " + params.path("args"));
                        }
                    }
                    case "Log.entryAdded" -> {
                        final JsonNode entry = params.path("entry");
                        // HTTP statuses are data the page handles (the key probe's 401, the
                        // absent registry's 404, /health/ready's 503); anything else at error
                        // level (a CSP violation, a script error) is a problem
                        if ("error".equals(entry.path("level").asText())
                                && !"network".equals(entry.path("source").asText())) {
                            browser.problems.add("log: " + entry);
                        }
                    }
                    default -> {
                        // other events are not needed
                    }
                }
            }

            JsonNode send(final String method, final ObjectNode params) throws Exception {
                final int id = ids.incrementAndGet();
                final CompletableFuture<JsonNode> answer = new CompletableFuture<>();
                pending.put(id, answer);
                final ObjectNode command = LodestarProcess.JSON.createObjectNode().put("id", id)
                        .put("method", method);
                if (params != null) {
                    command.set("params", params);
                }
                socket.sendText(command.toString(), true).get(10, TimeUnit.SECONDS);
                final JsonNode reply = answer.get(30, TimeUnit.SECONDS);
                if (reply.has("error")) {
                    throw new AssertionError(method + " failed: " + reply.path("error"));
                }
                return reply.path("result");
            }

            void navigate(final String url) throws Exception {
                send("Page.navigate", LodestarProcess.JSON.createObjectNode().put("url", url));
            }

            /** Evaluates an expression in the page; answers its value. */
            JsonNode eval(final String expression) throws Exception {
                final JsonNode result = send("Runtime.evaluate", LodestarProcess.JSON
                        .createObjectNode().put("expression", expression)
                        .put("returnByValue", true));
                if (result.has("exceptionDetails")) {
                    throw new AssertionError("'" + expression + "' threw "
                            + result.path("exceptionDetails"));
                }
                return result.path("result").path("value");
            }

            void waitFor(final String condition, final String what) throws Exception {
                try {
                    LodestarProcess.waitFor(() -> {
                        try {
                            return eval("Boolean(" + condition + ")").asBoolean();
                        } catch (final AssertionError e) {
                            return false;
                        }
                    }, WAIT, what);
                } catch (final AssertionError e) {
                    throw new AssertionError(e.getMessage() + "; page state: " + eval(
                            "JSON.stringify({body: Object.assign({}, document.body.dataset), "
                            + "banner: document.querySelector('#banner').textContent, "
                            + "url: location.href})") + "; problems: " + browser.problems, e);
                }
            }

            /** Shows a tab and waits until it has rendered once. */
            void open(final String tab) throws Exception {
                eval("document.body.removeAttribute('data-loaded'); location.hash = '#" + tab
                        + "'; true");
                waitFor("document.body.dataset.loaded === '" + tab + "'", "the " + tab
                        + " page");
            }

            void screenshot(final Path file) throws Exception {
                final JsonNode metrics = send("Page.getLayoutMetrics", null);
                final JsonNode size = metrics.path("cssContentSize");
                final ObjectNode clip = LodestarProcess.JSON.createObjectNode().put("x", 0)
                        .put("y", 0).put("width", 1280)
                        .put("height", Math.max(900, Math.min(4000, size.path("height")
                                .asDouble(900)))).put("scale", 1);
                final JsonNode shot = send("Page.captureScreenshot", LodestarProcess.JSON
                        .createObjectNode().put("format", "png")
                        .put("captureBeyondViewport", true).set("clip", clip));
                Files.write(file, Base64.getDecoder().decode(shot.path("data").asText()));
                System.out.println("[e2e] screenshot " + file);
            }
        }
    }
}
