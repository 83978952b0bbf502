package dev.switchboard.translate;

import dev.switchboard.config.Target;
import dev.switchboard.protocol.Json;
import dev.switchboard.protocol.RequestScan;
import dev.switchboard.protocol.openai.OpenAiUsage;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A Responses API client served by a Chat Completions upstream. The request: {@code instructions} and
 * system or developer messages as system messages, input messages with text and images, function calls and
 * their outputs as tool calls and tool messages, functions (namespaced and custom ones flattened, see
 * {@link ResponsesRequest}), tool choice, parallel calls, {@code max_output_tokens}, sampling,
 * {@code reasoning.effort}, {@code text.format} as {@code response_format}, {@code prompt_cache_key}.
 * Reasoning items are left out (the model's own notes; a chat upstream takes none back), as are
 * {@code store}, {@code include} and {@code metadata}, which the gateway keeps itself. The answer: a Response
 * with reasoning (when a summary was asked for), message and function call items; the stream:
 * {@link ResponsesStreamOverChat}.
 */
public final class ResponsesOverChat extends Rewriting {
    private final ResponsesRequest request;

    ResponsesOverChat(RequestScan client) {
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
        ArrayNode messages = out.putArray("messages");
        String instructions = in.path("instructions").asString(null);
        if (instructions != null && !instructions.isEmpty()) messages.addObject().put("role", "system").put("content", instructions);
        ObjectNode pendingCalls = null; // the assistant message function calls join, while they follow each other
        for (JsonNode item : request.items()) {
            switch (item.path("type").asString("")) {
                case "message" -> {
                    pendingCalls = null;
                    message(item, messages);
                    if (item.path("role").asString("").equals("assistant")) pendingCalls = (ObjectNode) messages.get(messages.size() - 1);
                }
                case "function_call", "custom_tool_call" -> {
                    if (pendingCalls == null) {
                        pendingCalls = messages.addObject().put("role", "assistant");
                        pendingCalls.putNull("content");
                    }
                    ArrayNode calls = pendingCalls.has("tool_calls") ? (ArrayNode) pendingCalls.path("tool_calls") : pendingCalls.putArray("tool_calls");
                    String arguments = item.path("type").asString("").equals("custom_tool_call")
                            ? Json.MAPPER.writeValueAsString(Json.MAPPER.createObjectNode().put("input", item.path("input").asString("")))
                            : item.path("arguments").asString("{}");
                    calls.addObject().put("id", item.path("call_id").asString("")).put("type", "function")
                            .putObject("function").put("name", ResponsesRequest.upstreamName(item)).put("arguments", arguments);
                }
                case "function_call_output", "custom_tool_call_output" -> {
                    pendingCalls = null;
                    messages.addObject().put("role", "tool").put("tool_call_id", item.path("call_id").asString(""))
                            .put("content", ResponsesRequest.output(item.path("output")));
                }
                default -> { } // reasoning: the model's own notes
            }
        }
        Long max = request.maxOutputTokens();
        if (max != null) out.put("max_tokens", max);
        Shapes.copy(in, "temperature", out, "temperature");
        Shapes.copy(in, "top_p", out, "top_p");
        Shapes.copy(in, "parallel_tool_calls", out, "parallel_tool_calls");
        Shapes.copy(in, "prompt_cache_key", out, "prompt_cache_key");
        Shapes.copy(in, "user", out, "user");
        if (!request.functions().isEmpty()) {
            ArrayNode tools = out.putArray("tools");
            for (ResponsesRequest.Function f : request.functions()) {
                ObjectNode function = tools.addObject().put("type", "function").putObject("function").put("name", f.name());
                if (f.description() != null) function.put("description", f.description());
                function.set("parameters", f.parameters());
            }
            toolChoice(in.path("tool_choice"), out);
        }
        String effort = in.path("reasoning").path("effort").asString(null);
        if (effort != null && !effort.equals("none")) out.put("reasoning_effort", effort.equals("minimal") ? "low" : effort);
        JsonNode format = request.format();
        if (format != null) {
            ObjectNode responseFormat = out.putObject("response_format").put("type", format.path("type").asString());
            if (format.path("type").asString("").equals("json_schema")) {
                ObjectNode schema = responseFormat.putObject("json_schema").put("name", format.path("name").asString("response"));
                schema.set("schema", format.path("schema"));
                if (format.has("strict")) schema.set("strict", format.path("strict"));
            }
        }
        if (in.path("stream").asBoolean(false)) {
            out.put("stream", true);
            out.putObject("stream_options").put("include_usage", true); // the Responses stream ends with the usage
        }
        return out;
    }

    private static void message(JsonNode item, ArrayNode messages) {
        String role = item.path("role").asString("user");
        JsonNode content = item.path("content");
        String chatRole = role.equals("developer") ? "system" : role; // not every chat upstream knows "developer"
        if (content.isString() || !role.equals("user")) {
            messages.addObject().put("role", chatRole).put("content", ResponsesRequest.text(content));
            return;
        }
        ArrayNode parts = Json.MAPPER.createArrayNode();
        for (JsonNode part : content) {
            switch (part.path("type").asString("")) {
                case "input_text" -> parts.addObject().put("type", "text").put("text", part.path("text").asString(""));
                case "input_image" -> {
                    String url = ResponsesRequest.imageUrl(part);
                    if (url != null) parts.addObject().put("type", "image_url").putObject("image_url").put("url", url);
                }
                default -> { }
            }
        }
        ObjectNode user = messages.addObject().put("role", "user");
        if (parts.size() == 1 && parts.get(0).path("type").asString("").equals("text")) user.put("content", parts.get(0).path("text").asString());
        else user.set("content", parts);
    }

    private static void toolChoice(JsonNode choice, ObjectNode out) {
        if (choice.isString()) {
            out.put("tool_choice", choice.asString()); // auto, none, required: the same words
        } else if (choice.path("type").asString("").equals("function")) {
            out.putObject("tool_choice").put("type", "function").putObject("function").put("name", choice.path("name").asString(""));
        }
    }

    @Override
    JsonNode answer(JsonNode completion) {
        JsonNode choice = completion.path("choices").path(0);
        JsonNode message = choice.path("message");
        ResponseWriter writer = new ResponseWriter(request, completion.path("model").asString(""));
        writer.reasoning(Shapes.reasoning(message));
        ThinkSplitter split = new ThinkSplitter();
        String content = message.path("content").asString("");
        for (ThinkSplitter.Piece piece : split.feed(content)) write(writer, piece);
        for (ThinkSplitter.Piece piece : split.finish()) write(writer, piece);
        for (JsonNode call : message.path("tool_calls")) {
            writer.functionCall(call.path("id").asString(""), call.path("function").path("name").asString(""));
            writer.functionArguments(call.path("function").path("arguments").asString(""));
        }
        writer.usage(OpenAiUsage.tokens(completion));
        return writer.whole(incomplete(choice.path("finish_reason").asString(null)));
    }

    private static void write(ResponseWriter writer, ThinkSplitter.Piece piece) {
        if (piece.thinking()) writer.reasoning(piece.text());
        else writer.text(piece.text());
    }

    /** A chat finish reason as a Responses incomplete reason, or null when the answer is complete. */
    static String incomplete(String finishReason) {
        if (finishReason == null) return null;
        return switch (finishReason) {
            case "length" -> "max_output_tokens";
            case "content_filter" -> "content_filter";
            default -> null;
        };
    }

    @Override
    public StreamTranslator stream() {
        return new ResponsesStreamOverChat(request);
    }
}
