package lodestar.provider.ollama.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Reads NDJSON lines as they arrive: {@link InputStream#read(byte[])} returns what the network
 * delivered, and each complete line is handed out at once, without waiting to fill a buffer.
 */
final class LineReader {

    /** A line longer than the limit. */
    static final class LineTooLongException extends IOException {
        private static final long serialVersionUID = 1L;

        LineTooLongException(final int limit) {
            super("a line of the answer is longer than " + limit + " bytes");
        }
    }

    private final InputStream in;
    private final int maxLine;
    private final byte[] buffer = new byte[8192];
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private int position;
    private int limit;

    /**
     * Creates a reader.
     *
     * @param in the stream
     * @param maxLine the longest line accepted, in bytes
     */
    LineReader(final InputStream in, final int maxLine) {
        this.in = in;
        this.maxLine = maxLine;
    }

    /**
     * The next line, without its terminator ({@code \n} or {@code \r\n}).
     *
     * @return the line, or {@code null} at the end of the stream (a last line without a
     *     terminator is returned first)
     * @throws IOException when reading fails or a line is too long
     */
    byte[] next() throws IOException {
        while (true) {
            if (position == limit) {
                limit = in.read(buffer);
                position = 0;
                if (limit < 0) {
                    limit = 0;
                    if (line.size() == 0) {
                        return null;
                    }
                    return take();
                }
            }
            for (int i = position; i < limit; i++) {
                if (buffer[i] == '\n') {
                    append(position, i);
                    position = i + 1;
                    return take();
                }
            }
            append(position, limit);
            position = limit;
        }
    }

    private void append(final int from, final int to) throws LineTooLongException {
        if (line.size() + to - from > maxLine) {
            throw new LineTooLongException(maxLine);
        }
        line.write(buffer, from, to - from);
    }

    private byte[] take() {
        byte[] bytes = line.toByteArray();
        line.reset();
        if (bytes.length > 0 && bytes[bytes.length - 1] == '\r') {
            bytes = Arrays.copyOf(bytes, bytes.length - 1);
        }
        return bytes;
    }
}
