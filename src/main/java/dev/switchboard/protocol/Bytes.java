package dev.switchboard.protocol;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Searches of a byte array eight bytes a step. Every event of every stream is searched for its line ends and
 * for the few fields the usage tap reads, and compared a byte at a time those searches were most of what the
 * tap cost an event; the JDK's fast searches serve strings only.
 */
final class Bytes {
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGHS = 0x8080808080808080L;

    private Bytes() {}

    /** The first index in {@code bytes[from, to)} that holds {@code one} or {@code other}, or -1. */
    static int indexOfEither(byte[] bytes, int from, int to, byte one, byte other) {
        long ones = ONES * (one & 0xFF);
        long others = ONES * (other & 0xFF);
        int i = from;
        for (; i <= to - Long.BYTES; i += Long.BYTES) {
            long word = (long) LONGS.get(bytes, i);
            long found = zeroBytes(word ^ ones) | zeroBytes(word ^ others);
            // the lowest flag marks the first match: a false flag can only follow a true one, never precede it
            if (found != 0) return i + (Long.numberOfTrailingZeros(found) >>> 3);
        }
        for (; i < to; i++) {
            if (bytes[i] == one || bytes[i] == other) return i;
        }
        return -1;
    }

    /** The high bit of each byte of {@code word} that is zero, and perhaps of bytes after the first such. */
    private static long zeroBytes(long word) {
        return (word - ONES) & ~word & HIGHS;
    }
}
