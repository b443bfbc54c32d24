package lodestar.provider.ollama.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import lodestar.api.chat.Usage;
import org.junit.jupiter.api.Test;

class StreamPartsTest {

    private static byte[] bytes(final String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** Delivers the given pieces one read at a time, like a network stream. */
    private static InputStream pieces(final String... pieces) {
        return new InputStream() {
            private int index;

            @Override
            public int read() {
                throw new UnsupportedOperationException();
            }

            @Override
            public int read(final byte[] b, final int off, final int len) {
                if (index == pieces.length) {
                    return -1;
                }
                final byte[] piece = bytes(pieces[index++]);
                System.arraycopy(piece, 0, b, off, piece.length);
                return piece.length;
            }
        };
    }

    private static List<String> lines(final LineReader reader) throws IOException {
        final List<String> lines = new ArrayList<>();
        byte[] line;
        while ((line = reader.next()) != null) {
            lines.add(new String(line, StandardCharsets.UTF_8));
        }
        return lines;
    }

    @Test
    void linesAreCutAtNewlinesWhateverTheReads() throws IOException {
        assertThat(lines(new LineReader(pieces("{\"a\":", "1}\n{\"b\"", ":2}\r\n\n", "{\"c\":3}"),
                100))).containsExactly("{\"a\":1}", "{\"b\":2}", "", "{\"c\":3}");
        assertThat(lines(new LineReader(new ByteArrayInputStream(new byte[0]), 10))).isEmpty();
    }

    @Test
    void overlongLinesAreRefused() {
        final LineReader reader = new LineReader(pieces("0123456789", "0123456789\n"), 15);
        assertThatThrownBy(reader::next).isInstanceOf(LineReader.LineTooLongException.class)
                .hasMessageContaining("longer than 15 bytes");
    }

    @Test
    void serverSentEventsAreHandedOnWhole() {
        final SseSplitter splitter = new SseSplitter();

        final byte[] start = bytes("data: {\"a\"");
        assertThat(splitter.feed(start, start.length)).isNull();
        final byte[] first = bytes(":1}\n\ndata: {\"b\":2}\r\n\r\ndata: [DO");
        assertThat(new String(splitter.feed(first, first.length), StandardCharsets.UTF_8))
                .isEqualTo("data: {\"a\":1}\n\ndata: {\"b\":2}\r\n\r\n");
        final byte[] second = bytes("NE]\n\n");
        assertThat(new String(splitter.feed(second, second.length), StandardCharsets.UTF_8))
                .isEqualTo("data: [DONE]\n\n");
        assertThat(splitter.rest()).isNull();
        final byte[] partial = bytes("data: x");
        splitter.feed(partial, partial.length);
        assertThat(new String(splitter.rest(), StandardCharsets.UTF_8)).isEqualTo("data: x");
    }

    @Test
    void theUsageOfAJsonAnswerIsFoundInPieces() {
        final UsageScanner scanner = new UsageScanner(new ObjectMapper());
        final String answer = "{\"object\":\"list\",\"data\":[{\"embedding\":[0.1,0.2],"
                + "\"usage\":{\"prompt_tokens\":99}}],\"model\":\"m\",\"usage\":"
                + "{\"prompt_tokens\":5,\"total_tokens\":5}}";
        for (int i = 0; i < answer.length(); i += 7) {
            final byte[] piece = bytes(answer.substring(i, Math.min(answer.length(), i + 7)));
            scanner.feed(piece, piece.length);
        }

        final Usage usage = scanner.finish();

        assertThat(usage.promptTokens()).isEqualTo(5);
        assertThat(usage.totalTokens()).isEqualTo(5);
    }

    private static void feed(final UsageScanner scanner, final String text) {
        final byte[] data = bytes(text);
        scanner.feed(data, data.length);
    }

    @Test
    void noUsageIsNull() {
        final UsageScanner none = new UsageScanner(new ObjectMapper());
        feed(none, "{\"usage\":null,\"x\":1}");
        assertThat(none.finish()).isNull();

        final UsageScanner broken = new UsageScanner(new ObjectMapper());
        feed(broken, "not json");
        feed(broken, "{}");
        assertThat(broken.finish()).isNull();

        final UsageScanner wrongType = new UsageScanner(new ObjectMapper());
        feed(wrongType, "{\"usage\":{\"prompt_tokens\":\"many\"}}");
        assertThat(wrongType.finish()).isNull();
    }
}
