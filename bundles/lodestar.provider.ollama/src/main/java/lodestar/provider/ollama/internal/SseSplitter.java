package lodestar.provider.ollama.internal;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;

/**
 * Cuts a server-sent event stream at event boundaries (an empty line), so that each piece
 * handed on holds whole events only.
 */
final class SseSplitter {

    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    /**
     * Adds bytes from the network.
     *
     * @param data the bytes
     * @param length how many of them
     * @return the complete events received so far, or {@code null} when none is complete
     */
    byte[] feed(final byte[] data, final int length) {
        pending.write(data, 0, length);
        final byte[] all = pending.toByteArray();
        final int end = lastBoundary(all);
        if (end < 0) {
            return null;
        }
        pending.reset();
        pending.write(all, end, all.length - end);
        return Arrays.copyOf(all, end);
    }

    /**
     * What is left after the stream ended: an incomplete last event.
     *
     * @return the bytes, or {@code null} when nothing is left
     */
    byte[] rest() {
        if (pending.size() == 0) {
            return null;
        }
        final byte[] rest = pending.toByteArray();
        pending.reset();
        return rest;
    }

    /** The index just past the last blank line, or -1. */
    private static int lastBoundary(final byte[] bytes) {
        for (int i = bytes.length - 1; i > 0; i--) {
            if (bytes[i] == '\n' && (bytes[i - 1] == '\n'
                    || bytes[i - 1] == '\r' && i > 1 && bytes[i - 2] == '\n')) {
                return i + 1;
            }
        }
        return -1;
    }
}
