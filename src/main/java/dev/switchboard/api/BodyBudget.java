package dev.switchboard.api;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The heap all request bodies in flight may hold together. A body reserves memory as its bytes arrive, never
 * what its {@code Content-Length} claims, and gives it back when its request ends; a reservation past the
 * budget is refused, and the request with it (503), so no number of slow or lying clients exhausts the heap.
 */
final class BodyBudget {
    private final long limit;
    private final AtomicLong held = new AtomicLong();

    BodyBudget(long limit) {
        if (limit <= 0) throw new IllegalArgumentException("the budget for request bodies must be positive");
        this.limit = limit;
    }

    /** @return false, reserving nothing, if {@code bytes} more would pass the budget */
    boolean reserve(long bytes) {
        long now;
        do {
            now = held.get();
            if (bytes > limit - now) return false;
        } while (!held.compareAndSet(now, now + bytes));
        return true;
    }

    void release(long bytes) {
        held.addAndGet(-bytes);
    }

    long held() {
        return held.get();
    }

    long limit() {
        return limit;
    }
}
