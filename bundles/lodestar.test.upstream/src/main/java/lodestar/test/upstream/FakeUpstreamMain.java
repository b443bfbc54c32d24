package lodestar.test.upstream;

import java.io.IOException;
import java.util.concurrent.CountDownLatch;

/**
 * Runs the fake upstream as a process, for benchmarks: {@code java ... FakeUpstreamMain PORT}.
 * Request recording is off. Stops on SIGTERM.
 */
public final class FakeUpstreamMain {

    private FakeUpstreamMain() {
    }

    /**
     * Starts the fake on the given port (default 0 = free) and prints its URL.
     *
     * @param args the port, optional
     * @throws IOException when the port cannot be bound
     * @throws InterruptedException when interrupted while waiting
     */
    public static void main(final String[] args) throws IOException, InterruptedException {
        // Without TCP_NODELAY the JDK server's separate header and body writes meet the
        // client's delayed ACK: a 40 ms stall per keep-alive request under load.
        System.setProperty("sun.net.httpserver.nodelay", "true");
        final int port = args.length > 0 ? Integer.parseInt(args[0]) : 0;
        final FakeUpstream fake = FakeUpstream.start(port, 64);
        fake.recording(false);
        final CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            fake.close();
            stop.countDown();
        }));
        System.out.println(fake.baseUrl());
        System.out.flush();
        stop.await();
    }
}
