package dev.switchboard.usage;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Counts o200k_base tokens as tiktoken does, holding the vocabulary in three flat arrays (about 4 MB).
 * jtokkit, whose vocabulary file this reads and whose counts are this class's test oracle, keeps it in
 * boxed hash maps of about 22 MB: nearly half the gateway's live set, for estimates most requests never need.
 *
 * <p>The text is cut into pieces by tiktoken's o200k pattern; a piece that is a token counts one, any
 * other is byte-pair merged: start from single bytes and keep joining the adjacent pair whose union has
 * the lowest rank (leftmost on ties) until no union is a token. A heap keeps that O(n log n) for the
 * long pieces a pasted blob makes.
 */
final class O200kTokenCounter {
    /** Shipped in jtokkit's jar: one {@code base64(token) rank} line per token, ranks 0, 1, 2, ... */
    static final String VOCABULARY = "/com/knuddels/jtokkit/o200k_base.tiktoken";

    /** tiktoken's o200k_base pre-tokenizer, with Java's Unicode character classes. */
    private static final Pattern PIECES = Pattern.compile(String.join("|",
            "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
            "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
            "\\p{N}{1,3}",
            " ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*",
            "\\s*[\\r\\n]+",
            "\\s+(?!\\S)",
            "\\s+"), Pattern.UNICODE_CHARACTER_CLASS);

    private static final int NONE = Integer.MAX_VALUE;
    /**
     * Longer pieces (no word is; a run of one character pasted megabytes long is) are merged in parts of
     * this size, whose count may differ from tiktoken's by a token or so per part: merging one piece whole
     * takes about 36 bytes of heap per byte, which a 10 MB body would turn into a third of a gigabyte.
     */
    static final int LONGEST_MERGE = 1 << 16;

    /** Every token's bytes, in rank order: token r is {@code bytes[starts[r], starts[r + 1])}. */
    private final byte[] bytes;
    private final int[] starts;
    /** Open addressing by the bytes' hash: rank + 1, or 0 for an empty slot. */
    private final int[] slots;
    private final int longest;

    private O200kTokenCounter(byte[] bytes, int[] starts) {
        this.bytes = bytes;
        this.starts = starts;
        int tokens = starts.length - 1;
        this.slots = new int[Integer.highestOneBit(tokens) << 2]; // load factor 1/4 to 1/2
        int mask = slots.length - 1, longest = 0;
        for (int r = 0; r < tokens; r++) {
            int from = starts[r], to = starts[r + 1];
            longest = Math.max(longest, to - from);
            int i = hash(bytes, from, to) & mask;
            while (slots[i] != 0) i = (i + 1) & mask;
            slots[i] = r + 1;
        }
        this.longest = longest;
    }

