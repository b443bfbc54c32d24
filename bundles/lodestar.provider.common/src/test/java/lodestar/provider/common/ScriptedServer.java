package lodestar.provider.common;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP server for the cases the fake upstream does not script: it answers every request
 * with a status, a content type and body parts, and can stall after the parts until released
 * (a stream that stops without closing). Shared by the provider bundles' tests (test-jar).
 */
public final class ScriptedServer implements AutoCloseable {

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        final Thread thread = new Thread(r, "scripted-server");
        thread.setDaemon(true);
        return thread;
    });
    private final CountDownLatch release = new CountDownLatch(1);
    private final int status;
    private final String contentType;
    private final List<String> parts;
    private final boolean stall;
    private final Map<String, String> headers = new LinkedHashMap<>();
    private final AtomicInteger requests = new AtomicInteger();

    /**
     * Starts a server on a free loopback port.
     *
     * @param status the status of every answer
     * @param contentType its content type
     * @param parts the body, written and flushed part by part
     * @param stall whether to keep the connection open after the parts until closed
     * @throws IOException when the server cannot start
     */
    public ScriptedServer(final int status, final String contentType, final List<String> parts,
            final boolean stall) throws IOException {
        this.status = status;
        this.contentType = contentType;
        this.parts = parts;
        this.stall = stall;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    /** Adds a response header (before the first request). */
    public ScriptedServer header(final String name, final String value) {
        headers.put(name, value);
        return this;
    }

    /** How many requests arrived. */
    public int requests() {
        return requests.get();
    }

    /** The server's URL with {@code /v1} appended, as OpenAI-style base URLs are. */
    public String baseUrl() {
        return origin() + "/v1";
    }

    /** The server's URL, {@code http://127.0.0.1:<port>}. */
    public String origin() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private void handle(final HttpExchange exchange) throws IOException {
        requests.incrementAndGet();
        exchange.getRequestBody().readAllBytes();
        exchange.getResponseHeaders().set("Content-Type", contentType);
        headers.forEach(exchange.getResponseHeaders()::set);
        exchange.sendResponseHeaders(status, 0);
        final OutputStream out = exchange.getResponseBody();
        try {
            for (final String part : parts) {
                out.write(part.getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
            if (stall) {
                // keep the connection open and silent until released
                release.await(20, TimeUnit.SECONDS);
            }
            out.close();
        } catch (final IOException | InterruptedException e) {
            // the client left
        } finally {
            exchange.close();
        }
    }

    @Override
    public void close() {
        release.countDown();
        server.stop(0);
        executor.shutdownNow();
    }
}
