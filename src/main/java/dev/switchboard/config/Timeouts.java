package dev.switchboard.config;

import java.time.Duration;

/**
 * Per-upstream time limits: to open a connection, for the response headers to arrive, between two chunks
 * of a body, and for the whole exchange.
 */
public record Timeouts(Duration connect, Duration firstByte, Duration idle, Duration total) {
    public static final Timeouts DEFAULTS =
            new Timeouts(Duration.ofSeconds(2), Duration.ofSeconds(60), Duration.ofSeconds(60), Duration.ofMinutes(10));
}
