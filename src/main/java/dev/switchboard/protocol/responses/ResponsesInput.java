package dev.switchboard.protocol.responses;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import dev.switchboard.protocol.EchoedText;
import dev.switchboard.protocol.ErrorKind;
import dev.switchboard.protocol.GatewayException;
import tools.jackson.databind.JsonNode;

/**
 * What a Responses API request may hold, checked before any upstream sees it: {@code input} as a string or
 * a list of items the gateway knows (messages with text and image parts, function and custom tool calls and
 * their outputs, reasoning), and which of its tools are hosted (run by OpenAI, not by the client).
 */
public final class ResponsesInput {
    /** Item types the gateway can carry to an upstream of any protocol. */
    private static final Set<String> ITEMS = Set.of("message", "function_call", "function_call_output", "reasoning",
            "custom_tool_call", "custom_tool_call_output");
    private static final Set<String> ROLES = Set.of("user", "assistant", "system", "developer");
    private static final Set<String> PARTS = Set.of("input_text", "input_image", "output_text", "refusal", "summary_text",
            "reasoning_text");
    /** Tools the client itself runs: the model only asks for them. Every other type runs at OpenAI. */
    private static final Set<String> CLIENT_TOOLS = Set.of("function", "custom", "namespace");

    private ResponsesInput() {}

    /** @throws GatewayException (400) naming the first item or part the gateway cannot carry */
    public static void check(JsonNode input) {
        if (input == null || input.isNull()) throw invalid("input: Field required", "input");
        if (input.isString()) return;
        if (!input.isArray()) throw invalid("\"input\" must be a string or a list of items", "input");
        for (int i = 0; i < input.size(); i++) {
            JsonNode item = input.get(i);
            String at = "input[" + i + "]";
            if (!item.isObject()) throw invalid(at + " must be an object", at);
            // a message may leave out its type ("easy input message")
            String type = item.path("type").asString(item.has("role") ? "message" : "");
            if (!ITEMS.contains(type)) {
                throw invalid(at + ": the item type '" + EchoedText.of(type) + "' is not supported here (supported: "
                        + String.join(", ", ITEMS.stream().sorted().toList()) + ")", at + ".type");
            }
            if (type.equals("message")) message(item, at);
            if ((type.equals("function_call") || type.equals("custom_tool_call")) && !item.path("call_id").isString()) {
                throw invalid(at + ".call_id: Field required", at + ".call_id");
            }
            if ((type.equals("function_call_output") || type.equals("custom_tool_call_output")) && !item.path("call_id").isString()) {
                throw invalid(at + ".call_id: Field required", at + ".call_id");
            }
        }
    }

    private static void message(JsonNode item, String at) {
        String role = item.path("role").asString("");
        if (!ROLES.contains(role)) throw invalid(at + ".role must be user, assistant, system or developer", at + ".role");
        JsonNode content = item.path("content");
        if (content.isString()) return;
        if (!content.isArray()) throw invalid(at + ".content must be a string or a list of parts", at + ".content");
        for (int j = 0; j < content.size(); j++) {
            String type = content.get(j).path("type").asString("");
            if (!PARTS.contains(type)) {
                throw invalid(at + ".content[" + j + "]: the part type '" + EchoedText.of(type) + "' is not supported here",
                        at + ".content[" + j + "].type");
            }
        }
    }

    /** The hosted tools among {@code tools}, by type (web_search, file_search, code_interpreter...). */
    public static List<String> hostedTools(JsonNode tools) {
        List<String> hosted = new ArrayList<>();
        if (tools == null || !tools.isArray()) return hosted;
        for (JsonNode tool : tools) {
            String type = tool.path("type").asString("");
            if (!CLIENT_TOOLS.contains(type)) hosted.add(EchoedText.of(type));
        }
        return hosted;
    }

    private static GatewayException invalid(String message, String param) {
        return new GatewayException(ErrorKind.INVALID_REQUEST, message, param, null);
    }
}
