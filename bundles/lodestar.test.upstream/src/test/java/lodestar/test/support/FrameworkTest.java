package lodestar.test.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.junit.jupiter.api.Test;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.servlet.runtime.HttpServiceRuntime;

/** The in-framework test helpers, against hand-made stand-ins for the framework's services. */
class FrameworkTest {

    /** A stand-in for any interface: each method answers from the map, or null. */
    @SuppressWarnings("unchecked")
    private static <T> T stub(final Class<T> type, final Map<String, Answer> answers) {
        return (T) Proxy.newProxyInstance(FrameworkTest.class.getClassLoader(),
                new Class<?>[] {type}, (proxy, method, args) -> {
                    final Answer answer = answers.get(method.getName());
                    return answer == null ? null : answer.answer(args);
                });
    }

    interface Answer {
        Object answer(Object[] args) throws Throwable;
    }

    /** A processor whose sessions print the command and return {@code result}. */
    private static CommandProcessor processor(final Object result, final AtomicInteger closed) {
        return stub(CommandProcessor.class, Map.of("createSession", args -> {
            final PrintStream out = (PrintStream) args[1];
            final PrintStream err = (PrintStream) args[2];
            return stub(CommandSession.class, Map.of("execute", exec -> {
                out.print("out:" + exec[0] + ";");
                err.print("err;");
                return result;
            }, "close", close -> {
                closed.incrementAndGet();
                return null;
            }));
        }));
    }

    private static BundleContext context(final Class<?> type, final Object service,
            final Map<String, Object> properties, final AtomicInteger ungets) {
        final ServiceReference<?> reference = stub(ServiceReference.class,
                Map.of("getProperty", args -> properties.get((String) args[0])));
        return stub(BundleContext.class, Map.of("getServiceReference",
                args -> args[0] == type && service != null ? reference : null,
                "getService", args -> service,
                "ungetService", args -> {
                    ungets.incrementAndGet();
                    return true;
                }));
    }

    @Test
    void gogoCapturesOutputAndResultAndClosesTheSession() throws Exception {
        final AtomicInteger closed = new AtomicInteger();

        assertThat(Framework.gogo(processor(42, closed), "lodestar:status"))
                .isEqualTo("out:lodestar:status;err;42");
        assertThat(Framework.gogo(processor(null, closed), "lb")).isEqualTo("out:lb;err;");
        assertThat(closed).hasValue(2);
    }

    @Test
    void gogoFindsTheProcessorInTheContextAndReleasesIt() throws Exception {
        final AtomicInteger closed = new AtomicInteger();
        final AtomicInteger ungets = new AtomicInteger();
        final BundleContext context = context(CommandProcessor.class, processor("r", closed),
                Map.of(), ungets);

        assertThat(Framework.gogo(context, "gpu")).isEqualTo("out:gpu;err;r");
        assertThat(closed).hasValue(1);
        assertThat(ungets).hasValue(1);
    }

    @Test
    void gogoWithoutAProcessorFailsNamingTheCommand() {
        final BundleContext context = context(CommandProcessor.class, null, Map.of(),
                new AtomicInteger());

        assertThatThrownBy(() -> Framework.gogo(context, "lodestar:gpu"))
                .isInstanceOf(AssertionError.class).hasMessageContaining("lodestar:gpu");
    }

    @Test
    void gogoPassesTheCommandsExceptionOn() {
        final AtomicInteger closed = new AtomicInteger();
        final CommandProcessor failing = stub(CommandProcessor.class, Map.of("createSession",
                args -> stub(CommandSession.class, Map.of("execute", exec -> {
                    throw new IOException("no such command");
                }, "close", close -> {
                    closed.incrementAndGet();
                    return null;
                }))));

        assertThatThrownBy(() -> Framework.gogo(failing, "nonsense"))
                .isInstanceOf(IOException.class).hasMessage("no such command");
        assertThat(closed).hasValue(1);
    }

    @Test
    void waitForReturnsOnceTheCheckHolds() throws Exception {
        final AtomicInteger calls = new AtomicInteger();

        Framework.waitFor(Duration.ofSeconds(5), "the third call",
                () -> calls.incrementAndGet() == 3);

        assertThat(calls).hasValue(3);
    }

