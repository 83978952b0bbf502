package dev.switchboard.config;

import java.util.concurrent.atomic.AtomicReference;

/** The route table in force. Readers take one snapshot per request; a reload swaps it atomically. */
public final class CurrentRouteTable {
    private final AtomicReference<RouteTable> current;

    public CurrentRouteTable(RouteTable initial) {
        this.current = new AtomicReference<>(initial);
    }

    public RouteTable get() {
        return current.get();
    }

    public void swap(RouteTable next) {
        current.set(next);
    }
}