    static O200kTokenCounter load() {
        try (InputStream in = O200kTokenCounter.class.getResourceAsStream(VOCABULARY)) {
            if (in == null) {
                throw new IllegalStateException("the o200k_base vocabulary " + VOCABULARY + " is not on the class path");
            }
            BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(2 << 20);
            int[] starts = new int[1 << 18];
            int tokens = 0;
            Base64.Decoder base64 = Base64.getDecoder();
            for (String line; (line = lines.readLine()) != null; ) {
                if (line.isEmpty()) continue;
                int space = line.indexOf(' ');
                if (space < 0 || Integer.parseInt(line, space + 1, line.length(), 10) != tokens) {
                    throw new IllegalStateException(
                            "unexpected line " + (tokens + 1) + " in " + VOCABULARY + ": ranks must count up from 0");
                }
                if (tokens + 1 == starts.length) starts = Arrays.copyOf(starts, starts.length * 2);
                bytes.writeBytes(base64.decode(line.substring(0, space)));
                starts[++tokens] = bytes.size();
            }
            return new O200kTokenCounter(bytes.toByteArray(), Arrays.copyOf(starts, tokens + 1));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + VOCABULARY, e);
        }
    }

    /** The number of tokens o200k_base makes of {@code text}, special-token text counted as ordinary text. */
    long count(CharSequence text) {
        long count = 0;
        Merge merge = null;
        Matcher pieces = PIECES.matcher(text);
        while (pieces.find()) {
            byte[] piece = text.subSequence(pieces.start(), pieces.end()).toString().getBytes(StandardCharsets.UTF_8);
            if (rank(piece, 0, piece.length) != NONE) {
                count++;
                continue;
            }
            if (merge == null) merge = new Merge();
            for (int from = 0; from < piece.length; from += LONGEST_MERGE) {
                count += merge.count(piece, from, Math.min(piece.length, from + LONGEST_MERGE));
            }
        }
        return count;
    }

    /** Bytes held by the tables, for the test that keeps them small. */
    long tableBytes() {
        return bytes.length + 4L * starts.length + 4L * slots.length;
    }

    /**
     * Byte-pair merging of one piece, counting what is left; its arrays are reused for the pieces of one
     * text. Part p (an offset from the piece's start) has rank[p], the rank of itself joined with the part
     * after it, or NONE; merged parts get NONE, which makes their heap entries stale. The heap holds
     * (rank, offset) packed into longs, so it yields the lowest rank first, then the leftmost.
     */
    private final class Merge {
        private int[] next = new int[0], prev = next, rank = next;
        private long[] heap = new long[0];
        private int size;

        int count(byte[] piece, int from, int to) {
            int n = to - from;
            if (next.length < n) {
                next = new int[n];
                prev = new int[n];
                rank = new int[n];
                heap = new long[3 * n]; // n - 1 pairs at first, at most two more per merge
            }
            size = 0;
            for (int p = 0; p < n; p++) {
                next[p] = p + 1;
                prev[p] = p - 1;
                rank[p] = p + 2 <= n ? rank(piece, from + p, from + p + 2) : NONE;
                if (rank[p] != NONE) push(rank[p], p);
            }
            int parts = n;
            while (size > 0) {
                long top = pop();
                int r = (int) (top >>> 32), p = (int) top;
                if (rank[p] != r) continue;
                int gone = next[p], after = next[gone];
                rank[gone] = NONE;
                parts--;
                next[p] = after;
                if (after < n) prev[after] = p;
                rank[p] = after < n ? rank(piece, from + p, from + next[after]) : NONE;
                if (rank[p] != NONE) push(rank[p], p);
                int before = prev[p];
                if (before >= 0) {
                    rank[before] = rank(piece, from + before, from + after);
                    if (rank[before] != NONE) push(rank[before], before);
                }
            }
            return parts;
        }

        private void push(int pairRank, int offset) {
            long item = (long) pairRank << 32 | offset;
            int i = size++;
            while (i > 0 && heap[(i - 1) >>> 1] > item) {
                heap[i] = heap[(i - 1) >>> 1];
                i = (i - 1) >>> 1;
            }
            heap[i] = item;
        }

        private long pop() {
            long top = heap[0], last = heap[--size];
            int i = 0;
            for (int child; (child = 2 * i + 1) < size; i = child) {
                if (child + 1 < size && heap[child + 1] < heap[child]) child++;
                if (heap[child] >= last) break;
                heap[i] = heap[child];
            }
            heap[i] = last;
            return top;
        }
    }

    private int rank(byte[] a, int from, int to) {
        int length = to - from;
        if (length > longest) return NONE;
        int mask = slots.length - 1;
        for (int i = hash(a, from, to) & mask, slot; (slot = slots[i]) != 0; i = (i + 1) & mask) {
            int start = starts[slot - 1];
            if (starts[slot] - start == length && Arrays.equals(bytes, start, start + length, a, from, to)) return slot - 1;
        }
        return NONE;
    }

    private static int hash(byte[] a, int from, int to) {
        int h = 0x811C9DC5; // FNV-1a, then a final mix for the low bits the mask keeps
        for (int i = from; i < to; i++) h = (h ^ a[i]) * 0x01000193;
        return h ^ (h >>> 15);
    }
}
