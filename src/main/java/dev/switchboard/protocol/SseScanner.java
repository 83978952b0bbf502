package dev.switchboard.protocol;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.springframework.core.io.buffer.DataBuffer;

/**
 * The one reader of server-sent events' framing, for everything that looks at a stream: re-cutting it into
 * whole events ({@link SseFrames}), the usage tap, the translators and the token estimate's text. An event
 * ends at an empty line; lines end in CR, LF or CRLF, as the SSE specification allows. An instance scans a
 * stream buffer by buffer (a line may be cut between two); the static methods read bytes that hold whole
 * events.
 */
public final class SseScanner {
    private boolean atLineStart = true;
    private boolean afterCr;

    /** Receives the events found, each as its bytes {@code [from, to)}, the empty line that ends it included. */
    @FunctionalInterface
    public interface Events {
        void event(byte[] bytes, int from, int to);
    }

    /** An event's data: its {@code data:} lines joined by newlines, as {@code bytes[from, to)}. */
    public record Data(byte[] bytes, int from, int to) {
        public String text() {
            return new String(bytes, from, to - from, StandardCharsets.UTF_8);
        }

        public boolean is(byte[] value) {
            return Arrays.equals(bytes, from, to, value, 0, value.length);
        }
    }

    /**
     * Where the last event that ends in the buffer's readable bytes ends (an absolute index), or -1 if none
     * does; what the buffer leaves of a line carries over to the next call.
     */
    public int lastBoundary(DataBuffer buffer) {
        int last = -1;
        int end = buffer.writePosition();
        if (end - buffer.readPosition() >= 2 && buffer.getByte(end - 1) == '\n' && buffer.getByte(end - 2) == '\n') {
            // the usual buffer, one or more events a provider flushed: whatever the line before them, the second
            // newline is an empty line, so the buffer ends at a boundary and at a line's start, and the bytes
            // before need no reading
            atLineStart = true;
            afterCr = false;
            return end;
        }
        for (int i = buffer.readPosition(); i < end; i++) {
            byte b = buffer.getByte(i);
            if (b == '\n' && afterCr) {
                afterCr = false;
                if (last == i) last = i + 1; // keep a CRLF boundary whole
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

    /**
     * Each event of {@code bytes[from, to)} in order.
     *
     * @param unterminated also an event at the end that no empty line closes (a stream's last bytes)
     */
    public static void forEach(byte[] bytes, int from, int to, boolean unterminated, Events events) {
        boolean atLineStart = true;
        boolean afterCr = false;
        int eventStart = from;
        for (int i = from; i < to; i++) {
            int lineEnd = lineEnd(bytes, i, to);
            if (lineEnd > i) { // past the rest of a line, as nearly every byte is
                atLineStart = false;
                afterCr = false;
                if (lineEnd == to) break;
                i = lineEnd;
            }
            byte b = bytes[i];
            if (b == '\n' && afterCr) {
                afterCr = false;
                continue;
            }
            afterCr = b == '\r';
            if (atLineStart) {
                int eventEnd = i + 1 < to && b == '\r' && bytes[i + 1] == '\n' ? i + 2 : i + 1;
                if (!blank(bytes, eventStart, eventEnd)) events.event(bytes, eventStart, eventEnd);
                eventStart = eventEnd;
            }
            atLineStart = true;
        }
        if (unterminated && eventStart < to && !blank(bytes, eventStart, to)) events.event(bytes, eventStart, to);
    }

    /** The event's data, or null if it has no {@code data:} line; the bytes are {@code bytes} itself for one line. */
    public static Data data(byte[] bytes, int from, int to) {
        Data first = null;
        byte[] joined = null;
        int joinedLength = 0;
        int i = from;
        while (i < to) {
            int end = lineEnd(bytes, i, to);
            if (field(bytes, i, end, "data")) {
                int value = valueStart(bytes, i + 4, end);
                if (first == null) {
                    first = new Data(bytes, value, end);
                } else { // a further data line: the data is the lines joined by newlines
                    if (joined == null) {
                        joined = new byte[Math.max(64, 2 * (first.to() - first.from() + end - value + 1))];
                        System.arraycopy(bytes, first.from(), joined, 0, first.to() - first.from());
                        joinedLength = first.to() - first.from();
                    }
                    int need = joinedLength + 1 + end - value;
                    if (need > joined.length) joined = Arrays.copyOf(joined, 2 * need);
                    joined[joinedLength++] = '\n';
                    System.arraycopy(bytes, value, joined, joinedLength, end - value);
                    joinedLength += end - value;
                }
            }
            i = end < to && bytes[end] == '\r' && end + 1 < to && bytes[end + 1] == '\n' ? end + 2 : end + 1;
        }
        return joined != null ? new Data(joined, 0, joinedLength) : first;
    }

    /** The event's name ({@code event:}), or null. */
    public static String name(byte[] bytes, int from, int to) {
        String name = null;
        int i = from;
        while (i < to) {
            int end = lineEnd(bytes, i, to);
            if (field(bytes, i, end, "event")) {
                int value = valueStart(bytes, i + 5, end);
                name = new String(bytes, value, end - value, StandardCharsets.UTF_8);
            }
            i = end + 1;
        }
        return name;
    }

    /** Where the line at {@code from} ends: its CR or LF, or {@code to}. */
    private static int lineEnd(byte[] bytes, int from, int to) {
        int end = Bytes.indexOfEither(bytes, from, to, (byte) '\n', (byte) '\r');
        return end < 0 ? to : end;
    }

    /** A line {@code name:value} or {@code name} alone; comment lines ({@code :...}) are neither. */
    private static boolean field(byte[] bytes, int from, int end, String name) {
        if (end - from < name.length()) return false;
        for (int k = 0; k < name.length(); k++) {
            if (bytes[from + k] != name.charAt(k)) return false;
        }
        return end == from + name.length() || bytes[from + name.length()] == ':';
    }

    /** After the field name: past the colon and one space, if there are. */
    private static int valueStart(byte[] bytes, int afterName, int end) {
        int v = afterName < end && bytes[afterName] == ':' ? afterName + 1 : afterName;
        return v < end && bytes[v] == ' ' ? v + 1 : v;
    }

    private static boolean blank(byte[] bytes, int from, int to) {
        for (int i = from; i < to; i++) {
            if (bytes[i] != '\n' && bytes[i] != '\r') return false;
        }
        return true;
    }
}
