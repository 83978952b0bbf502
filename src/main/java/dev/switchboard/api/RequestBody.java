package dev.switchboard.api;

import java.util.Arrays;

import io.netty.buffer.ByteBuf;

/**
 * A request body gathered into one array as its chunks arrive. With a declared length the array is made
 * once at that size, so the usual body is copied exactly once, straight out of Netty's buffers.
 */
final class RequestBody {
    private byte[] bytes;
    private int size;

    /** @param declared the Content-Length, or -1 */
    RequestBody(long declared) {
        this.bytes = new byte[declared > 0 && declared <= Integer.MAX_VALUE - 8 ? (int) declared : 0];
    }

    /**
     * Copies the chunk's readable bytes (the chunk itself is not released here).
     *
     * @return false if the body would be longer than {@code limit}; nothing is copied then
     */
    boolean add(ByteBuf chunk, int limit) {
        int n = chunk.readableBytes();
        if (n > limit - size) return false;
        if (size + n > bytes.length) bytes = Arrays.copyOf(bytes, Math.min(limit, Math.max(size + n, bytes.length * 2)));
        chunk.getBytes(chunk.readerIndex(), bytes, size, n);
        size += n;
        return true;
    }

    int size() {
        return size;
    }

    byte[] bytes() {
        return size == bytes.length ? bytes : Arrays.copyOf(bytes, size);
    }
}
