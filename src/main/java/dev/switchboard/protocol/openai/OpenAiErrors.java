package dev.switchboard.protocol.openai;

import dev.switchboard.protocol.ErrorKind;
import dev.switchboard.protocol.Json;
import tools.jackson.databind.node.ObjectNode;

/** OpenAI's error envelope: {@code {"error":{"message","type","param","code"}}}. */
public final class OpenAiErrors {
    private OpenAiErrors() {}

    public static byte[] body(ErrorKind kind, String message, String param) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        ObjectNode error = root.putObject("error");
        error.put("message", message);
        error.put("type", kind.openAiType());
        error.put("param", param);
        error.put("code", kind.openAiCode());
        return Json.MAPPER.writeValueAsBytes(root);
    }

    /**
     * The Responses API's {@code error} stream event. Its sequence number is not the stream's: the gateway
     * writes it when it cannot know how many events went before (a passed-through stream that broke).
     */
    public static byte[] responsesEvent(ErrorKind kind, String message, String param) {
        ObjectNode event = Json.MAPPER.createObjectNode();
        event.put("type", "error");
        event.put("code", kind.openAiCode());
        event.put("message", message);
        event.put("param", param);
        event.put("sequence_number", 0);
        return Json.MAPPER.writeValueAsBytes(event);
    }
}
