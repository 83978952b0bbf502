package dev.switchboard.responses;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;

/**
 * One Responses API request's turn in its conversation: the response it continues, its own input items, and
 * whether it is to be kept ({@code store}, true unless the client says false). The answer that is kept is
 * set once it has gone to the client whole.
 */
public final class Conversation {
    private final String previousResponseId;
    private final ArrayNode input;
    private final boolean store;
    private JsonNode response;

    Conversation(String previousResponseId, ArrayNode input, boolean store) {
        this.previousResponseId = previousResponseId;
        this.input = input;
        this.store = store;
    }

    /** The response as the client got it (a Responses object); null keeps nothing. */
    public void answered(JsonNode response) {
        this.response = response;
    }

    /** The turn to keep, or null: not to be stored, or no whole answer (a stream that broke off). */
    public StoredResponses.Turn turn() {
        if (!store || response == null || !response.path("id").isString()) return null;
        String status = response.path("status").asString("");
        if (!status.equals("completed") && !status.equals("incomplete")) return null;
        return new StoredResponses.Turn(response.path("id").asString(), previousResponseId, input, response);
    }
}
