package dev.switchboard.translate;

import dev.switchboard.config.Target;
import dev.switchboard.protocol.Json;
import dev.switchboard.protocol.RequestScan;
import dev.switchboard.protocol.anthropic.AnthropicUsage;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A Responses API client served by an Anthropic Messages upstream. The request: {@code instructions} and
 * system or developer messages as the system prompt, input messages as turns with text and image blocks
 * (consecutive turns of one role merged, as Anthropic wants), function calls as {@code tool_use} blocks and
 * their outputs as {@code tool_result} blocks, functions (namespaced and custom ones flattened, see
 * {@link ResponsesRequest}) with tool choice and parallel calls, {@code max_output_tokens} (else
 * {@value Shapes#DEFAULT_MAX_TOKENS}), sampling, {@code reasoning.effort} as a thinking budget,
 * {@code text.format} json_schema as {@code output_config.format} (json_object as an instruction). Reasoning
 * items are left out (their signatures are Anthropic's, and a translated answer has none), as are
 * {@code store}, {@code include}, {@code prompt_cache_key} and {@code metadata}. The answer: a Response with
 * reasoning (when a summary was asked for), message and function call items; the stream:
 * {@link ResponsesStreamOverMessages}.
 */
public final class ResponsesOverMessages extends Rewriting {
    private final ResponsesRequest request;

    ResponsesOverMessages(RequestScan client) {
        this.request = new ResponsesRequest(client);
    }

    @Override
    public RequestScan request(RequestScan client, Target target) {
        return Shapes.scanned(request(request.tree(), target.model()));
    }

    @Override
    JsonNode request(JsonNode in, String model) {
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.put("model", model);
        Long max = request.maxOutputTokens();
        long maxTokens = max != null ? max : Shapes.DEFAULT_MAX_TOKENS;
        out.put("max_tokens", maxTokens);
        StringBuilder system = new StringBuilder(in.path("instructions").asString(""));
        ArrayNode messages = out.putArray("messages");
        for (JsonNode item : request.items()) {
            switch (item.path("type").asString("")) {
                case "message" -> {
                    String role = item.path("role").asString("user");
                    if (role.equals("system") || role.equals("developer")) {
                        if (system.length() > 0) system.append("\n\n");
                        system.append(ResponsesRequest.text(item.path("content")));
                    } else {
                        Shapes.appendTurn(messages, role.equals("assistant") ? "assistant" : "user", blocks(item.path("content")));
                    }
                }
                case "function_call", "custom_tool_call" -> {
                    JsonNode input = item.path("type").asString("").equals("custom_tool_call")
                            ? Json.MAPPER.createObjectNode().put("input", item.path("input").asString(""))
                            : Shapes.arguments(item.path("arguments").asString(""));
                    ArrayNode use = Json.MAPPER.createArrayNode();
                    use.addObject().put("type", "tool_use").put("id", item.path("call_id").asString(""))
                            .put("name", ResponsesRequest.upstreamName(item)).set("input", input);
                    Shapes.appendTurn(messages, "assistant", use);
                }
                case "function_call_output", "custom_tool_call_output" -> {
                    ArrayNode result = Json.MAPPER.createArrayNode();
                    result.addObject().put("type", "tool_result").put("tool_use_id", item.path("call_id").asString(""))
                            .put("content", ResponsesRequest.output(item.path("output")));
                    Shapes.appendTurn(messages, "user", result);
                }
                default -> { } // reasoning
            }
        }
        JsonNode format = request.format();
        if (format != null && format.path("type").asString("").equals("json_object")) {
            if (system.length() > 0) system.append("\n\n");
            system.append("Answer with one JSON object and nothing else.");
        } else if (format != null) {
            out.putObject("output_config").putObject("format").put("type", "json_schema").set("schema", format.path("schema"));
        }
        if (system.length() > 0) out.put("system", system.toString());
        if (in.has("temperature")) out.put("temperature", Math.min(1.0, in.path("temperature").asDouble())); // OpenAI's scale goes to 2
        Shapes.copy(in, "top_p", out, "top_p");
        if (!request.functions().isEmpty()) {
            ArrayNode tools = out.putArray("tools");
            for (ResponsesRequest.Function f : request.functions()) {
                ObjectNode tool = tools.addObject().put("name", f.name());
                if (f.description() != null) tool.put("description", f.description());
                tool.set("input_schema", f.parameters());
            }
            ObjectNode choice = toolChoice(in.path("tool_choice"));
            if (in.path("parallel_tool_calls").isBoolean() && !in.path("parallel_tool_calls").asBoolean()) {
                if (choice == null) choice = Json.MAPPER.createObjectNode().put("type", "auto");
                choice.put("disable_parallel_tool_use", true);
            }
            if (choice != null) out.set("tool_choice", choice);
        }
        Shapes.thinking(out, in.path("reasoning").path("effort").asString(null), maxTokens);
        String user = in.path("user").asString(null);
        if (user != null) out.putObject("metadata").put("user_id", user);
        if (in.path("stream").asBoolean(false)) out.put("stream", true);
        return out;
    }

    private static ArrayNode blocks(JsonNode content) {
        ArrayNode blocks = Json.MAPPER.createArrayNode();
        if (content.isString()) {
            if (!content.asString().isEmpty()) blocks.addObject().put("type", "text").put("text", content.asString());
            return blocks;
        }
        for (JsonNode part : content) {
            switch (part.path("type").asString("")) {
                case "input_text", "output_text" -> blocks.addObject().put("type", "text").put("text", part.path("text").asString(""));
                case "refusal" -> blocks.addObject().put("type", "text").put("text", part.path("refusal").asString(""));
                case "input_image" -> {
                    String url = ResponsesRequest.imageUrl(part);
                    if (url == null) continue;
                    ObjectNode source = blocks.addObject().put("type", "image").putObject("source");
                    int comma = url.indexOf(',');
                    if (url.startsWith("data:") && comma > 0 && url.substring(0, comma).endsWith(";base64")) {
                        source.put("type", "base64").put("media_type", url.substring(5, url.indexOf(';')))
                                .put("data", url.substring(comma + 1));
                    } else {
                        source.put("type", "url").put("url", url);
                    }
                }
                default -> { }
            }
        }
        return blocks;
    }

    private static ObjectNode toolChoice(JsonNode choice) {
        if (choice.isString()) {
            return switch (choice.asString()) {
                case "auto" -> Json.MAPPER.createObjectNode().put("type", "auto");
                case "required" -> Json.MAPPER.createObjectNode().put("type", "any");
                case "none" -> Json.MAPPER.createObjectNode().put("type", "none");
                default -> null;
            };
        }
        if (choice.path("type").asString("").equals("function")) {
            return Json.MAPPER.createObjectNode().put("type", "tool").put("name", choice.path("name").asString(""));
        }
        return null;
    }

    @Override
    JsonNode answer(JsonNode message) {
        ResponseWriter writer = new ResponseWriter(request, message.path("model").asString(""));
        for (JsonNode block : message.path("content")) {
            switch (block.path("type").asString("")) {
                case "thinking" -> writer.reasoning(block.path("thinking").asString(""));
                case "text" -> writer.text(block.path("text").asString(""));
                case "tool_use" -> {
                    writer.functionCall(block.path("id").asString(""), block.path("name").asString(""));
                    writer.functionArguments(Json.MAPPER.writeValueAsString(block.has("input") ? block.path("input") : Json.MAPPER.createObjectNode()));
                }
                default -> { }
            }
        }
        writer.usage(AnthropicUsage.tokens(message.path("usage")));
        return writer.whole(incomplete(message.path("stop_reason").asString(null)));
    }

    /** Anthropic's stop reason as a Responses incomplete reason, or null when the answer is complete. */
    static String incomplete(String stopReason) {
        if (stopReason == null) return null;
        return switch (stopReason) {
            case "max_tokens" -> "max_output_tokens";
            case "refusal" -> "content_filter";
            default -> null;
        };
    }

    @Override
    public StreamTranslator stream() {
        return new ResponsesStreamOverMessages(request);
    }
}
