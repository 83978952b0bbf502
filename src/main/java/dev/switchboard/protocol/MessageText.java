package dev.switchboard.protocol;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Set;

import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;

/**
 * The text a model reads or writes in a request, an answer or a stream of either protocol: message
 * contents, tool arguments, reasoning; not identifiers, enums or usage. What a token estimate counts.
 * Read with the streaming parser, no tree: a stream's text is taken as it goes (see {@link StreamUsageTap}).
 */
public final class MessageText {
    /** Fields whose strings are identifiers or enums, not text a model reads or writes. */
    private static final Set<String> NOT_TEXT = Set.of("model", "role", "type", "id", "object", "tool_call_id",
            "tool_use_id", "finish_reason", "stop_reason", "signature", "system_fingerprint", "provider",
            "native_finish_reason", "service_tier", "stop_sequence", "base_resp", "meta", "usage");
    private static final byte[] DONE = "[DONE]".getBytes(StandardCharsets.US_ASCII);

    private MessageText() {}

    /** The text of a JSON body (a request, or a non-streaming answer). */
    public static String of(byte[] json) {
        StringBuilder out = new StringBuilder();
        append(json, 0, json.length, out);
        return out.toString();
    }

    /** The text of a stream's events, given as its bytes (whole events). */
    public static String ofStream(byte[] sse) {
        StringBuilder out = new StringBuilder();
        appendStream(sse, sse.length, out);
        return out.toString();
    }

    /**
     * Appends the text of the events in {@code sse[0, length)}: each event's {@code data:} lines, joined
     * as a client joins them, read as JSON ({@code [DONE]} and comments carry none).
     */
    public static void appendStream(byte[] sse, int length, StringBuilder out) {
        EventData data = new EventData(length);
        SseScanner.forEach(sse, 0, length, true, data);
        appendValues(data.bytes, data.size, out);
    }

    /**
     * Appends the text of events' data given as {@code values[0, length)}, each followed by a carriage return
     * (which no data holds). They are read one after another by one parser, as JSON allows values in
     * sequence: a parser made for each event (a chunk of a few dozen bytes of text) cost more than reading the
     * event. Should any not be JSON, each is read alone again, so that only that one carries nothing, as before
     * a client.
     */
    public static void appendValues(byte[] values, int length, StringBuilder out) {
        if (length == 0 || append(values, 0, length, out)) return;
        for (int from = 0, to; from < length; from = to + 1) {
            to = from;
            while (to < length && values[to] != '\r') to++;
            append(values, from, to - from, out);
        }
    }

    /** The events' data, each followed by a carriage return. */
    private static final class EventData implements SseScanner.Events {
        byte[] bytes;
        int size;

        EventData(int capacity) {
            bytes = new byte[capacity]; // an event's data and its separator are never longer than the event
        }

        @Override
        public void event(byte[] sse, int from, int to) {
            SseScanner.Data data = SseScanner.data(sse, from, to);
            if (data == null || data.is(DONE)) return;
            int n = data.to() - data.from();
            if (size + n + 1 > bytes.length) bytes = Arrays.copyOf(bytes, Math.max(2 * bytes.length, size + n + 1));
            System.arraycopy(data.bytes(), data.from(), bytes, size, n);
            size += n;
            bytes[size++] = '\r';
        }
    }

    /**
     * Appends every string value, one per line, except under {@link #NOT_TEXT} fields; nothing if not JSON.
     *
     * @return false if the bytes were not JSON
     */
    private static boolean append(byte[] json, int offset, int length, StringBuilder out) {
        int mark = out.length();
        try (JsonParser p = Json.FACTORY.createParser(ObjectReadContext.empty(), json, offset, length)) {
            JsonToken token;
            while ((token = p.nextToken()) != null) {
                if (token == JsonToken.PROPERTY_NAME && NOT_TEXT.contains(p.currentName())) {
                    p.nextToken();
                    p.skipChildren();
                } else if (token == JsonToken.VALUE_STRING) {
                    out.append(p.getString()).append('\n');
                }
            }
        } catch (JacksonException e) {
            out.setLength(mark); // a broken body or event carries nothing countable
            return false;
        }
        return true;
    }
}
