package dev.switchboard.upstream;

import java.time.Duration;

/** An upstream exceeded one of its configured time limits; the connection has been closed. */
public class UpstreamTimeoutException extends RuntimeException {
    public enum Phase { FIRST_BYTE, IDLE, TOTAL }

    private final Phase phase;

    public UpstreamTimeoutException(Phase phase, Duration limit) {
        super(switch (phase) {
            case FIRST_BYTE -> "no response within " + limit;
            case IDLE -> "no data for " + limit + " in the middle of the response";
            case TOTAL -> "the exchange took longer than " + limit;
        }, null, false, false);
        this.phase = phase;
    }

    public Phase phase() {
        return phase;
    }
}
