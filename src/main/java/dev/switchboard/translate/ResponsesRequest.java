package dev.switchboard.translate;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.switchboard.protocol.Json;
import dev.switchboard.protocol.RequestScan;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A Responses API request as the translators to other protocols read it: parsed once, its input as a list
 * of items (a string input is one user message), and its tools as plain functions. Other protocols know
 * neither namespaces nor free-form tools, so a namespaced function goes out as {@code namespace__name} and a
 * custom tool as a function taking one string, {@code input}; {@link #toolName} reads a call's name back.
 */
final class ResponsesRequest {
    /** A tool as a function of another protocol. */
    record Function(String name, String description, JsonNode parameters) {}

    /** A called tool's name as the client declared it. */
    record ToolName(String namespace, String name, boolean custom) {}

    private static final String NAMESPACE_SEPARATOR = "__";

    private final JsonNode tree;
    private final List<Function> functions = new ArrayList<>();
    private final Map<String, ToolName> byUpstreamName = new HashMap<>();

    ResponsesRequest(RequestScan scan) {
        this.tree = Shapes.tree(scan);
        for (JsonNode tool : tree.path("tools")) declare(tool, null);
    }

    private void declare(JsonNode tool, String namespace) {
        switch (tool.path("type").asString("")) {
            case "function" -> {
                String name = tool.path("name").asString("");
                String upstreamName = namespace == null ? name : namespace + NAMESPACE_SEPARATOR + name;
                functions.add(new Function(upstreamName, tool.path("description").asString(null),
                        tool.path("parameters").isObject() ? tool.path("parameters") : Shapes.emptySchema()));
                byUpstreamName.put(upstreamName, new ToolName(namespace, name, false));
            }
            case "custom" -> {
                String name = tool.path("name").asString("");
                ObjectNode schema = Shapes.emptySchema();
                schema.putObject("properties").putObject("input").put("type", "string")
                        .put("description", "The tool's whole input, as free-form text");
                schema.putArray("required").add("input");
                functions.add(new Function(name, tool.path("description").asString(null), schema));
                byUpstreamName.put(name, new ToolName(null, name, true));
            }
            case "namespace" -> {
                for (JsonNode inner : tool.path("tools")) declare(inner, tool.path("name").asString(""));
            }
            default -> { } // hosted tools never reach a translator (the planner sends them to Responses upstreams)
        }
    }

    JsonNode tree() {
        return tree;
    }

    List<Function> functions() {
        return functions;
    }

    /** The name a tool goes by upstream, for a call the client sent back (function_call, custom_tool_call). */
    static String upstreamName(JsonNode call) {
        String name = call.path("name").asString("");
        String namespace = call.path("namespace").asString(null);
        return namespace == null || namespace.isEmpty() ? name : namespace + NAMESPACE_SEPARATOR + name;
    }

    ToolName toolName(String upstreamName) {
        ToolName known = byUpstreamName.get(upstreamName);
        return known != null ? known : new ToolName(null, upstreamName == null ? "" : upstreamName, false);
    }

    /** The client asked for reasoning summaries ({@code reasoning.summary} auto, concise or detailed). */
    boolean wantsReasoningSummary() {
        String summary = tree.path("reasoning").path("summary").asString(null);
        return summary != null && !summary.equals("none");
    }

    /** The input as items; a string input is one user message. Messages without a type are given one. */
    List<JsonNode> items() {
        JsonNode input = tree.path("input");
        List<JsonNode> items = new ArrayList<>();
        if (input.isString()) {
            items.add(Json.MAPPER.createObjectNode().put("type", "message").put("role", "user").put("content", input.asString()));
            return items;
        }
        for (JsonNode item : input) {
            if (!item.has("type") && item.has("role")) items.add(((ObjectNode) item.deepCopy()).put("type", "message"));
            else items.add(item);
        }
        return items;
    }

    /** A message's text parts joined; images and other parts are left to the caller. */
    static String text(JsonNode content) {
        if (content.isString()) return content.asString();
        StringBuilder out = new StringBuilder();
        for (JsonNode part : content) {
            String type = part.path("type").asString("");
            if (type.equals("input_text") || type.equals("output_text")) out.append(part.path("text").asString(""));
            else if (type.equals("refusal")) out.append(part.path("refusal").asString(""));
        }
        return out.toString();
    }

    /** A function call's output: a string, or a list of content parts whose text is taken. */
    static String output(JsonNode output) {
        return output.isString() ? output.asString() : text(output);
    }

    /** An image part's URL (a data URL or a web address); null for a file id, which no other protocol takes. */
    static String imageUrl(JsonNode part) {
        JsonNode url = part.path("image_url");
        if (url.isString()) return url.asString();
        return url.path("url").asString(null);
    }

    /** The maximum output, if the client set one. */
    Long maxOutputTokens() {
        JsonNode max = tree.path("max_output_tokens");
        return max.canConvertToLong() ? max.asLong() : null;
    }

    /** {@code text.format}: json_schema or json_object; null for plain text. */
    JsonNode format() {
        JsonNode format = tree.path("text").path("format");
        String type = format.path("type").asString("text");
        return type.equals("json_schema") || type.equals("json_object") ? format : null;
    }

    static ArrayNode array() {
        return Json.MAPPER.createArrayNode();
    }
}
