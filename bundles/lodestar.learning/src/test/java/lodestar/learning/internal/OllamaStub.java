package lodestar.learning.internal;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** A tiny Ollama for tests: records every request, keeps uploaded blobs, answers create. */
final class OllamaStub implements AutoCloseable {

    /** One recorded request. */
    record Call(String method, String path, String body) {
    }

    final List<Call> calls = new CopyOnWriteArrayList<>();
    final Set<String> blobs = ConcurrentHashMap.newKeySet();
    volatile int createStatus = 200;
    volatile String createBody = "{\"status\":\"success\"}";
    private final HttpServer server;

    OllamaStub() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            final byte[] in = exchange.getRequestBody().readAllBytes();
            final String path = exchange.getRequestURI().getPath();
            final String method = exchange.getRequestMethod();
            calls.add(new Call(method, path, path.startsWith("/api/blobs")
                    ? in.length + " bytes" : new String(in, StandardCharsets.UTF_8)));
            int status = 404;
            byte[] out = new byte[0];
            if (path.startsWith("/api/blobs/")) {
                final String digest = path.substring("/api/blobs/".length());
                if ("HEAD".equals(method)) {
                    status = blobs.contains(digest) ? 200 : 404;
                } else {
                    blobs.add(digest);
                    status = 201;
                }
            } else if ("/api/create".equals(path)) {
                status = createStatus;
                out = createBody.getBytes(StandardCharsets.UTF_8);
            }
            if ("HEAD".equals(method) || out.length == 0) {
                exchange.sendResponseHeaders(status, -1);
            } else {
                exchange.sendResponseHeaders(status, out.length);
                exchange.getResponseBody().write(out);
            }
            exchange.close();
        });
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
