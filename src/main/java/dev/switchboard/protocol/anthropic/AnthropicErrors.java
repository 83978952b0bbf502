package dev.switchboard.protocol.anthropic;

import dev.switchboard.protocol.ErrorKind;
import dev.switchboard.protocol.Json;
import tools.jackson.databind.node.ObjectNode;

/** Anthropic's error envelope: {@code {"type":"error","error":{"type","message"}}}. */
public final class AnthropicErrors {
    private AnthropicErrors() {}

    public static byte[] body(ErrorKind kind, String message) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("type", "error");
        ObjectNode error = root.putObject("error");
        error.put("type", kind.anthropicType());
        error.put("message", message);
        return Json.MAPPER.writeValueAsBytes(root);
    }
}
