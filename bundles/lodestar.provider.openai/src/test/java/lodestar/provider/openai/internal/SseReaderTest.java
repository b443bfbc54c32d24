package lodestar.provider.openai.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ProtocolException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SseReaderTest {

    private static SseReader reader(final String text) {
        return new SseReader(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
    }

    private static String raw(final SseReader.Event event) {
        return new String(event.raw(), StandardCharsets.UTF_8);
    }

    @Test
    void readsEventsWithEveryLineEnding() throws IOException {
        final SseReader reader = reader("\n: comment\ndata: a\n\ndata: b\r\n\r\n: ping\n\n"
                + "event: error\rdata: c1\rdata:c2\r\rid: 7\nretry: 5\nodd line\n\ndata: end");
        final SseReader.Event a = reader.next();
        assertThat(a.data()).isEqualTo("a");
        assertThat(a.type()).isNull();
        assertThat(raw(a)).isEqualTo("\n: comment\ndata: a\n\n");
        final SseReader.Event b = reader.next();
        assertThat(b.data()).isEqualTo("b");
        assertThat(raw(b)).isEqualTo("data: b\r\n\r\n");
        final SseReader.Event ping = reader.next();
        assertThat(ping.data()).isNull();
        assertThat(raw(ping)).isEqualTo(": ping\n\n");
        final SseReader.Event c = reader.next();
        assertThat(c.type()).isEqualTo("error");
        assertThat(c.data()).isEqualTo("c1\nc2");
        final SseReader.Event fields = reader.next();
        assertThat(fields.data()).isNull();
        final SseReader.Event end = reader.next();
        assertThat(end.data()).isEqualTo("end");
        assertThat(reader.next()).isNull();
        assertThat(reader.next()).isNull();
    }

    @Test
    void crLfSplitAcrossReadsIsOneLineEnd() throws IOException {
        final byte[] bytes = "data: x\r\n\r\ndata: y\r\n\r\n".getBytes(StandardCharsets.UTF_8);
        final InputStream oneByteAtATime = new InputStream() {
            private int pos;

            @Override
            public int read() {
                return pos < bytes.length ? bytes[pos++] : -1;
            }

            @Override
            public int read(final byte[] b, final int off, final int len) {
                if (pos >= bytes.length) {
                    return -1;
                }
                b[off] = bytes[pos++];
                return 1;
            }
        };
        final SseReader reader = new SseReader(oneByteAtATime);
        assertThat(reader.next().data()).isEqualTo("x");
        final SseReader.Event y = reader.next();
        assertThat(y.data()).isEqualTo("y");
        assertThat(reader.next()).isNull();
    }

    @Test
    void oversizedEventsAreRefused() {
        final InputStream endless = new InputStream() {
            @Override
            public int read() {
                return 'a';
            }
        };
        assertThatThrownBy(() -> new SseReader(endless).next())
                .isInstanceOf(ProtocolException.class).hasMessageContaining("longer than");
    }
}
