package lodestar.runtime.internal;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Converter;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /lodestar/shell}: runs one Gogo command and answers its output as text. Used by
 * {@code scripts/shell.sh}. Only callers on a loopback address that present the token from
 * {@code <data dir>/shell.token} in {@code X-Lodestar-Shell-Token} are served; browser requests
 * (with an {@code Origin} header) are refused, so a web page cannot drive the shell.
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern(ShellServlet.PATH)
@HttpWhiteboardServletName("lodestar.runtime.shell")
public final class ShellServlet extends HttpServlet {

    /** The endpoint path. */
    static final String PATH = "/lodestar/shell";
    /** The header carrying the token. */
    static final String TOKEN_HEADER = "X-Lodestar-Shell-Token";
    static final int MAX_COMMAND_BYTES = 8192;
    static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ShellServlet.class);

    private final transient ShellToken token;
    private transient volatile CommandProcessor processor;
    private final transient ExecutorService runner = Executors.newCachedThreadPool(r -> {
        final Thread thread = new Thread(r, "lodestar-shell");
        thread.setDaemon(true);
        return thread;
    });

    /**
     * Activates: writes a fresh token.
     *
     * @param context the bundle context, for the data folder
     * @throws IOException when the token file cannot be written
     */
    @Activate
    public ShellServlet(final BundleContext context) throws IOException {
        this(ShellToken.create(LodestarEnvironment.read(context::getProperty, System.getenv())
                .dataDir()));
    }

    ShellServlet(final ShellToken token) {
        this.token = token;
        LOG.info("Shell endpoint ready on loopback; token in {}", token.file());
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void setProcessor(final CommandProcessor commandProcessor) {
        this.processor = commandProcessor;
    }

    void unsetProcessor(final CommandProcessor commandProcessor) {
        if (this.processor == commandProcessor) {
            this.processor = null;
        }
    }

    @Deactivate
    void deactivate() {
        runner.shutdownNow();
        token.delete();
    }

    @Override
    protected void doPost(final HttpServletRequest request, final HttpServletResponse response)
            throws IOException {
        if (!isLoopback(request.getRemoteAddr()) || request.getHeader("Origin") != null) {
            text(response, 403, "the shell endpoint answers local command-line callers only\n");
            return;
        }
        if (!token.matches(request.getHeader(TOKEN_HEADER))) {
            text(response, 401, "missing or wrong " + TOKEN_HEADER
                    + " (read it from the data folder's " + ShellToken.FILE_NAME + ")\n");
            return;
        }
        final byte[] body = request.getInputStream().readNBytes(MAX_COMMAND_BYTES + 1);
        if (body.length > MAX_COMMAND_BYTES) {
            text(response, 413, "command longer than " + MAX_COMMAND_BYTES + " bytes\n");
            return;
        }
        final String command = new String(body, StandardCharsets.UTF_8).trim();
        if (command.isEmpty()) {
            text(response, 400, "no command given\n");
            return;
        }
        final CommandProcessor current = processor;
        if (current == null) {
            text(response, 503, "the Gogo shell is not running in this instance\n");
            return;
        }
        final Result result = execute(current, command);
        text(response, result.status(), result.output());
    }

    Result execute(final CommandProcessor current, final String command) {
        final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        final PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8);
        final CommandSession session = current.createSession(InputStream.nullInputStream(), out,
                out);
        final Future<Object> future = runner.submit(() -> session.execute(command));
        try {
            final Object value = future.get(COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            if (value != null) {
                out.println(session.format(value, Converter.INSPECT));
            }
            return new Result(200, buffer.toString(StandardCharsets.UTF_8));
        } catch (final ExecutionException e) {
            final Throwable cause = e.getCause() == null ? e : e.getCause();
            out.println(cause.getClass().getSimpleName() + ": " + cause.getMessage());
            return new Result(400, buffer.toString(StandardCharsets.UTF_8));
        } catch (final TimeoutException e) {
            future.cancel(true);
            out.println("command did not finish within " + COMMAND_TIMEOUT.toSeconds() + " s");
            return new Result(504, buffer.toString(StandardCharsets.UTF_8));
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(503, "interrupted\n");
        } finally {
            session.close();
        }
    }

    static boolean isLoopback(final String address) {
        if (address == null || address.isEmpty()) {
            return false;
        }
        try {
            // a literal address: no name lookup happens
            return InetAddress.getByName(address.replace("[", "").replace("]", ""))
                    .isLoopbackAddress() && !Character.isLetter(address.charAt(0));
        } catch (final UnknownHostException e) {
            return false;
        }
    }

    private static void text(final HttpServletResponse response, final int status,
            final String body) throws IOException {
        response.setStatus(status);
        response.setContentType("text/plain");
        response.setCharacterEncoding("UTF-8");
        response.setHeader("Cache-Control", "no-store");
        response.getOutputStream().write(body.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The outcome of a command.
     *
     * @param status the HTTP status to answer
     * @param output what the command printed and returned
     */
    record Result(int status, String output) {
    }
}
