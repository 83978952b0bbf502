package dev.switchboard.upstream;

import java.time.Duration;

/** An upstream exceeded one of its configured time limits; the connection has been closed. */
public class UpstreamTimeoutException extends RuntimeException {
    public enum Phase { FIRST_BYTE, IDLE, TOTAL }

    public UpstreamTimeoutException(Phase phase, Duration limit) {
        super(switch (phase) {
            case FIRST_BYTE -> "no response within " + readable(limit);
            case IDLE -> "no data for " + readable(limit) + " in the middle of the response";
            case TOTAL -> "the exchange took longer than " + readable(limit);
        }, null, false, false);
    }

    /** As written in the routes file: 500ms, 60s, 10m. */
    static String readable(Duration d) {
        long ms = d.toMillis();
        if (ms % 60_000 == 0) return ms / 60_000 + "m";
        if (ms % 1_000 == 0) return ms / 1_000 + "s";
        return ms + "ms";
    }
}
