package lodestar.learning.internal;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;

/** Servlet request and response stand-ins (dynamic proxies) for unit tests. */
final class FakeHttp {

    private FakeHttp() {
    }

    /** A captured response. */
    static final class Response {
        int status = 200;
        final Map<String, String> headers = new HashMap<>();
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        final HttpServletResponse proxy;

        Response() {
            final ServletOutputStream out = new ServletOutputStream() {
                @Override
                public boolean isReady() {
                    return true;
                }

                @Override
                public void setWriteListener(final WriteListener listener) {
                    // not used
                }

                @Override
                public void write(final int b) {
                    body.write(b);
                }
            };
            proxy = (HttpServletResponse) Proxy.newProxyInstance(
                    FakeHttp.class.getClassLoader(), new Class<?>[] {HttpServletResponse.class},
                    (p, method, args) -> {
                        switch (method.getName()) {
                            case "setStatus" -> status = (Integer) args[0];
                            case "setHeader" -> headers.put((String) args[0], (String) args[1]);
                            case "getOutputStream" -> {
                                return out;
                            }
                            case "isCommitted" -> {
                                return body.size() > 0;
                            }
                            default -> {
                                return null;
                            }
                        }
                        return null;
                    });
        }

        String text() {
            return body.toString(StandardCharsets.UTF_8);
        }

        JsonNode json() {
            return Fixtures.json(text());
        }
    }

    static HttpServletRequest request(final String method, final String pathInfo,
            final String body, final String... headers) {
        final Map<String, String> map = new HashMap<>();
        for (int i = 0; i < headers.length; i += 2) {
            map.put(headers[i].toLowerCase(java.util.Locale.ROOT), headers[i + 1]);
        }
        final ByteArrayInputStream bytes = new ByteArrayInputStream(
                (body == null ? "" : body).getBytes(StandardCharsets.UTF_8));
        final ServletInputStream in = new ServletInputStream() {
            @Override
            public boolean isFinished() {
                return bytes.available() == 0;
            }

            @Override
            public boolean isReady() {
                return true;
            }

            @Override
            public void setReadListener(final ReadListener listener) {
                // not used
            }

            @Override
            public int read() {
                return bytes.read();
            }
        };
        return (HttpServletRequest) Proxy.newProxyInstance(FakeHttp.class.getClassLoader(),
                new Class<?>[] {HttpServletRequest.class}, (p, method1, args) -> {
                    switch (method1.getName()) {
                        case "getMethod":
                            return method;
                        case "getPathInfo":
                            return pathInfo;
                        case "getHeader":
                            return map.get(((String) args[0]).toLowerCase(java.util.Locale.ROOT));
                        case "getInputStream":
                            return in;
                        case "getParameterNames":
                            return Collections.emptyEnumeration();
                        default:
                            return null;
                    }
                });
    }
}
