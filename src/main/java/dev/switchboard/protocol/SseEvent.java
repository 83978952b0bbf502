package dev.switchboard.protocol;

import java.util.ArrayList;
import java.util.List;

/**
 * One server-sent event as a client reads it: the {@code event:} name (null if none) and its {@code data:}
 * lines joined with newlines (null if none). Comment lines ({@code : ...}) are skipped. Read with
 * {@link SseScanner}.
 */
public record SseEvent(String name, String data) {

    /** Every event of a stream's bytes, the last one also if no empty line ends it. */
    public static List<SseEvent> parseAll(byte[] stream) {
        List<SseEvent> events = new ArrayList<>();
        SseScanner.forEach(stream, 0, stream.length, true, (bytes, from, to) -> events.add(parse(bytes, from, to)));
        return events;
    }

    public static SseEvent parse(byte[] event) {
        return parse(event, 0, event.length);
    }

    public static SseEvent parse(byte[] bytes, int from, int to) {
        SseScanner.Data data = SseScanner.data(bytes, from, to);
        return new SseEvent(SseScanner.name(bytes, from, to), data == null ? null : data.text());
    }
}