    @Test
    void waitForRetriesAfterExceptions() throws Exception {
        final AtomicInteger calls = new AtomicInteger();

        Framework.waitFor(Duration.ofSeconds(5), "a check that throws first", () -> {
            if (calls.incrementAndGet() < 3) {
                throw new IllegalStateException("not yet");
            }
            return true;
        });

        assertThat(calls).hasValue(3);
    }

    @Test
    void waitForTimesOutWithTheLastExceptionAsCause() {
        final AtomicInteger calls = new AtomicInteger();

        assertThatThrownBy(() -> Framework.waitFor(Duration.ofMillis(200), "the view", () -> {
            throw new IllegalStateException("attempt " + calls.incrementAndGet());
        })).isInstanceOf(AssertionError.class).hasMessage("timed out waiting for the view")
                .cause().isInstanceOf(IllegalStateException.class)
                .hasMessage("attempt " + calls.get());
        assertThat(calls.get()).isGreaterThan(1);
    }

    @Test
    void waitForTimesOutWithoutCauseWhenTheCheckOnlySaidNo() {
        assertThatThrownBy(() -> Framework.waitFor(Duration.ofMillis(100), "never",
                () -> false)).isInstanceOf(AssertionError.class)
                .hasMessage("timed out waiting for never").hasNoCause();
    }

    @Test
    void waitForStopsWhenTheCheckIsInterrupted() {
        assertThatThrownBy(() -> Framework.waitFor(Duration.ofSeconds(5), "interrupted", () -> {
            throw new InterruptedException("stop");
        })).isInstanceOf(InterruptedException.class).hasMessage("stop");
    }

    @Test
    void endpointReadsTheFirstOfAnArrayWithoutTheTrailingSlash() throws Exception {
        final BundleContext context = context(HttpServiceRuntime.class, new Object(),
                Map.of("osgi.http.endpoint", new String[] {"http://127.0.0.1:8080/",
                    "http://[::1]:8080/"}), new AtomicInteger());

        assertThat(Framework.endpoint(context)).isEqualTo("http://127.0.0.1:8080");
    }

    @Test
    void endpointReadsAPlainString() throws Exception {
        final BundleContext context = context(HttpServiceRuntime.class, new Object(),
                Map.of("osgi.http.endpoint", "http://localhost:9090"), new AtomicInteger());

        assertThat(Framework.endpoint(context, Duration.ofSeconds(1)))
                .isEqualTo("http://localhost:9090");
    }

    @Test
    void endpointWaitsForTheRuntimeAndABoundPort() throws Exception {
        final AtomicInteger lookups = new AtomicInteger();
        final Map<String, Object> properties = new HashMap<>();
        final ServiceReference<?> reference = stub(ServiceReference.class,
                Map.of("getProperty", args -> properties.get((String) args[0])));
        final BundleContext context = stub(BundleContext.class, Map.of("getServiceReference",
                args -> {
                    switch (lookups.incrementAndGet()) {
                        case 1:
                            return null;
                        case 2:
                            properties.put("osgi.http.endpoint", "http://127.0.0.1:0/");
                            return reference;
                        case 3:
                            properties.put("osgi.http.endpoint", new String[0]);
                            return reference;
                        case 4:
                            properties.put("osgi.http.endpoint", 8080);
                            return reference;
                        default:
                            properties.put("osgi.http.endpoint", "http://127.0.0.1:4711/");
                            return reference;
                    }
                }));

        assertThat(Framework.endpoint(context, Duration.ofSeconds(5)))
                .isEqualTo("http://127.0.0.1:4711");
        assertThat(lookups).hasValue(5);
    }

    @Test
    void endpointGivesUpAfterTheTimeout() {
        final BundleContext context = context(HttpServiceRuntime.class, null, Map.of(),
                new AtomicInteger());

        assertThatThrownBy(() -> Framework.endpoint(context, Duration.ofMillis(120)))
                .isInstanceOf(AssertionError.class).hasMessage("no HTTP endpoint within 120 ms");
    }
}
