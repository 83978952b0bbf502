package dev.switchboard.translate;

import dev.switchboard.config.Target;
import dev.switchboard.protocol.GatewayException;
import dev.switchboard.protocol.Json;
import dev.switchboard.protocol.RequestScan;
import tools.jackson.databind.JsonNode;

/**
 * A translator that writes each request and whole answer anew in the other protocol, from the parsed JSON:
 * the part every pair but passthrough shares.
 */
abstract sealed class Rewriting implements Translator permits ChatOverMessages, MessagesOverChat, ResponsesOverChat, ResponsesOverMessages {

    /** The client's request, parsed, in the upstream's protocol, naming the upstream's model. */
    abstract JsonNode request(JsonNode client, String model);

    /** The upstream's whole answer, parsed, in the client's protocol. */
    abstract JsonNode answer(JsonNode upstream);

    @Override
    public final boolean passthrough() {
        return false;
    }

    @Override
    public RequestScan request(RequestScan client, Target target) {
        return Shapes.scanned(request(Shapes.tree(client), target.model()));
    }

    @Override
    public byte[] answer(byte[] upstreamBody, JsonNode parsed) {
        return Json.MAPPER.writeValueAsBytes(answer(UpstreamErrors.parse(upstreamBody, parsed)));
    }

    @Override
    public GatewayException clientError(String upstream, int status, byte[] body) {
        return UpstreamErrors.clientError(upstream, status, body);
    }
}
