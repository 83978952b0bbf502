package dev.switchboard.translate;

import dev.switchboard.protocol.Json;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * An Anthropic Messages client served by a Chat Completions upstream: the request
 * (system prompt, messages with text and images, tools and tool choice, tool use and results, stop
 * sequences, sampling, max tokens, {@code thinking} as {@code reasoning_effort}), the whole answer (MiniMax's
 * {@code <think>} text, {@code reasoning_details} and {@code reasoning_content} become thinking blocks), and
 * the stream ({@link MessagesStreamOverChat}). Fields with no counterpart are left out rather than guessed.
 */
public final class MessagesOverChat extends Rewriting {
    static final MessagesOverChat INSTANCE = new MessagesOverChat();

    private MessagesOverChat() {}

    @Override
    JsonNode request(JsonNode client, String model) {
        return toChat(client, model);
    }

    @Override
    JsonNode answer(JsonNode upstream) {
        return toMessages(upstream);
    }

    @Override
    public StreamTranslator stream() {
        return new MessagesStreamOverChat();
    }

    static ObjectNode toChat(JsonNode in, String model) {
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.put("model", model);
        ArrayNode messages = out.putArray("messages");
        String system = Shapes.text(in.path("system"));
        if (system != null && !system.isEmpty()) messages.addObject().put("role", "system").put("content", system);
        for (JsonNode m : in.path("messages")) {
            String role = m.path("role").asString("");
            if (role.equals("assistant")) assistantToOpenAi(m.path("content"), messages);
            else userToOpenAi(m.path("content"), messages);
        }
        Shapes.copy(in, "max_tokens", out, "max_tokens");
        Shapes.copy(in, "temperature", out, "temperature");
        Shapes.copy(in, "top_p", out, "top_p");
        if (in.path("stop_sequences").isArray() && !in.path("stop_sequences").isEmpty()) out.set("stop", in.path("stop_sequences"));
        if (in.path("stream").asBoolean(false)) {
            out.put("stream", true);
            out.putObject("stream_options").put("include_usage", true); // the Anthropic stream ends with the usage
        }
        if (in.path("tools").isArray() && !in.path("tools").isEmpty()) {
            ArrayNode tools = out.putArray("tools");
            for (JsonNode t : in.path("tools")) {
                ObjectNode function = tools.addObject().put("type", "function").putObject("function");
                function.put("name", t.path("name").asString(""));
                if (t.hasNonNull("description")) function.put("description", t.path("description").asString());
                function.set("parameters", t.has("input_schema") ? t.path("input_schema") : Shapes.emptySchema());
            }
        }
        JsonNode choice = in.path("tool_choice");
        if (choice.isObject()) {
            switch (choice.path("type").asString("")) {
                case "auto" -> out.put("tool_choice", "auto");
                case "any" -> out.put("tool_choice", "required");
                case "none" -> out.put("tool_choice", "none");
                case "tool" -> out.putObject("tool_choice").put("type", "function")
                        .putObject("function").put("name", choice.path("name").asString(""));
                default -> { }
            }
            if (choice.path("disable_parallel_tool_use").asBoolean(false)) out.put("parallel_tool_calls", false);
        }
        // thinking with a budget, or adaptive with output_config's effort (Claude Code sends the latter): the
        // nearest of OpenAI's three levels. context_management and cache_control have no counterpart and are
        // left out (an OpenAI-protocol upstream caches prompts on its own)
        JsonNode thinking = in.path("thinking");
        String outputEffort = in.path("output_config").path("effort").asString(null);
        switch (thinking.path("type").asString("")) {
            case "enabled" -> out.put("reasoning_effort", effort(thinking.path("budget_tokens").asLong(4096)));
            case "adaptive" -> out.put("reasoning_effort", outputEffort == null ? "medium" : effort(outputEffort));
            case "disabled" -> { }
            default -> {
                if (outputEffort != null) out.put("reasoning_effort", effort(outputEffort));
            }
        }
        String user = in.path("metadata").path("user_id").asString(null);
        if (user != null) out.put("user", user);
        return out;
    }

