package dev.switchboard.protocol;

import java.nio.charset.StandardCharsets;
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
        SseScanner.forEach(sse, 0, length, true, (bytes, from, to) -> {
            SseScanner.Data data = SseScanner.data(bytes, from, to);
            if (data != null) appendData(data.bytes(), data.from(), data.to(), out);
        });
    }

    private static void appendData(byte[] bytes, int from, int to, StringBuilder out) {
        if (to - from == DONE.length && startsWith(bytes, from, to, "[DONE]")) return;
        append(bytes, from, to - from, out);
    }

    /** Appends every string value, one per line, except under {@link #NOT_TEXT} fields; nothing if not JSON. */
    private static void append(byte[] json, int offset, int length, StringBuilder out) {
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
        }
    }

    private static boolean startsWith(byte[] bytes, int from, int to, String prefix) {
        if (to - from < prefix.length()) return false;
        for (int k = 0; k < prefix.length(); k++) {
            if (bytes[from + k] != prefix.charAt(k)) return false;
        }
        return true;
    }
}
