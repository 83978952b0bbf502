package dev.switchboard.translate;

import dev.switchboard.protocol.Json;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A whole (non-streaming) answer in the other protocol: content blocks and choices, tool calls, reasoning
 * (MiniMax's {@code <think>} text, {@code reasoning_details} and {@code reasoning_content} become Anthropic
 * thinking blocks), stop reasons and usage by token class.
 */
public final class ResponseTranslator {
    private ResponseTranslator() {}

    // ---- an OpenAI chat.completion for an Anthropic client ----

    public static ObjectNode toAnthropic(JsonNode in) {
        JsonNode choice = in.path("choices").path(0);
        JsonNode message = choice.path("message");
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.put("id", messageId(in.path("id").asString("")));
        out.put("type", "message").put("role", "assistant").put("model", in.path("model").asString(""));
        ArrayNode content = out.putArray("content");
        StringBuilder reasoning = new StringBuilder(reasoning(message));
        String text = message.path("content").asString("");
        ThinkSplitter split = new ThinkSplitter();
        StringBuilder visible = new StringBuilder();
        for (ThinkSplitter.Piece piece : split.feed(text)) (piece.thinking() ? reasoning : visible).append(piece.text());
        for (ThinkSplitter.Piece piece : split.finish()) (piece.thinking() ? reasoning : visible).append(piece.text());
        if (reasoning.length() > 0) content.addObject().put("type", "thinking").put("thinking", reasoning.toString()).put("signature", "");
        String answer = visible.toString();
        if (!answer.isEmpty()) content.addObject().put("type", "text").put("text", answer);
        for (JsonNode call : message.path("tool_calls")) {
            JsonNode f = call.path("function");
            content.addObject().put("type", "tool_use").put("id", call.path("id").asString(""))
                    .put("name", f.path("name").asString("")).set("input", lenientArguments(f.path("arguments").asString("")));
        }
        out.put("stop_reason", StopReasons.toAnthropic(choice.path("finish_reason").asString(null)));
        out.putNull("stop_sequence");
        out.set("usage", anthropicUsage(in.path("usage")));
        return out;
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

    /** OpenAI usage as Anthropic's: input_tokens excludes what was read from or written to the cache. */
    static ObjectNode anthropicUsage(JsonNode usage) {
        long prompt = usage.path("prompt_tokens").asLong(0);
        long cached = usage.path("prompt_tokens_details").path("cached_tokens").asLong(0);
        long cacheWrite = usage.path("prompt_tokens_details").path("cache_write_tokens").asLong(0);
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.put("input_tokens", Math.max(0, prompt - cached - cacheWrite));
        out.put("cache_creation_input_tokens", cacheWrite);
        out.put("cache_read_input_tokens", cached);
        out.put("output_tokens", usage.path("completion_tokens").asLong(0));
        return out;
    }

    // ---- an Anthropic message for an OpenAI client ----

    public static ObjectNode toOpenAi(JsonNode in, long created) {
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.put("id", in.path("id").asString(""));
        out.put("object", "chat.completion").put("created", created).put("model", in.path("model").asString(""));
        ObjectNode choice = out.putArray("choices").addObject().put("index", 0);
        ObjectNode message = choice.putObject("message").put("role", "assistant");
        StringBuilder text = new StringBuilder();
        StringBuilder thinking = new StringBuilder();
        ArrayNode calls = null;
        for (JsonNode block : in.path("content")) {
            switch (block.path("type").asString("")) {
                case "text" -> text.append(block.path("text").asString(""));
                case "thinking" -> thinking.append(block.path("thinking").asString(""));
                case "tool_use" -> {
                    if (calls == null) calls = Json.MAPPER.createArrayNode();
                    calls.addObject().put("id", block.path("id").asString("")).put("type", "function")
                            .putObject("function").put("name", block.path("name").asString(""))
                            .put("arguments", Json.MAPPER.writeValueAsString(block.path("input").isMissingNode()
                                    ? Json.MAPPER.createObjectNode() : block.path("input")));
                }
                default -> { }
            }
        }
        if (text.length() > 0 || calls == null) message.put("content", text.toString());
        else message.putNull("content");
        if (thinking.length() > 0) message.put("reasoning_content", thinking.toString());
        if (calls != null) message.set("tool_calls", calls);
        choice.put("finish_reason", StopReasons.toOpenAi(in.path("stop_reason").asString(null)));
        out.set("usage", openAiUsage(in.path("usage"), in.path("usage").path("output_tokens").asLong(0)));
        return out;
    }

    /** Anthropic usage as OpenAI's: prompt_tokens counts cached and cache-write tokens too. */
    static ObjectNode openAiUsage(JsonNode usage, long outputTokens) {
        long input = usage.path("input_tokens").asLong(0);
        long cacheRead = usage.path("cache_read_input_tokens").asLong(0);
        long cacheWrite = usage.path("cache_creation_input_tokens").asLong(0);
        long prompt = input + cacheRead + cacheWrite;
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.put("prompt_tokens", prompt).put("completion_tokens", outputTokens).put("total_tokens", prompt + outputTokens);
        out.putObject("prompt_tokens_details").put("cached_tokens", cacheRead).put("cache_write_tokens", cacheWrite);
        return out;
    }

    static String messageId(String openAiId) {
        return openAiId.startsWith("msg_") ? openAiId : "msg_" + openAiId;
    }

    /** An answer's tool arguments that are not JSON are kept as text rather than failing the whole answer. */
    static JsonNode lenientArguments(String json) {
        try {
            return RequestTranslator.arguments(json);
        } catch (RuntimeException e) {
            return Json.MAPPER.createObjectNode().put("arguments", json);
        }
    }
}
