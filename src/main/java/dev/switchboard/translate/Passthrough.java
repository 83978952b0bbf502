package dev.switchboard.translate;

import dev.switchboard.config.Protocol;
import dev.switchboard.config.Target;
import dev.switchboard.protocol.GatewayException;
import dev.switchboard.protocol.RequestScan;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** The client and the upstream speak one protocol: bytes pass both ways unchanged (the model is spliced in later). */
public enum Passthrough implements Translator {
    INSTANCE;

    @Override
    public boolean passthrough() {
        return true;
    }

    /**
     * The client's own request, but for a {@code previous_response_id} going to a Responses upstream: the
     * gateway has put the conversation in the input already (its ids are its own, no upstream would find one),
     * so the field is taken out. The request is no longer the client's bytes then, whatever happens.
     */
    @Override
    public RequestScan request(RequestScan client, Target target) {
        if (target.upstream().protocol() != Protocol.OPENAI_RESPONSES || client.field("previous_response_id") == null) return client;
        ObjectNode tree = (ObjectNode) Shapes.tree(client);
        tree.remove("previous_response_id");
        return Shapes.scanned(tree);
    }

    @Override
    public byte[] answer(byte[] upstreamBody, JsonNode parsed) {
        return upstreamBody;
    }

    @Override
    public StreamTranslator stream() {
        return null;
    }

    @Override
    public GatewayException clientError(String upstream, int status, byte[] body) {
        return null;
    }
}
