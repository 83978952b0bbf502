package dev.switchboard.translate;

import dev.switchboard.config.Target;
import dev.switchboard.protocol.GatewayException;
import dev.switchboard.protocol.RequestScan;
import tools.jackson.databind.JsonNode;

/**
 * How one attempt's request and answer cross between the client's protocol and its target's: chosen once per
 * attempt ({@link Translators#of}), for one (client protocol, upstream protocol) pair. Same-protocol traffic
 * takes {@link Passthrough}, which leaves the client's bytes and the upstream's as they are.
 */
public sealed interface Translator
        permits Passthrough, Rewriting {

    /** Whether the client gets the upstream's own bytes, stream and answer alike. */
    boolean passthrough();

    /** The request in the upstream's protocol, naming the target's model: the client's own scan for passthrough. */
    RequestScan request(RequestScan client, Target target);

    /** A whole answer, parsed, in the client's protocol (passthrough: the upstream's bytes). */
    byte[] answer(byte[] upstreamBody, JsonNode parsed);

    /** The stream's translator; null for passthrough, whose events go to the client unchanged. */
    StreamTranslator stream();

    /** An upstream's 4xx as the gateway's error in the client's envelope; null to pass it on as it came. */
    GatewayException clientError(String upstream, int status, byte[] body);
}
