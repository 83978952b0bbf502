package dev.switchboard.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class SseScannerTest {
    private static List<String> events(String stream, boolean unterminated) {
        byte[] bytes = stream.getBytes(StandardCharsets.UTF_8);
        List<String> out = new ArrayList<>();
        SseScanner.forEach(bytes, 0, bytes.length, unterminated, (b, from, to) -> out.add(new String(b, from, to - from, StandardCharsets.UTF_8)));
        return out;
    }

    @Test
    void eventsEndAtAnEmptyLineWhateverTheLineEndingsAndKeepTheirBytes() {
        assertThat(events("data: a\n\ndata: b\r\n\r\nevent: x\rdata: c\r\r", false))
                .containsExactly("data: a\n\n", "data: b\r\n\r\n", "event: x\rdata: c\r\r");
        assertThat(events("\n\ndata: a\n\n", false)).as("blank lines alone are no event").containsExactly("data: a\n\n");
    }

    @Test
    void anEventNoEmptyLineClosesCountsOnlyWhenAsked() {
        assertThat(events("data: a\n\ndata: b", false)).containsExactly("data: a\n\n");
        assertThat(events("data: a\n\ndata: b", true)).containsExactly("data: a\n\n", "data: b");
    }

    @Test
    void dataLinesAreJoinedCommentsSkippedAndTheNameRead() {
        byte[] event = ": OPENROUTER PROCESSING\nevent: message_delta\ndata: {\"a\":\ndata:1}\n\n".getBytes(StandardCharsets.UTF_8);
        SseEvent parsed = SseEvent.parse(event);
        assertThat(parsed.name()).isEqualTo("message_delta");
        assertThat(parsed.data()).isEqualTo("{\"a\":\n1}");
        assertThat(SseEvent.parse(": keep-alive\n\n".getBytes(StandardCharsets.UTF_8))).isEqualTo(new SseEvent(null, null));
        byte[] one = "data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8);
        SseScanner.Data data = SseScanner.data(one, 0, one.length);
        assertThat(data.bytes()).as("one data line is read in place").isSameAs(one);
        assertThat(data.is("[DONE]".getBytes(StandardCharsets.US_ASCII))).isTrue();
    }

    /**
     * A buffer ending in two newlines is taken as ending at a boundary without being read: checked against a
     * reading of every byte (the scanner as it was before that shortcut), over streams of every line ending cut
     * into two buffers at each place, so that what the first buffer leaves of a line carries into the second.
     */
    @Test
    void theLastBoundaryOfEachBufferIsWhereAReadingOfEveryByteFindsIt() {
        String[] pieces = {"data: a", "\n", "\r", "\r\n", "\n\n", "\r\n\r\n", ": c", "\r\r", "\n\r\n"};
        java.util.Random random = new java.util.Random(32);
        org.springframework.core.io.buffer.DefaultDataBufferFactory factory = org.springframework.core.io.buffer.DefaultDataBufferFactory.sharedInstance;
        int checked = 0;
        for (int stream = 0; stream < 400; stream++) {
            StringBuilder text = new StringBuilder();
            for (int k = 1 + random.nextInt(8); k > 0; k--) text.append(pieces[random.nextInt(pieces.length)]);
            byte[] bytes = text.toString().getBytes(StandardCharsets.US_ASCII);
            for (int cut = 0; cut <= bytes.length; cut++) {
                SseScanner scanner = new SseScanner();
                ByteByByte reference = new ByteByByte();
                for (int[] part : new int[][] {{0, cut}, {cut, bytes.length}}) {
                    byte[] piece = java.util.Arrays.copyOfRange(bytes, part[0], part[1]);
                    int found = scanner.lastBoundary(factory.wrap(piece));
                    assertThat(found).as("%s cut at %d", text.toString().replace("\r", "\\r").replace("\n", "\\n"), cut)
                            .isEqualTo(reference.lastBoundary(piece));
                    checked++;
                }
            }
        }
        assertThat(checked).isGreaterThan(1_000);
    }

    /** The events found by skipping to each line's end are those a reading of every byte finds, in streams of every line ending. */
    @Test
    void eventsAreFoundAsAReadingOfEveryByteFindsThem() {
        String[] pieces = {"data: a", "data: {\"long\":\"line of some length\"}", "\n", "\r", "\r\n", "\n\n", "\r\n\r\n", ": c",
                "\r\r", "\n\r\n", "event: x"};
        java.util.Random random = new java.util.Random(64);
        for (int stream = 0; stream < 2_000; stream++) {
            StringBuilder text = new StringBuilder();
            for (int k = 1 + random.nextInt(10); k > 0; k--) text.append(pieces[random.nextInt(pieces.length)]);
            for (boolean unterminated : new boolean[] {false, true}) {
                List<String> expected = new ArrayList<>();
                byte[] bytes = text.toString().getBytes(StandardCharsets.US_ASCII);
                ByteByByte.forEach(bytes, unterminated, (b, from, to) -> expected.add(new String(b, from, to - from, StandardCharsets.US_ASCII)));
                assertThat(events(text.toString(), unterminated)).as(text.toString().replace("\r", "\\r").replace("\n", "\\n"))
                        .isEqualTo(expected);
            }
        }
    }

    /** Every byte read, in order: the reference for the scanner's shortcut. */
    private static final class ByteByByte {
        private boolean atLineStart = true;
        private boolean afterCr;

        int lastBoundary(byte[] bytes) {
            int last = -1;
            for (int i = 0; i < bytes.length; i++) {
                byte b = bytes[i];
                if (b == '\n' && afterCr) {
                    afterCr = false;
                    if (last == i) last = i + 1;
                    continue;
                }
                afterCr = b == '\r';
                if (b == '\n' || b == '\r') {
                    if (atLineStart) last = i + 1;
                    atLineStart = true;
                } else {
                    atLineStart = false;
                }
            }
            return last;
        }

        static void forEach(byte[] bytes, boolean unterminated, SseScanner.Events events) {
            boolean atLineStart = true;
            boolean afterCr = false;
            int eventStart = 0;
            for (int i = 0; i < bytes.length; i++) {
                byte b = bytes[i];
                if (b == '\n' && afterCr) {
                    afterCr = false;
                    continue;
                }
                afterCr = b == '\r';
                if (b != '\n' && b != '\r') {
                    atLineStart = false;
                    continue;
                }
                if (atLineStart) {
                    int eventEnd = i + 1 < bytes.length && b == '\r' && bytes[i + 1] == '\n' ? i + 2 : i + 1;
                    if (!blank(bytes, eventStart, eventEnd)) events.event(bytes, eventStart, eventEnd);
                    eventStart = eventEnd;
                }
                atLineStart = true;
            }
            if (unterminated && eventStart < bytes.length && !blank(bytes, eventStart, bytes.length)) events.event(bytes, eventStart, bytes.length);
        }

        private static boolean blank(byte[] bytes, int from, int to) {
            for (int i = from; i < to; i++) {
                if (bytes[i] != '\n' && bytes[i] != '\r') return false;
            }
            return true;
        }
    }
}
