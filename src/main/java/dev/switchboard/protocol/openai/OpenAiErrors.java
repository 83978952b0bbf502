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
}
