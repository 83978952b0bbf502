package dev.switchboard.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;

import dev.switchboard.config.Protocol;
import dev.switchboard.protocol.anthropic.AnthropicUsage;
import dev.switchboard.protocol.openai.OpenAiUsage;
import dev.switchboard.protocol.responses.ResponsesUsage;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * Reads usage beside one stream without changing what the client gets. It looks at the events of each
 * buffer (whole events: see {@link SseFrames}), parses only those whose bytes can carry usage, and keeps
 * the last usage seen (a {@code "usage":null} is not parsed). OpenAI: a {@code usage} object wherever it appears (a usage-only chunk, a last chunk
 * with choices, MiniMax's closing {@code chat.completion}), and the provider's cost beside it. Anthropic:
 * input and cache tokens from {@code message_start}, output tokens (cumulative) from the last
 * {@code message_delta}. One instance per stream.
 */
public final class StreamUsageTap {
    private static final byte[] USAGE = bytes("\"usage\"");
    private static final byte[] META = bytes("\"meta\"");
    /** Where the searches for the two fields stop: {@code g} of {@code "usage"}, {@code m} of {@code "meta"}. */
    private static final int USAGE_ANCHOR = 4, META_ANCHOR = 1;
    private static final byte[] MESSAGE_START = bytes("message_start");
    private static final byte[] MESSAGE_DELTA = bytes("message_delta");
    private static final byte[] DONE = bytes("[DONE]");
    private static final byte[] MESSAGE_STOP = bytes("message_stop");
    /** The closing events are short: only events this short are looked at for one. */
    private static final int CLOSING_EVENT_MAX = 96;

    private final Protocol protocol;
    private final boolean withholdUsageOnlyChunk;
    private TokenUsage usage;
    private long anthropicOutput = -1;
    private ProviderCost cost = ProviderCost.NONE;
    private JsonNode finalResponse;
    /** The upstream's closing event passed: {@code [DONE]}, {@code message_stop}, or a response that completed. */
    private boolean answered;
    /*
     * What the stream carried, kept for a token estimate in case no usage comes: the JSON of its latest events
     * as they came, and the text of the earlier ones. The JSON of a chunk is 20 to 40 times the text it carries,
     * so a stream of a few thousand tokens kept whole would hold a megabyte of heap until it ended: a hundred
     * such streams at once would fill the gateway's heap.
     */
    private final Kept recent = new Kept();
    private final StringBuilder earlierText = new StringBuilder();
    /**
     * Each event loop's copy of the buffer being inspected: the scans read an array, where byte by byte through
     * the buffer's layers (a slice of a pooled direct buffer) they were most of the tap's time. One per thread,
     * not per stream, as a stream's buffers are inspected one at a time and nothing of them is kept here.
     */
    private static final ThreadLocal<byte[]> SCRATCH = ThreadLocal.withInitial(() -> new byte[4096]);
    /** A thread's copy grows to the largest buffer up to this; a larger one is copied into an array of its own. */
    private static final int SCRATCH_MAX = 64 * 1024;
    /**
     * Reduced to text each time this much has come: short streams are never parsed. Small, as every open stream
     * keeps up to this much and more: with ten thousand long streams open, 32 KB each was hundreds of megabytes
     * of heap, and 4 KB, with the array grown past it, was nearly half of what a held stream kept beyond the
     * bare Reactor Netty proxy's (docs/benchmark.md). The price: a stream longer than this is parsed for its
     * text even when its usage comes at its end; a model's answer of more than a few dozen tokens is longer
     * than 4 KB of events too, so it is parsed either way.
     */
    static final int RECENT_LIMIT = 1024;
    /** Text kept for one stream at most (about 250,000 tokens); beyond it the estimate counts no more. */
    private static final int MAX_TEXT_CHARS = 1 << 20;

    /** @param withholdUsageOnlyChunk the gateway added {@code include_usage}; the client must not see its chunk */
    public StreamUsageTap(Protocol protocol, boolean withholdUsageOnlyChunk) {
        this.protocol = protocol;
        this.withholdUsageOnlyChunk = withholdUsageOnlyChunk;
    }

    /** The usage reported so far, or null if none was. */
    public TokenUsage usage() {
        if (usage == null) return null;
        if (protocol == Protocol.ANTHROPIC && anthropicOutput >= 0) {
            return new TokenUsage(usage.prompt(), anthropicOutput, 0, usage.cached(), usage.cacheWrite());
        }
        return usage;
    }

    public ProviderCost cost() {
        return cost;
    }

    /** Looks at a buffer of whole events; returns what the client gets (null for nothing). */
    public DataBuffer inspect(DataBuffer buffer) {
        int start = buffer.readPosition();
        int length = buffer.readableByteCount();
        byte[] bytes = SCRATCH.get();
        if (bytes.length < length) {
            bytes = new byte[length];
            if (length <= SCRATCH_MAX) SCRATCH.set(bytes);
        }
        buffer.toByteBuffer(start, ByteBuffer.wrap(bytes), 0, length);
        List<int[]> withheld = scan(bytes, length, start);
        if (recent.size() >= RECENT_LIMIT) {
            MessageText.appendValues(recent.bytes(), recent.size(), earlierText);
            recent.clear();
        }
        return withheld == null ? buffer : without(buffer, withheld);
    }

    /**
     * Reads the events in {@code bytes[0, length)}, and keeps their data for the text; returns the ranges to
     * withhold, as indices of the buffer whose readable bytes start at {@code bufferStart}, or null for none.
     * What follows the last whole event (a stream's last bytes, which no empty line closed) is kept for the text
     * too, though it is not read for usage: a client drops such an event.
     */
    private List<int[]> scan(byte[] bytes, int length, int bufferStart) {
        List<int[]> withheld = new ArrayList<>(0);
        int[] wholeEnd = {0};
        SseScanner.forEach(bytes, 0, length, false, (b, from, to) -> {
            SseScanner.Data data = SseScanner.data(b, from, to);
            keep(data);
            if (to - from <= CLOSING_EVENT_MAX && closing(b, from, to, data)) answered = true;
            if (event(b, from, to, data)) withheld.add(new int[] {bufferStart + from, bufferStart + to});
            wholeEnd[0] = to;
        });
        if (wholeEnd[0] < length) keep(SseScanner.data(bytes, wholeEnd[0], length));
        return withheld.isEmpty() ? null : withheld;
    }

    /** An event's data, kept for the text unless the stream has carried all the text it may keep. */
    private void keep(SseScanner.Data data) {
        if (data != null && !data.is(DONE) && earlierText.length() < MAX_TEXT_CHARS) recent.append(data);
    }

    /** The text the stream carried so far ({@link MessageText}), for an estimate when no usage came. */
    public String text() {
        StringBuilder text = new StringBuilder(earlierText);
        MessageText.appendValues(recent.bytes(), recent.size(), text);
        return text.toString();
    }

    /** The bytes the tap holds for a stream's latest events, whatever of them is in use. */
    int keptCapacity() {
        return recent.bytes().length;
    }

    /** About how many characters {@link #text} will parse and count. */
    public int keptSize() {
        return earlierText.length() + recent.size();
    }

    /** Reads one event's usage; true if the event is to be withheld from the client. */
    private boolean event(byte[] bytes, int from, int to, SseScanner.Data data) {
        boolean candidate = switch (protocol) {
            case OPENAI -> usageObjectOrMeta(bytes, from, to, true);
            case ANTHROPIC -> containsEither(bytes, from, to, MESSAGE_START, MESSAGE_DELTA);
            case OPENAI_RESPONSES -> usageObjectOrMeta(bytes, from, to, false); // the response's last event: completed, incomplete, failed
        };
        if (!candidate || data == null || data.is(DONE)) return false;
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(data.bytes(), data.from(), data.to() - data.from());
        } catch (JacksonException notJson) {
            return false;
        }
        return switch (protocol) {
            case OPENAI -> openAi(root);
            case ANTHROPIC -> anthropic(root);
            case OPENAI_RESPONSES -> responses(root);
        };
    }

    private boolean responses(JsonNode root) {
        JsonNode response = root.path("response");
        TokenUsage found = ResponsesUsage.tokens(response.path("usage"));
        if (found != null) {
            usage = found;
            cost = ResponsesUsage.cost(response.path("usage")).or(cost);
        }
        if (response.isObject() && !response.path("status").asString("").equals("in_progress")) finalResponse = response;
        return false;
    }

    private boolean closing(byte[] bytes, int from, int to, SseScanner.Data data) {
        return switch (protocol) {
            case OPENAI -> data != null && data.is(DONE);
            case ANTHROPIC -> contains(bytes, from, to, MESSAGE_STOP);
            case OPENAI_RESPONSES -> false; // read from the response object below
        };
    }

    /**
     * Whether the stream's closing event has passed: the client that reads it has its whole answer, and may
     * leave before the upstream closes its side.
     */
    public boolean answered() {
        return answered || finalResponse != null && !finalResponse.path("status").asString("").equals("failed");
    }

    /** A Responses stream's last {@code response} object (completed, incomplete or failed), or null. */
    public JsonNode finalResponse() {
        return finalResponse;
    }

    private boolean openAi(JsonNode root) {
        TokenUsage found = OpenAiUsage.tokens(root);
        cost = OpenAiUsage.cost(root).or(cost);
        if (found == null) return false;
        usage = found;
        return withholdUsageOnlyChunk && OpenAiUsage.usageOnlyChunk(root);
    }

    private boolean anthropic(JsonNode root) {
        String type = root.path("type").asString("");
        if (type.equals("message_start")) {
            TokenUsage start = AnthropicUsage.tokens(root.path("message").path("usage"));
            if (start != null) usage = start;
        } else if (type.equals("message_delta") && root.path("usage").has("output_tokens")) {
            anthropicOutput = root.path("usage").path("output_tokens").asLong(0);
            if (usage == null) usage = new TokenUsage(0, anthropicOutput, 0, 0, 0);
        }
        return false;
    }

    /** The buffer without the withheld ranges (absolute indices, in order). */
    private static DataBuffer without(DataBuffer buffer, List<int[]> withheld) {
        List<DataBuffer> kept = new ArrayList<>(withheld.size() + 1);
        DataBuffer rest = buffer;
        int shift = 0; // split() re-bases the remaining buffer's indices
        for (int[] range : withheld) {
            int from = range[0] - shift;
            int to = range[1] - shift;
            if (from > rest.readPosition()) {
                kept.add(rest.split(from));
                shift += from;
                to -= from;
            }
            DataBufferUtils.release(rest.split(to));
            shift += to;
        }
        if (rest.readableByteCount() > 0) kept.add(rest);
        else DataBufferUtils.release(rest);
        if (kept.isEmpty()) return null;
        return kept.size() == 1 ? kept.getFirst() : kept.getFirst().factory().join(kept);
    }

    private static boolean contains(byte[] bytes, int from, int to, byte[] needle) {
        return containsEither(bytes, from, to, needle, needle);
    }

    /** Whether either needle is in {@code bytes[from, to)}, in one pass; they start with the same byte. */
    private static boolean containsEither(byte[] bytes, int from, int to, byte[] one, byte[] other) {
        for (int i = from; (i = Bytes.indexOfEither(bytes, i, to, one[0], one[0])) >= 0; i++) {
            if (at(bytes, i, to, one) || at(bytes, i, to, other)) return true;
        }
        return false;
    }

    /**
     * {@code "usage"} followed by an object, or (with {@code meta}) a {@code "meta"} field, in one pass: most
     * chunks of a stream with usage on carry {@code "usage":null}, and parsing each of them would cost more
     * than all the rest of the tap. The pass stops at each {@code g} and {@code m}, the needles' letters that
     * are rare in a chunk's JSON, where a quote, at every name and string, would stop it every few bytes.
     */
    private static boolean usageObjectOrMeta(byte[] bytes, int from, int to, boolean meta) {
        for (int i = from; (i = Bytes.indexOfEither(bytes, i, to, USAGE[USAGE_ANCHOR], META[META_ANCHOR])) >= 0; i++) {
            if (bytes[i] == USAGE[USAGE_ANCHOR]) {
                int start = i - USAGE_ANCHOR;
                if (start >= from && at(bytes, start, to, USAGE) && objectFollows(bytes, start + USAGE.length, to)) return true;
            } else if (meta && i - META_ANCHOR >= from && at(bytes, i - META_ANCHOR, to, META)) {
                return true;
            }
        }
        return false;
    }

    /** A colon, then an object's opening brace, from {@code i} on, spaces allowed around the colon. */
    private static boolean objectFollows(byte[] bytes, int i, int to) {
        while (i < to && isSpace(bytes[i])) i++;
        if (i >= to || bytes[i] != ':') return false;
        i++;
        while (i < to && isSpace(bytes[i])) i++;
        return i < to && bytes[i] == '{';
    }

    private static boolean isSpace(byte b) {
        return b == ' ' || b == '\t' || b == '\r' || b == '\n';
    }

    /** Whether {@code needle} is at {@code bytes[i]}, wholly before {@code to}. */
    private static boolean at(byte[] bytes, int i, int to, byte[] needle) {
        if (i + needle.length > to) return false;
        for (int j = 1; j < needle.length; j++) {
            if (bytes[i + j] != needle[j]) return false;
        }
        return bytes[i] == needle[0];
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Events' data, one after another, each followed by a carriage return: the separator {@link
     * MessageText#appendValues} reads them by, as no data holds one.
     */
    private static final class Kept {
        private static final byte[] NONE = new byte[0];
        private byte[] bytes = NONE;
        private int size;

        void append(SseScanner.Data data) {
            int n = data.to() - data.from() + 1;
            // doubling up to the limit, then only as much as one event needs: the array is kept while the stream
            // lasts, and doubling past the limit left most streams holding twice what they use
            if (size + n > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(size + n, Math.min(Math.max(2 * bytes.length, 256), RECENT_LIMIT)));
            }
            System.arraycopy(data.bytes(), data.from(), bytes, size, n - 1);
            size += n;
            bytes[size - 1] = '\r';
        }

        byte[] bytes() {
            return bytes;
        }

        int size() {
            return size;
        }

        /**
         * Empties it and lets its array go: a stream waits between its events far longer than it takes to grow
         * one again, and an open stream held a kilobyte it did not use, the largest part of what it kept
         * beyond the bare Reactor Netty proxy's (docs/benchmark.md).
         */
        void clear() {
            size = 0;
            bytes = NONE;
        }
    }
}
