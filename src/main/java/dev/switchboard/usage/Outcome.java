package dev.switchboard.usage;

import java.util.Locale;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** What became of a request, as its usage record says; named in lower case ({@code client_cancelled}). */
public enum Outcome {
    /** Answered in full. */
    OK,
    /** An upstream's error was the answer, or no upstream answered. */
    UPSTREAM_ERROR,
    /** The client left before the answer ended. */
    CLIENT_CANCELLED,
    /** The upstream broke off a stream the client had started to receive. */
    STREAM_BROKEN,
    /** The gateway refused the request before any upstream saw it. */
    REJECTED,
    /** The gateway stopped (its shutdown's grace period ended) before the answer did. */
    GATEWAY_STOPPED;

    /** Lower-cased once: records and metrics name it on every request. */
    private final String wireName = name().toLowerCase(Locale.ROOT);

    @JsonValue
    public String wireName() {
        return wireName;
    }

    @JsonCreator
    public static Outcome of(String name) {
        return valueOf(name.toUpperCase(Locale.ROOT));
    }
}
