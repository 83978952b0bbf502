package dev.switchboard.api;

import java.util.Arrays;

import io.netty.buffer.ByteBuf;

/**
 * A request body gathered into one array as its chunks arrive. The array grows with the bytes received,
 * reserving each growth from the {@link BodyBudget}: a declared length only caps the growth (so an honest
 * body ends in an array of exactly its size, copied once out of Netty's buffers) and is never allocated
 * up front, as a client may declare ten megabytes and send fourteen bytes.
 */
final class RequestBody {
    /** The first array for a body of unknown or large declared length. */
    static final int INITIAL_CAPACITY = 16 * 1024;

    /** What {@link #add} did with a chunk. */
    enum Added { TAKEN, TOO_LARGE, OVER_BUDGET }

    private final long declared;
    private final int limit;
    private final BodyBudget budget;
    private byte[] bytes = new byte[0];
    private int size;
    /** Bytes reserved from the budget: the array's length. */
    private long reserved;

    /**
     * @param declared the Content-Length, or -1
     * @param limit    the most bytes the body may have
     */
    RequestBody(long declared, int limit, BodyBudget budget) {
        this.declared = declared;
        this.limit = limit;
        this.budget = budget;
    }

    /** Copies the chunk's readable bytes (the chunk itself is not released here); nothing is copied unless TAKEN. */
    Added add(ByteBuf chunk) {
        int n = chunk.readableBytes();
        if (n > limit - size) return Added.TOO_LARGE;
        if (size + n > bytes.length) {
            int capacity = capacity(size + n);
            if (!budget.reserve(capacity - bytes.length)) return Added.OVER_BUDGET;
            reserved += capacity - bytes.length;
            bytes = Arrays.copyOf(bytes, capacity);
        }
        chunk.getBytes(chunk.readerIndex(), bytes, size, n);
        size += n;
        return Added.TAKEN;
    }

    /** Doubling, from {@link #INITIAL_CAPACITY}, up to the declared length while the body keeps to it, and the limit. */
    private int capacity(int needed) {
        long capacity = Math.max(needed, Math.max(INITIAL_CAPACITY, 2L * bytes.length));
        if (declared >= needed) capacity = Math.min(capacity, declared);
        return (int) Math.min(capacity, limit);
    }

    int size() {
        return size;
    }

    /**
     * The whole body, in an array of its size. The request keeps it to its end (a stream's too, for failover
     * and for counting tokens when the upstream reports none), so the reservation shrinks to that size here:
     * the array it grew in is garbage now, and a short body sent without a length would otherwise hold
     * {@link #INITIAL_CAPACITY} of the budget for as long as its answer streams.
     */
    byte[] bytes() {
        if (size != bytes.length) bytes = Arrays.copyOf(bytes, size);
        budget.release(reserved - size);
        reserved = size;
        return bytes;
    }

    /** Gives the body's memory back to the budget; once the request that read it has ended. */
    void release() {
        budget.release(reserved);
        reserved = 0;
    }
}
