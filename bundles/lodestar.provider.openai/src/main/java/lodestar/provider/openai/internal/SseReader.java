package lodestar.provider.openai.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ProtocolException;
import java.nio.charset.StandardCharsets;

/**
 * Reads server-sent events from a stream, one event at a time, as soon as its terminating blank
 * line arrives. Keeps each event's raw bytes so that they can be passed through unchanged.
 *
 * <p>Lines end with LF, CRLF or CR. Comment lines ({@code :...}) and fields other than
 * {@code data} and {@code event} are kept in the raw bytes and otherwise ignored.
 */
final class SseReader {

    /** Longest event accepted. */
    static final int MAX_EVENT_BYTES = 16 * 1024 * 1024;

    private final InputStream in;
    private final byte[] buffer = new byte[8192];
    private int pos;
    private int limit;
    private boolean skipLf;
    private boolean eof;

    SseReader(final InputStream in) {
        this.in = in;
    }

    /**
     * One event.
     *
     * @param type the {@code event} field, or {@code null}
     * @param data the {@code data} lines joined by LF, or {@code null} when there were none
     * @param raw the bytes of the event as received, its terminating blank line included
     */
    record Event(String type, String data, byte[] raw) {
    }

    /**
     * Reads the next event; blocks until it is complete.
     *
     * @return the event, or {@code null} at the end of the stream
     * @throws IOException when reading fails; {@link ProtocolException} for an oversized event
     */
    Event next() throws IOException {
        final ByteArrayOutputStream raw = new ByteArrayOutputStream(256);
        StringBuilder data = null;
        String type = null;
        boolean content = false;
        while (true) {
            final byte[] line = readLine(raw);
            if (line == null) {
                return content ? new Event(type, data == null ? null : data.toString(),
                        raw.toByteArray()) : null;
            }
            if (line.length == 0) {
                if (content) {
                    return new Event(type, data == null ? null : data.toString(),
                            raw.toByteArray());
                }
                continue;
            }
            content = true;
            final String text = new String(line, StandardCharsets.UTF_8);
            if (text.charAt(0) == ':') {
                continue;
            }
            final int colon = text.indexOf(':');
            final String field = colon < 0 ? text : text.substring(0, colon);
            String value = colon < 0 ? "" : text.substring(colon + 1);
            if (value.startsWith(" ")) {
                value = value.substring(1);
            }
            if (field.equals("data")) {
                if (data == null) {
                    data = new StringBuilder(value);
                } else {
                    data.append('\n').append(value);
                }
            } else if (field.equals("event")) {
                type = value;
            }
        }
    }

    /** Reads one line, appending its bytes and terminator to {@code raw}; null at EOF. */
    private byte[] readLine(final ByteArrayOutputStream raw) throws IOException {
        final ByteArrayOutputStream line = new ByteArrayOutputStream(128);
        boolean any = false;
        while (true) {
            if (pos == limit && !fill()) {
                return any ? line.toByteArray() : null;
            }
            final byte b = buffer[pos++];
            if (skipLf) {
                skipLf = false;
                if (b == '\n') {
                    raw.write(b);
                    continue;
                }
            }
            any = true;
            raw.write(b);
            if (b == '\n') {
                return line.toByteArray();
            }
            if (b == '\r') {
                if (pos < limit) {
                    if (buffer[pos] == '\n') {
                        raw.write(buffer[pos++]);
                    }
                } else {
                    skipLf = true;
                }
                return line.toByteArray();
            }
            line.write(b);
            if (raw.size() > MAX_EVENT_BYTES) {
                throw new ProtocolException("server-sent event longer than "
                        + MAX_EVENT_BYTES + " bytes");
            }
        }
    }

    private boolean fill() throws IOException {
        if (eof) {
            return false;
        }
        int n;
        do {
            n = in.read(buffer, 0, buffer.length);
        } while (n == 0);
        pos = 0;
        if (n < 0) {
            eof = true;
            limit = 0;
            return false;
        }
        limit = n;
        return true;
    }
}