    /** Anthropic's effort levels (low, medium, high, xhigh, max) to OpenAI's three. */
    static String effort(String anthropicEffort) {
        return switch (anthropicEffort) {
            case "low" -> "low";
            case "medium" -> "medium";
            default -> "high";
        };
    }

    /** Budget tokens to OpenAI's three levels; the inverse of {@link ChatOverMessages#budget}. */
    static String effort(long budgetTokens) {
        return budgetTokens < 2048 ? "low" : budgetTokens < 16384 ? "medium" : "high";
    }

    private static void userToOpenAi(JsonNode content, ArrayNode messages) {
        if (content.isString()) {
            messages.addObject().put("role", "user").put("content", content.asString());
            return;
        }
        ArrayNode parts = Json.MAPPER.createArrayNode();
        for (JsonNode block : content) {
            switch (block.path("type").asString("")) {
                // tool results become role:tool messages, which must follow the assistant's tool_calls directly
                case "tool_result" -> {
                    String result = Shapes.text(block.path("content"));
                    if (block.path("is_error").asBoolean(false)) result = "Error: " + result;
                    messages.addObject().put("role", "tool").put("tool_call_id", block.path("tool_use_id").asString(""))
                            .put("content", result == null ? "" : result);
                }
                case "text" -> parts.addObject().put("type", "text").put("text", block.path("text").asString(""));
                case "image" -> {
                    JsonNode source = block.path("source");
                    String url = source.path("type").asString("").equals("base64")
                            ? "data:" + source.path("media_type").asString("image/png") + ";base64," + source.path("data").asString("")
                            : source.path("url").asString("");
                    parts.addObject().put("type", "image_url").putObject("image_url").put("url", url);
                }
                default -> { }
            }
        }
        if (parts.isEmpty()) return;
        ObjectNode user = messages.addObject().put("role", "user");
        if (parts.size() == 1 && parts.get(0).path("type").asString("").equals("text")) user.put("content", parts.get(0).path("text").asString());
        else user.set("content", parts);
    }

    private static void assistantToOpenAi(JsonNode content, ArrayNode messages) {
        ObjectNode assistant = messages.addObject().put("role", "assistant");
        if (content.isString()) {
            assistant.put("content", content.asString());
            return;
        }
        StringBuilder text = new StringBuilder();
        ArrayNode calls = null;
        for (JsonNode block : content) {
            switch (block.path("type").asString("")) {
                case "text" -> text.append(block.path("text").asString(""));
                case "tool_use" -> {
                    if (calls == null) calls = assistant.putArray("tool_calls");
                    ObjectNode call = calls.addObject().put("id", block.path("id").asString("")).put("type", "function");
                    call.putObject("function").put("name", block.path("name").asString(""))
                            .put("arguments", Json.MAPPER.writeValueAsString(block.has("input") ? block.path("input") : Json.MAPPER.createObjectNode()));
                }
                default -> { } // thinking blocks are the model's own notes; an OpenAI upstream takes none back
            }
        }
        if (text.length() > 0 || calls == null) assistant.put("content", text.toString());
        else assistant.putNull("content");
    }

    static ObjectNode toMessages(JsonNode in) {
        JsonNode choice = in.path("choices").path(0);
        JsonNode message = choice.path("message");
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.put("id", messageId(in.path("id").asString("")));
        out.put("type", "message").put("role", "assistant").put("model", in.path("model").asString(""));
        ArrayNode content = out.putArray("content");
        StringBuilder reasoning = new StringBuilder(Shapes.reasoning(message));
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
                    .put("name", f.path("name").asString("")).set("input", Shapes.lenientArguments(f.path("arguments").asString("")));
        }
        out.put("stop_reason", StopReasons.toAnthropic(choice.path("finish_reason").asString(null)));
        out.putNull("stop_sequence");
        out.set("usage", anthropicUsage(in.path("usage")));
        return out;
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

    static String messageId(String openAiId) {
        return openAiId.startsWith("msg_") ? openAiId : "msg_" + openAiId;
    }
}
