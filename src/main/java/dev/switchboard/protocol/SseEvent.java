package dev.switchboard.protocol;

import java.nio.charset.StandardCharsets;

/**
 * One server-sent event as a client reads it: the {@code event:} name (null if none) and its {@code data:}
 * lines joined with newlines (null if none). Comment lines ({@code : ...}) are skipped.
 */
public record SseEvent(String name, String data) {

    /** Every event of a stream's bytes. */
    public static java.util.List<SseEvent> parseAll(byte[] stream) {
        java.util.List<SseEvent> events = new java.util.ArrayList<>();
        for (String block : new String(stream, StandardCharsets.UTF_8).split("\r\n\r\n|\n\n|\r\r")) {
            if (!block.isBlank()) events.add(parse(block.getBytes(StandardCharsets.UTF_8)));
        }
        return events;
    }

    public static SseEvent parse(byte[] event) {
        String text = new String(event, StandardCharsets.UTF_8);
        String name = null;
        StringBuilder data = null;
        for (String line : text.split("\r\n|\r|\n")) {
            if (line.isEmpty() || line.startsWith(":")) continue;
            int colon = line.indexOf(':');
            String field = colon < 0 ? line : line.substring(0, colon);
            String value = colon < 0 ? "" : line.substring(colon + 1);
            if (value.startsWith(" ")) value = value.substring(1);
            if (field.equals("event")) {
                name = value;
            } else if (field.equals("data")) {
                if (data == null) data = new StringBuilder(value);
                else data.append('\n').append(value);
            }
        }
        return new SseEvent(name, data == null ? null : data.toString());
    }
}
