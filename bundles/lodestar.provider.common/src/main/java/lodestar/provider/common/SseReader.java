package lodestar.provider.common;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ProtocolException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Parses server-sent events from bytes pushed in as they arrive, and hands over each event as
 * soon as its terminating blank line is seen. Keeps each event's raw bytes so that they can be
 * passed through unchanged.
 *
 * <p>Lines end with LF, CRLF or CR (a CRLF split between two buffers is one line end). Comment
 * lines ({@code :...}) and fields other than {@code data} and {@code event} are kept in the raw
 * bytes and otherwise ignored. Not thread-safe: one exchange feeds it, one buffer at a time.
 */
public final class SseReader {

    /** Longest event accepted. */
    public static final int MAX_EVENT_BYTES = 16 * 1024 * 1024;

    private final ByteArrayOutputStream raw = new ByteArrayOutputStream(256);
    private final ByteArrayOutputStream line = new ByteArrayOutputStream(128);
    private StringBuilder data;
    private String type;
    private boolean content;
    private boolean skipLf;

    /**
     * One event.
     *
     * @param type the {@code event} field, or {@code null}
     * @param data the {@code data} lines joined by LF, or {@code null} when there were none
     * @param raw the bytes of the event as received, its terminating blank line included
     */
    public record Event(String type, String data, byte[] raw) {
    }

    /** Receives parsed events. */
    @FunctionalInterface
    public interface Handler {

        /**
         * Takes one event.
         *
         * @param event the event
         * @return {@code false} to stop parsing (the rest of the buffer is left unread)
         * @throws IOException when the event cannot be handled
         */
        boolean onEvent(Event event) throws IOException;
    }

    /**
     * Parses the bytes of a buffer, handing over every event completed by them.
     *
     * @param bytes the bytes that arrived; consumed up to where parsing stopped
     * @param handler receives the complete events
     * @return {@code false} when the handler asked to stop
     * @throws IOException when the handler fails; {@link ProtocolException} for an oversized
     *     event
     */
    public boolean feed(final ByteBuffer bytes, final Handler handler) throws IOException {
        while (bytes.hasRemaining()) {
            final byte b = bytes.get();
            if (skipLf) {
                skipLf = false;
                if (b == '\n') {
                    raw.write(b);
                    continue;
                }
            }
            raw.write(b);
            if (b == '\n' || b == '\r') {
                if (b == '\r') {
                    if (!bytes.hasRemaining()) {
                        skipLf = true;
                    } else if (bytes.get(bytes.position()) == '\n') {
                        raw.write(bytes.get());
                    }
                }
                final Event event = endLine();
                if (event != null && !handler.onEvent(event)) {
                    return false;
                }
                continue;
            }
            line.write(b);
            if (raw.size() > MAX_EVENT_BYTES) {
                throw new ProtocolException("server-sent event longer than " + MAX_EVENT_BYTES
                        + " bytes");
            }
        }
        return true;
    }

    /**
     * Ends the stream: an event whose blank line never came is complete now.
     *
     * @return the last event, or {@code null} when nothing but blank lines is pending
     */
    public Event end() {
        if (line.size() > 0) {
            endLine();
        }
        return content ? emit() : null;
    }

    /** Handles the line just ended; returns the event a blank line completes. */
    private Event endLine() {
        if (line.size() == 0) {
            return content ? emit() : null;
        }
        content = true;
        final String text = line.toString(StandardCharsets.UTF_8);
        line.reset();
        if (text.charAt(0) == ':') {
            return null;
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
        return null;
    }

    private Event emit() {
        final Event event = new Event(type, data == null ? null : data.toString(),
                raw.toByteArray());
        raw.reset();
        data = null;
        type = null;
        content = false;
        return event;
    }
}
