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
}
