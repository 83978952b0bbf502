package dev.switchboard.translate;

import dev.switchboard.config.Target;
import dev.switchboard.protocol.GatewayException;
import dev.switchboard.protocol.RequestScan;
import tools.jackson.databind.JsonNode;

/** The client and the upstream speak one protocol: bytes pass both ways unchanged (the model is spliced in later). */
public enum Passthrough implements Translator {
    INSTANCE;

    @Override
    public boolean passthrough() {
        return true;
    }

    @Override
    public RequestScan request(RequestScan client, Target target) {
        return client;
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
