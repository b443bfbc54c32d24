package lodestar.dashboard.internal;

import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayOutputStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** Minimal request and response stand-ins for calling a servlet without a container. */
final class Http {

    private Http() {
    }

    /** What a test sets on a request. */
    static final class Request {
        String method = "GET";
        String contextPath = "";
        String servletPath = "/ui";
        String pathInfo;
        final Map<String, String> headers = new LinkedHashMap<>();
        final Map<String, String> parameters = new LinkedHashMap<>();

        Request(final String method, final String pathInfo) {
            this.method = method;
            this.pathInfo = pathInfo;
        }

        Request header(final String name, final String value) {
            headers.put(name.toLowerCase(Locale.ROOT), value);
            return this;
        }

        Request parameter(final String name, final String value) {
            parameters.put(name, value);
            return this;
        }

        HttpServletRequest proxy() {
            return (HttpServletRequest) Proxy.newProxyInstance(Http.class.getClassLoader(),
                    new Class<?>[] {HttpServletRequest.class},
                    (p, m, args) -> switch (m.getName()) {
                        case "getMethod" -> method;
                        case "getPathInfo" -> pathInfo;
                        case "getContextPath" -> contextPath;
                        case "getServletPath" -> servletPath;
                        case "getHeader" -> headers.get(((String) args[0])
                                .toLowerCase(Locale.ROOT));
                        case "getParameter" -> parameters.get((String) args[0]);
                        case "toString" -> method + " " + servletPath + pathInfo;
                        default -> throw new UnsupportedOperationException(m.getName());
                    });
        }
    }

    /** What a servlet wrote. */
    static final class Response {
        int status = 200;
        String redirect;
        String contentType;
        long contentLength = -1;
        final Map<String, String> headers = new LinkedHashMap<>();
        final ByteArrayOutputStream body = new ByteArrayOutputStream();

        String header(final String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        String text() {
            return body.toString(StandardCharsets.UTF_8);
        }

        HttpServletResponse proxy() {
            final ServletOutputStream out = new ServletOutputStream() {
                @Override
                public boolean isReady() {
                    return true;
                }

                @Override
                public void setWriteListener(final WriteListener listener) {
                    throw new UnsupportedOperationException();
                }

                @Override
                public void write(final int b) {
                    body.write(b);
                }
            };
            return (HttpServletResponse) Proxy.newProxyInstance(Http.class.getClassLoader(),
                    new Class<?>[] {HttpServletResponse.class}, (p, m, args) -> {
                        switch (m.getName()) {
                            case "setStatus" -> status = (Integer) args[0];
                            case "setHeader" -> headers.put(((String) args[0])
                                    .toLowerCase(Locale.ROOT), (String) args[1]);
                            case "setContentType" -> contentType = (String) args[0];
                            case "setContentLength" -> contentLength = (Integer) args[0];
                            case "sendRedirect" -> {
                                status = 302;
                                redirect = (String) args[0];
                            }
                            case "getOutputStream" -> {
                                return out;
                            }
                            case "toString" -> {
                                return "response " + status;
                            }
                            default -> throw new UnsupportedOperationException(m.getName());
                        }
                        return null;
                    });
        }
    }
}
