package lodestar.learning.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelRegistryTest {

    @TempDir
    Path dir;
    private final AtomicLong clock = new AtomicLong(1_000);
    private OllamaStub ollama;
    private LearningStore store;
    private ModelRegistry registry;

    @BeforeEach
    void setUp() throws Exception {
        ollama = new OllamaStub();
        store = new LearningStore(Fixtures.config("ollamaUrl", ollama.url() + "/"), dir,
                Fixtures.database(), () -> clock.addAndGet(1_000));
        registry = new ModelRegistry(store, new OllamaDeployer(HttpClient.newHttpClient(),
                Duration.ofSeconds(10)));
    }

    @AfterEach
    void tearDown() {
        ollama.close();
    }

    static ModelRegistry.Version candidate(final Path adapter, final String from) {
        return new ModelRegistry.Version("coder", 0, null, "meta-llama/Llama-3.2-1B-Instruct",
                from, "ds-1", "command", "job-1", "{\"epochs\":\"1\"}", "{\"loss\":1.2}",
                adapter.toString(), 0, null, null, null, null, null);
    }

    Path adapter(final String name) throws Exception {
        final Path a = dir.resolve(name);
        Files.createDirectories(a);
        Files.writeString(a.resolve("adapter_config.json"), "{\"r\":8}");
        Files.writeString(a.resolve("adapter_model.safetensors"), "weights-" + name);
        Files.writeString(a.resolve("README.md"), "ignored");
        return a;
    }

    @Test
    void approvalDeploysTheAdapterToOllamaAndRecordsWhoAndWhen() throws Exception {
        final Path adapter = adapter("a1");
        assertThat(registry.register(candidate(adapter, "llama3.2:1b"))).isEqualTo(1);
        final ModelRegistry.Version approved = registry.approve("coder", 1, "alice");
        assertThat(approved.state()).isEqualTo(ModelRegistry.State.APPROVED);
        assertThat(approved.approvedBy()).isEqualTo("alice");
        assertThat(approved.approvedMs()).isNotNull();
        assertThat(approved.deployedAs()).isEqualTo("lodestar-coder:v1");
        final String config = "sha256:" + DatasetBuilder.sha256(adapter.resolve(
                "adapter_config.json"));
        final String weights = "sha256:" + DatasetBuilder.sha256(adapter.resolve(
                "adapter_model.safetensors"));
        assertThat(ollama.calls).extracting(c -> c.method() + " " + c.path()).containsExactly(
                "HEAD /api/blobs/" + config, "POST /api/blobs/" + config,
                "HEAD /api/blobs/" + weights, "POST /api/blobs/" + weights, "POST /api/create");
        assertThat(Fixtures.json(ollama.calls.get(4).body()).toString()).isEqualTo(
                "{\"model\":\"lodestar-coder:v1\",\"from\":\"llama3.2:1b\",\"adapters\":{"
                + "\"adapter_config.json\":\"" + config + "\",\"adapter_model.safetensors\":\""
                + weights + "\"},\"stream\":false}");
        assertThat(ollama.calls.get(1).body()).isEqualTo("7 bytes");
        assertThat(registry.history("coder")).extracting(ModelRegistry.Event::action,
                ModelRegistry.Event::actor).containsExactly(
                        org.assertj.core.groups.Tuple.tuple("registered", "trainer"),
                        org.assertj.core.groups.Tuple.tuple("approved", "alice"));
    }

    @Test
    void promotionRetiresTheLiveVersionAndRollbackRestoresIt() throws Exception {
        registry.register(candidate(adapter("a1"), "llama3.2:1b"));
        registry.register(candidate(adapter("a2"), "llama3.2:1b"));
        assertThatThrownBy(() -> registry.promote("coder", 1, "bob"))
                .hasMessageContaining("approve it first");
        registry.approve("coder", 1, "alice");
        assertThat(registry.promote("coder", 1, "bob").state())
                .isEqualTo(ModelRegistry.State.LIVE);
        assertThatThrownBy(() -> registry.rollback("coder", "bob"))
                .hasMessageContaining("no earlier live version");
        registry.approve("coder", 2, "alice");
        registry.promote("coder", 2, "bob");
        assertThat(registry.live("coder").orElseThrow().version()).isEqualTo(2);
        assertThat(registry.get("coder", 1).orElseThrow().state())
                .isEqualTo(ModelRegistry.State.RETIRED);
        final ModelRegistry.Version back = registry.rollback("coder", "carol");
        assertThat(back.version()).isEqualTo(1);
        assertThat(back.state()).isEqualTo(ModelRegistry.State.LIVE);
        assertThat(back.deployedAs()).isEqualTo("lodestar-coder:v1");
        assertThat(registry.get("coder", 2).orElseThrow().state())
                .isEqualTo(ModelRegistry.State.RETIRED);
        assertThat(registry.list("coder").stream().filter(v -> v.state()
                == ModelRegistry.State.LIVE)).hasSize(1);
        // v1 replaced nothing: a second rollback does not bring back v2, just rolled back from
        assertThatThrownBy(() -> registry.rollback("coder", "carol"))
                .isInstanceOf(ModelRegistry.Refused.class)
                .hasMessageContaining("no earlier live version");
        assertThat(registry.live("coder").orElseThrow().version()).isEqualTo(1);
        assertThat(registry.history("coder")).extracting(ModelRegistry.Event::action)
                .contains("promoted", "retired", "rolled back");
        assertThatThrownBy(() -> registry.promote("coder", 1, "bob"))
                .isInstanceOf(ModelRegistry.Refused.class);
        assertThat(registry.list(null)).hasSize(2);
    }

    @Test
    void refusalsLeaveTheStateAlone() throws Exception {
        assertThatThrownBy(() -> registry.approve("coder", 9, "a"))
                .hasMessage("no model coder v9");
        assertThatThrownBy(() -> registry.rollback("coder", "a"))
                .hasMessageContaining("no live version");
        registry.register(candidate(adapter("a1"), "llama3.2:1b"));
        ollama.createStatus = 500;
        ollama.createBody = "{\"error\":\"unsupported architecture\"}";
        assertThatThrownBy(() -> registry.approve("coder", 1, "alice"))
                .isInstanceOf(ModelRegistry.Refused.class)
                .hasMessageContaining("unsupported architecture");
        assertThat(registry.get("coder", 1).orElseThrow().state())
                .isEqualTo(ModelRegistry.State.CANDIDATE);
        assertThat(registry.history("coder")).extracting(ModelRegistry.Event::action)
                .containsExactly("registered", "deploy failed");
        ollama.createStatus = 200;
        ollama.createBody = "{\"status\":\"reading model\"}\n{\"error\":\"bad adapter\"}\n";
        assertThatThrownBy(() -> registry.approve("coder", 1, "alice"))
                .hasMessageContaining("bad adapter");
        ollama.createBody = "{\"status\":\"reading model\"}\n";
        assertThatThrownBy(() -> registry.approve("coder", 1, "alice"))
                .hasMessageContaining("did not confirm");
        ollama.createBody = "{\"status\":\"creating\"}\n\n{\"status\":\"success\"}\n";
        assertThat(registry.approve("coder", 1, "alice").deployedAs())
                .isEqualTo("lodestar-coder:v1");
        assertThatThrownBy(() -> registry.approve("coder", 1, "alice"))
                .hasMessageContaining("only a candidate");
        assertThat(ollama.calls.stream().filter(c -> c.method().equals("POST")
                && c.path().startsWith("/api/blobs"))).hasSize(2);
    }

    @Test
    void withoutAnOllamaBaseNothingIsDeployed() throws Exception {
        registry.register(candidate(adapter("a1"), ""));
        final ModelRegistry.Version v = registry.approve("coder", 1, "alice");
        assertThat(v.deployedAs()).isNull();
        assertThat(registry.promote("coder", 1, "alice").deployedAs()).isNull();
        assertThat(ollama.calls).isEmpty();
    }

    @Test
    void ggufAdaptersGoAloneAndEmptyFoldersAreRefused() throws Exception {
        final Path a = adapter("g");
        Files.writeString(a.resolve("adapter.gguf"), "gguf");
        assertThat(OllamaDeployer.adapterFiles(a)).containsExactly(a.resolve("adapter.gguf"));
        final Path empty = dir.resolve("empty");
        Files.createDirectories(empty);
        Files.writeString(empty.resolve("adapter_config.json"), "{}");
        assertThatThrownBy(() -> OllamaDeployer.adapterFiles(empty))
                .hasMessageContaining("no adapter weights");
        ollama.blobs.add("sha256:" + DatasetBuilder.sha256(a.resolve("adapter.gguf")));
        new OllamaDeployer(HttpClient.newHttpClient(), Duration.ofSeconds(5))
                .deploy(ollama.url(), "m:v1", "llama3.2:1b", a);
        assertThat(ollama.calls).extracting(OllamaStub.Call::method).containsExactly("HEAD",
                "POST");
        final OllamaStub refusing = new OllamaStub();
        refusing.close();
        assertThatThrownBy(() -> new OllamaDeployer(HttpClient.newHttpClient(),
                Duration.ofSeconds(5)).deploy(refusing.url(), "m:v1", "b", a))
                .isInstanceOf(java.io.IOException.class);
        assertThat(List.of(ModelRegistry.ollamaName("x", 3))).containsExactly("lodestar-x:v3");
    }

    @Test
    void rollbackGoesOneStepDownTheLiveVersionsNeverBackToTheOneRolledBackFrom()
            throws Exception {
        final List<Integer> changes = new java.util.ArrayList<>();
        final Runnable listener = () -> changes.add(changes.size());
        registry.addListener(listener);
        for (final String name : List.of("a1", "a2", "a3", "a4")) {
            registry.register(candidate(adapter(name), "llama3.2:1b"));
        }
        for (int v = 1; v <= 3; v++) {
            registry.approve("coder", v, "alice");
            registry.promote("coder", v, "bob");
        }
        assertThat(changes).as("approvals and promotions are announced").hasSize(6);
        // v1 -> v2 -> v3 live; v3 is bad, then v2 is bad too: two rollbacks give v1
        assertThat(registry.rollback("coder", "carol").version()).isEqualTo(2);
        assertThat(registry.get("coder", 3).orElseThrow().state())
                .isEqualTo(ModelRegistry.State.RETIRED);
        assertThat(registry.rollback("coder", "carol").version()).isEqualTo(1);
        assertThat(registry.list("coder").stream().filter(v -> v.state()
                == ModelRegistry.State.LIVE)).extracting(ModelRegistry.Version::version)
                .containsExactly(1);
        assertThatThrownBy(() -> registry.rollback("coder", "carol"))
                .hasMessageContaining("no earlier live version");
        // a new promotion stacks on v1: its rollback returns to v1
        registry.approve("coder", 4, "alice");
        registry.promote("coder", 4, "bob");
        assertThat(registry.rollback("coder", "dave").version()).isEqualTo(1);
        assertThat(changes).hasSize(11);
        registry.removeListener(listener);
        registry.register(candidate(adapter("a5"), "llama3.2:1b"));
        registry.approve("coder", 5, "alice");
        assertThat(changes).hasSize(11);
    }

    @Test
    void aFailingListenerDoesNotUndoTheChange() throws Exception {
        registry.addListener(() -> {
            throw new IllegalStateException("listener broke");
        });
        registry.register(candidate(adapter("a1"), "llama3.2:1b"));
        assertThat(registry.approve("coder", 1, "alice").state())
                .isEqualTo(ModelRegistry.State.APPROVED);
        assertThat(registry.promote("coder", 1, "alice").state())
                .isEqualTo(ModelRegistry.State.LIVE);
    }
}
