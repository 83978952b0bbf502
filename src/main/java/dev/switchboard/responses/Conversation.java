package dev.switchboard.responses;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;

/**
 * One Responses API request's turn in a conversation the gateway keeps ({@code store}, true unless the
 * client says false): the response it continues and its own input items. The answer that is kept is set once
 * it has gone to the client whole.
 */
public final class Conversation {
    private final String previousResponseId;
    private final ArrayNode input;
    private JsonNode response;

    Conversation(String previousResponseId, ArrayNode input) {
        this.previousResponseId = previousResponseId;
        this.input = input;
    }

    /** The response as the client got it (a Responses object); null keeps nothing. */
    public void answered(JsonNode response) {
        this.response = response;
    }

    /** The turn to keep, or null: no whole answer (a stream that broke off). */
    public StoredResponses.Turn turn() {
        if (response == null || !response.path("id").isString()) return null;
        String status = response.path("status").asString("");
        if (!status.equals("completed") && !status.equals("incomplete")) return null;
        return new StoredResponses.Turn(response.path("id").asString(), previousResponseId, input, response);
    }
}
