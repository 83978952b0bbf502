package dev.switchboard.translate;

import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.Set;

import dev.switchboard.config.Protocol;
import dev.switchboard.protocol.GatewayException;
import dev.switchboard.protocol.RequestScan;
import tools.jackson.databind.JsonNode;

/** The translator for each (client protocol, upstream protocol) pair this gateway can serve. */
public final class Translators {
    private Translators() {}

    /**
     * The translator of one attempt.
     *
     * @param request the client's request, as some translators answer in its terms (the usage it asked for)
     * @return null when no translator serves this pair
     */
    public static Translator of(Protocol client, Protocol upstream, RequestScan request) {
        if (client == upstream) return Passthrough.INSTANCE;
        return switch (client) {
            case OPENAI -> upstream == Protocol.ANTHROPIC ? new ChatOverMessages(request.stream() && request.asksForStreamUsage()) : null;
            case ANTHROPIC -> upstream == Protocol.OPENAI ? MessagesOverChat.INSTANCE : null;
            case OPENAI_RESPONSES -> switch (upstream) {
                case OPENAI -> new ResponsesOverChat(request);
                case ANTHROPIC -> new ResponsesOverMessages(request);
                case OPENAI_RESPONSES -> Passthrough.INSTANCE;
            };
        };
    }

    /** The upstream protocols that can serve a client of this protocol, its own included. */
    public static Set<Protocol> servable(Protocol client) {
        Set<Protocol> servable = EnumSet.of(client);
        switch (client) {
            case OPENAI -> servable.add(Protocol.ANTHROPIC);
            case ANTHROPIC -> servable.add(Protocol.OPENAI);
            case OPENAI_RESPONSES -> {
                servable.add(Protocol.OPENAI);
                servable.add(Protocol.ANTHROPIC);
            }
        }
        return servable;
    }

    /** A whole answer an upstream sent, as a tree for a translator: the one parsed already, or parsed now. */
    public static JsonNode tree(byte[] body, JsonNode parsed) {
        return UpstreamErrors.parse(body, parsed);
    }

    /**
     * An upstream's 4xx as the gateway's error, whatever the client's protocol: for a stream whose head went
     * out before the upstream answered, where the error can only be an event.
     */
    public static GatewayException upstreamError(String upstream, int status, byte[] body) {
        return UpstreamErrors.clientError(upstream, status, body);
    }

    /** An upstream's 4xx whose body is too long to read and pass on. */
    public static GatewayException errorTooLarge(String upstream, int status, int limit) {
        return UpstreamErrors.clientError(upstream, status,
                ("its error body was over " + limit + " bytes and is not passed on").getBytes(StandardCharsets.US_ASCII));
    }
}
