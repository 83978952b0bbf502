package dev.switchboard.translate;

import dev.switchboard.protocol.ErrorKind;
import dev.switchboard.protocol.GatewayException;
import dev.switchboard.protocol.Json;
import dev.switchboard.protocol.RequestScan;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** What several translators read and write alike: message text, tool arguments, reasoning fields. */
final class Shapes {
    /** Anthropic requires max_tokens; a request from a protocol where it is optional gets this. */
    static final int DEFAULT_MAX_TOKENS = 4096;

    private Shapes() {}

    /** The client's request as a tree; it was checked to be one JSON object when it came in. */
    static JsonNode tree(RequestScan request) {
        try {
            return Json.MAPPER.readTree(request.body());
        } catch (JacksonException e) {
            throw new GatewayException(ErrorKind.INVALID_REQUEST, "The request body is not valid JSON");
        }
    }

    /** A request written in the upstream's protocol, scanned for the splice that names the target's model. */
    static RequestScan scanned(JsonNode request) {
        return RequestScan.of(Json.MAPPER.writeValueAsBytes(request));
    }

    /** Tool-call arguments are a JSON string in OpenAI and an object in Anthropic. */
    static JsonNode arguments(String json) {
        if (json == null || json.isBlank()) return Json.MAPPER.createObjectNode();
        try {
            JsonNode parsed = Json.MAPPER.readTree(json);
            return parsed.isObject() ? parsed : Json.MAPPER.createObjectNode().set("value", parsed);
        } catch (JacksonException e) {
            throw new GatewayException(ErrorKind.INVALID_REQUEST, "A tool call's arguments are not valid JSON: " + e.getOriginalMessage());
        }
    }

    /** An answer's tool arguments that are not JSON are kept as text rather than failing the whole answer. */
    static JsonNode lenientArguments(String json) {
        try {
            return arguments(json);
        } catch (RuntimeException e) {
            return Json.MAPPER.createObjectNode().put("arguments", json);
        }
    }

    /** A content value as plain text: a string, or the text parts/blocks of an array joined. */
    static String text(JsonNode content) {
        if (content == null || content.isMissingNode() || content.isNull()) return null;
        if (content.isString()) return content.asString();
        StringBuilder out = new StringBuilder();
        for (JsonNode part : content) {
            if (part.isString()) out.append(part.asString());
            else if (part.has("text")) out.append(part.path("text").asString(""));
        }
        return out.toString();
    }

    /** Reasoning an OpenAI-style message carries beside its content, in the shapes providers use. */
    static String reasoning(JsonNode messageOrDelta) {
        StringBuilder out = new StringBuilder();
        String field = messageOrDelta.path("reasoning_content").asString(null);
        if (field == null) field = messageOrDelta.path("reasoning").asString(null);
        if (field != null) out.append(field);
        else for (JsonNode d : messageOrDelta.path("reasoning_details")) out.append(d.path("text").asString(""));
        return out.toString();
    }

    static void copy(JsonNode in, String from, ObjectNode out, String to) {
        if (in.has(from) && !in.path(from).isNull()) out.set(to, in.path(from));
    }

    static ObjectNode emptySchema() {
        return Json.MAPPER.createObjectNode().put("type", "object");
    }

    /** Anthropic merges consecutive turns of one role; doing it here keeps strict upstreams happy. */
    static void appendTurn(ArrayNode messages, String role, ArrayNode blocks) {
        if (blocks.isEmpty()) return;
        JsonNode last = messages.isEmpty() ? null : messages.get(messages.size() - 1);
        if (last != null && last.path("role").asString("").equals(role)) {
            ArrayNode content = (ArrayNode) last.path("content");
            if (role.equals("user")) {
                // tool results first: Anthropic wants them at the start of the user turn
                ArrayNode merged = Json.MAPPER.createArrayNode();
                for (JsonNode b : content) if (b.path("type").asString("").equals("tool_result")) merged.add(b);
                for (JsonNode b : blocks) if (b.path("type").asString("").equals("tool_result")) merged.add(b);
                for (JsonNode b : content) if (!b.path("type").asString("").equals("tool_result")) merged.add(b);
                for (JsonNode b : blocks) if (!b.path("type").asString("").equals("tool_result")) merged.add(b);
                ((ObjectNode) last).set("content", merged);
            } else {
                content.addAll(blocks);
            }
            return;
        }
        messages.addObject().put("role", role).set("content", blocks);
    }

    /**
     * An OpenAI reasoning effort as Anthropic thinking on a Messages request ({@code out}, whose
     * {@code max_tokens} is {@code maxTokens}): a budget of 1024, 4096 or 16384 tokens for low, medium and
     * high; none for none, minimal or no effort.
     */
    static void thinking(ObjectNode out, String effort, long maxTokens) {
        if (effort == null || effort.equals("none") || effort.equals("minimal")) return;
        long budget = switch (effort) {
            case "low" -> 1024;
            case "high" -> 16384;
            default -> 4096;
        };
        // Anthropic wants the thinking budget below max_tokens, and at least 1024
        if (budget >= maxTokens) out.put("max_tokens", maxTokens + budget);
        out.putObject("thinking").put("type", "enabled").put("budget_tokens", budget);
        out.remove("temperature"); // thinking allows no temperature but 1
        out.remove("top_p");
    }
}
