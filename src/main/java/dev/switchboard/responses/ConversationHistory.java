package dev.switchboard.responses;


import org.springframework.stereotype.Component;

import dev.switchboard.protocol.ErrorKind;
import dev.switchboard.protocol.EchoedText;
import dev.switchboard.protocol.GatewayException;
import dev.switchboard.protocol.Json;
import dev.switchboard.protocol.RequestScan;
import reactor.core.publisher.Mono;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code previous_response_id}, done by the gateway for every target: the request's input becomes the
 * stored conversation's items followed by its own. The field stays, for the answer to echo; no upstream is
 * sent it (see {@link dev.switchboard.translate.Passthrough}). A conversation thus goes on on any target, of
 * any protocol. Another key's response, or one past its retention, is not found.
 */
@Component
public class ConversationHistory {
    private final StoredResponses stored;

    public ConversationHistory(StoredResponses stored) {
        this.stored = stored;
    }

    /**
     * A request with its conversation: its scan, with the history in its input when it continues one, and
     * the turn to keep once answered, or null when the client asked to keep nothing ({@code store: false}).
     */
    public record Continued(RequestScan scan, Conversation conversation) {}

    public Mono<Continued> continueFrom(RequestScan scan, String key) {
        RequestScan.Field storeField = scan.field("store");
        boolean store = storeField == null || storeField.valueToken() != JsonToken.VALUE_FALSE;
        RequestScan.Field previousField = scan.field("previous_response_id");
        String previous = previousField != null && previousField.valueToken() == JsonToken.VALUE_STRING
                ? scan.valueTree("previous_response_id").asString() : null;
        // a request that neither continues nor is kept (Codex sends store: false) is not parsed here at all
        if (previous == null) return Mono.just(new Continued(scan, store ? new Conversation(null, items(scan.valueTree("input"))) : null));
        JsonNode tree = Json.MAPPER.readTree(scan.body());
        ArrayNode own = items(tree.path("input"));
        return stored.conversation(key, previous)
                .filter(history -> !history.isEmpty())
                .switchIfEmpty(Mono.error(() -> new GatewayException(ErrorKind.RESPONSE_NOT_FOUND,
                        "Previous response with id '" + EchoedText.of(previous) + "' not found", "previous_response_id", null)))
                .map(history -> {
                    ObjectNode expanded = ((ObjectNode) tree).deepCopy();
                    ArrayNode input = expanded.putArray("input");
                    history.forEach(input::add);
                    own.forEach(input::add);
                    return new Continued(RequestScan.of(Json.MAPPER.writeValueAsBytes(expanded)),
                            store ? new Conversation(previous, own) : null);
                });
    }

    /** A string input is one user message; a list is its items. */
    private static ArrayNode items(JsonNode input) {
        ArrayNode items = Json.MAPPER.createArrayNode();
        if (input == null) return items;
        if (input.isString()) items.addObject().put("type", "message").put("role", "user").put("content", input.asString());
        else if (input.isArray()) input.forEach(items::add);
        return items;
    }
}
