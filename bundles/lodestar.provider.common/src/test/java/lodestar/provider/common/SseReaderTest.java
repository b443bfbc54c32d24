package lodestar.provider.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ProtocolException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class SseReaderTest {

    /** Feeds the text in pieces of {@code step} bytes, then ends the stream. */
    private static List<SseReader.Event> parse(final String text, final int step)
            throws IOException {
        final byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        final SseReader reader = new SseReader();
        final List<SseReader.Event> events = new ArrayList<>();
        for (int from = 0; from < bytes.length; from += step) {
            final ByteBuffer piece = ByteBuffer.wrap(Arrays.copyOfRange(bytes, from,
                    Math.min(bytes.length, from + step)));
            assertThat(reader.feed(piece, events::add)).isTrue();
            assertThat(piece.hasRemaining()).isFalse();
        }
        final SseReader.Event last = reader.end();
        if (last != null) {
            events.add(last);
        }
        assertThat(reader.end()).isNull();
        return events;
    }

    private static String raw(final SseReader.Event event) {
        return new String(event.raw(), StandardCharsets.UTF_8);
    }

    @Test
    void readsEventsWithEveryLineEnding() throws IOException {
        final String text = "\n: comment\ndata: a\n\ndata: b\r\n\r\n: ping\n\n"
                + "event: error\rdata: c1\rdata:c2\r\rid: 7\nretry: 5\nodd line\n\ndata: end";
        for (final int step : new int[] {text.length(), 7, 1}) {
            final List<SseReader.Event> events = parse(text, step);
            assertThat(events).hasSize(6);
            final SseReader.Event a = events.get(0);
            assertThat(a.data()).isEqualTo("a");
            assertThat(a.type()).isNull();
            assertThat(raw(a)).isEqualTo("\n: comment\ndata: a\n\n");
            final SseReader.Event b = events.get(1);
            assertThat(b.data()).isEqualTo("b");
            assertThat(raw(b)).startsWith("data: b\r\n\r");
            final SseReader.Event ping = events.get(2);
            assertThat(ping.data()).isNull();
            assertThat(raw(ping)).endsWith(": ping\n\n");
            final SseReader.Event c = events.get(3);
            assertThat(c.type()).isEqualTo("error");
            assertThat(c.data()).isEqualTo("c1\nc2");
            assertThat(events.get(4).data()).isNull();
            final SseReader.Event end = events.get(5);
            assertThat(end.data()).isEqualTo("end");
            assertThat(raw(end)).isEqualTo("data: end");
        }
    }

    @Test
    void crLfInOneBufferStaysWithItsEvent() throws IOException {
        final List<SseReader.Event> events = parse("data: b\r\n\r\ndata: c\n\n", 100);
        assertThat(raw(events.get(0))).isEqualTo("data: b\r\n\r\n");
        assertThat(raw(events.get(1))).isEqualTo("data: c\n\n");
    }

    @Test
    void crLfSplitAcrossBuffersIsOneLineEnd() throws IOException {
        final List<SseReader.Event> events = parse("data: x\r\n\r\ndata: y\r\n\r\n", 1);
        assertThat(events).extracting(SseReader.Event::data).containsExactly("x", "y");
        final String all = String.join("", events.stream().map(SseReaderTest::raw).toList());
        assertThat(all).isEqualTo("data: x\r\n\r\ndata: y\r\n\r");
    }

    @Test
    void theHandlerCanStopParsing() throws IOException {
        final SseReader reader = new SseReader();
        final List<SseReader.Event> events = new ArrayList<>();
        final ByteBuffer bytes = ByteBuffer.wrap("data: 1\n\ndata: 2\n\n"
                .getBytes(StandardCharsets.UTF_8));
        assertThat(reader.feed(bytes, event -> events.add(event) && false)).isFalse();
        assertThat(events).hasSize(1);
        assertThat(bytes.remaining()).isEqualTo("data: 2\n\n".length());
    }

    @Test
    void blankLinesAloneAreNoEvent() throws IOException {
        assertThat(parse("\n\r\n\n", 2)).isEmpty();
    }

    @Test
    void oversizedEventsAreRefused() {
        final SseReader reader = new SseReader();
        final byte[] block = new byte[1024 * 1024];
        Arrays.fill(block, (byte) 'a');
        assertThatThrownBy(() -> {
            for (int i = 0; i < 20; i++) {
                reader.feed(ByteBuffer.wrap(block), event -> true);
            }
        }).isInstanceOf(ProtocolException.class).hasMessageContaining("longer than");
    }
}
