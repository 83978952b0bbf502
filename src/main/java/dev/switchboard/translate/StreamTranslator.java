package dev.switchboard.translate;

import dev.switchboard.protocol.SseEvent;
import tools.jackson.databind.JsonNode;

/**
 * Turns one upstream stream into the client's protocol, event by event: each upstream event gives at once
 * the bytes the client gets for it (often none, sometimes several events), so nothing waits for the next.
 * One instance per stream.
 */
public interface StreamTranslator {
    /** The client's bytes for one upstream event; empty when it has no counterpart. */
    byte[] event(SseEvent event);

    /**
     * The client's closing bytes once the upstream ended cleanly.
     *
     * @throws IllegalStateException when the upstream closed without saying the answer was complete: the
     *         caller then ends the stream with its protocol's error event, never a clean end
     */
    byte[] end();

    /**
     * The client's bytes when the upstream broke off: the translator's own failure event when its protocol
     * numbers its events (a Responses stream), null to end with the protocol's plain error event.
     */
    default byte[] failed(String code, String message) {
        return null;
    }

    /**
     * Whether the client has its whole answer: the protocol's closing event (with the usage before it) has
     * been given out. A client that leaves after it, before the upstream closed its side, was served.
     */
    default boolean answered() {
        return false;
    }

    /** A Responses stream's final response object, once it ended; null for other protocols. */
    default JsonNode finalResponse() {
        return null;
    }
}
