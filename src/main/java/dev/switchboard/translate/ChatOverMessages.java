package dev.switchboard.translate;

import dev.switchboard.protocol.Json;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A Chat Completions client served by an Anthropic Messages upstream: the request
 * (system prompt, messages with text and images, tools and tool choice, tool calls and results, stop
 * sequences, sampling, max tokens, {@code reasoning_effort} as {@code thinking}), the whole answer, and the
 * stream ({@link ChatStreamOverMessages}). Fields with no counterpart are left out rather than guessed.
 *
 * <p>{@code cache_control}, which OpenAI's API has not but clients of gateways put on content parts (and
 * LiteLLM's on a whole message or a tool), goes onto the Anthropic block made from that part, message or tool:
 * a prompt cache breakpoint is money, and an Anthropic upstream can take it.
 */
public final class ChatOverMessages extends Rewriting {
    private final boolean includeUsage;

    /** @param includeUsage the client asked for the stream's usage chunk ({@code stream_options.include_usage}) */
    ChatOverMessages(boolean includeUsage) {
        this.includeUsage = includeUsage;
    }

    @Override
    JsonNode request(JsonNode client, String model) {
        return toMessages(client, model);
    }

    @Override
    JsonNode answer(JsonNode upstream) {
        return toChat(upstream, System.currentTimeMillis() / 1000);
    }

    @Override
    public StreamTranslator stream() {
        return new ChatStreamOverMessages(includeUsage, System.currentTimeMillis() / 1000);
    }

    static ObjectNode toMessages(JsonNode in, String model) {
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.put("model", model);
        long maxTokens = in.path("max_completion_tokens").asLong(in.path("max_tokens").asLong(Shapes.DEFAULT_MAX_TOKENS));
        out.put("max_tokens", maxTokens);
        ArrayNode system = Json.MAPPER.createArrayNode();
        ArrayNode messages = out.putArray("messages");
        for (JsonNode m : in.path("messages")) {
            switch (m.path("role").asString("")) {
                case "system", "developer" -> system.addAll(cacheMarked(m, textBlocks(m.path("content"))));
                case "assistant" -> Shapes.appendTurn(messages, "assistant", cacheMarked(m, assistantToAnthropic(m)));
                case "tool" -> {
                    ObjectNode result = Json.MAPPER.createObjectNode().put("type", "tool_result")
                            .put("tool_use_id", m.path("tool_call_id").asString(""));
                    String text = Shapes.text(m.path("content"));
                    result.put("content", text == null ? "" : text);
                    JsonNode cache = cacheControlOf(m);
                    if (cache != null) result.set("cache_control", cache);
                    Shapes.appendTurn(messages, "user", Json.MAPPER.createArrayNode().add(result));
                }
                default -> Shapes.appendTurn(messages, "user", cacheMarked(m, userToAnthropic(m.path("content"))));
            }
        }
        setSystem(out, system);
        if (in.has("temperature")) out.put("temperature", Math.min(1.0, in.path("temperature").asDouble())); // OpenAI's scale goes to 2
        Shapes.copy(in, "top_p", out, "top_p");
        JsonNode stop = in.path("stop");
        if (stop.isString()) out.putArray("stop_sequences").add(stop.asString());
        else if (stop.isArray() && !stop.isEmpty()) out.set("stop_sequences", stop);
        if (in.path("stream").asBoolean(false)) out.put("stream", true);
        if (in.path("tools").isArray() && !in.path("tools").isEmpty()) {
            ArrayNode tools = out.putArray("tools");
            for (JsonNode t : in.path("tools")) {
                JsonNode f = t.path("function");
                ObjectNode tool = tools.addObject().put("name", f.path("name").asString(""));
                if (f.hasNonNull("description")) tool.put("description", f.path("description").asString());
                tool.set("input_schema", f.has("parameters") ? f.path("parameters") : Shapes.emptySchema());
                if (t.path("cache_control").isObject()) tool.set("cache_control", t.path("cache_control"));
            }
        }
        ObjectNode choice = null;
        JsonNode toolChoice = in.path("tool_choice");
        if (toolChoice.isString()) {
            switch (toolChoice.asString()) {
                case "auto" -> choice = Json.MAPPER.createObjectNode().put("type", "auto");
                case "required" -> choice = Json.MAPPER.createObjectNode().put("type", "any");
                case "none" -> choice = Json.MAPPER.createObjectNode().put("type", "none");
                default -> { }
            }
        } else if (toolChoice.isObject()) {
            choice = Json.MAPPER.createObjectNode().put("type", "tool").put("name", toolChoice.path("function").path("name").asString(""));
        }
        if (in.path("parallel_tool_calls").isBoolean() && !in.path("parallel_tool_calls").asBoolean() && out.has("tools")) {
            if (choice == null) choice = Json.MAPPER.createObjectNode().put("type", "auto");
            choice.put("disable_parallel_tool_use", true);
        }
        if (choice != null && out.has("tools")) out.set("tool_choice", choice);
        Shapes.thinking(out, in.path("reasoning_effort").asString(null), maxTokens);
        String user = in.path("user").asString(null);
        if (user != null) out.putObject("metadata").put("user_id", user);
        return out;
    }

    /**
     * The system prompt: one string when no part of it marks a cache breakpoint (what every Anthropic upstream
     * takes), else the text blocks with their marks.
     */
    private static void setSystem(ObjectNode out, ArrayNode blocks) {
        if (blocks.isEmpty()) return;
        boolean marked = false;
        for (JsonNode b : blocks) marked |= b.has("cache_control");
        if (marked) {
            out.set("system", blocks);
            return;
        }
        StringBuilder text = new StringBuilder();
        for (JsonNode b : blocks) {
            if (text.length() > 0) text.append("\n\n");
            text.append(b.path("text").asString(""));
        }
        out.put("system", text.toString());
    }

    /** A message's text as blocks: one per text part (each keeping its cache mark), or one for a string. */
    private static ArrayNode textBlocks(JsonNode content) {
        ArrayNode blocks = Json.MAPPER.createArrayNode();
        if (content.isString()) {
            blocks.addObject().put("type", "text").put("text", content.asString());
            return blocks;
        }
        StringBuilder unmarked = new StringBuilder();
        for (JsonNode part : content) {
            String text = part.isString() ? part.asString() : part.path("text").asString(null);
            if (text == null) continue;
            if (part.path("cache_control").isObject()) {
                if (unmarked.length() > 0) blocks.addObject().put("type", "text").put("text", unmarked.toString());
                unmarked.setLength(0);
                blocks.addObject().put("type", "text").put("text", text).set("cache_control", part.path("cache_control"));
            } else {
                unmarked.append(text);
            }
        }
        if (unmarked.length() > 0 || blocks.isEmpty()) blocks.addObject().put("type", "text").put("text", unmarked.toString());
        return blocks;
    }

    /** A message's own {@code cache_control} (LiteLLM's form) on the last block made from it. */
    private static ArrayNode cacheMarked(JsonNode message, ArrayNode blocks) {
        JsonNode cache = cacheControlOf(message);
        if (cache != null && !blocks.isEmpty()) ((ObjectNode) blocks.get(blocks.size() - 1)).set("cache_control", cache);
        return blocks;
    }

    /** A message's cache mark: on the message, or on any of its content parts (a tool result is one block). */
    private static JsonNode cacheControlOf(JsonNode message) {
        if (message.path("cache_control").isObject()) return message.path("cache_control");
        if (!message.path("role").asString("").equals("tool")) return null;
        for (JsonNode part : message.path("content")) if (part.path("cache_control").isObject()) return part.path("cache_control");
        return null;
    }

    private static ArrayNode assistantToAnthropic(JsonNode m) {
        ArrayNode blocks = Json.MAPPER.createArrayNode();
        JsonNode content = m.path("content");
        if (content.isArray()) {
            for (JsonNode b : textBlocks(content)) if (!b.path("text").asString("").isEmpty() || b.has("cache_control")) blocks.add(b);
        } else {
            String text = Shapes.text(content);
            if (text != null && !text.isEmpty()) blocks.addObject().put("type", "text").put("text", text);
        }
        for (JsonNode call : m.path("tool_calls")) {
            JsonNode f = call.path("function");
            blocks.addObject().put("type", "tool_use").put("id", call.path("id").asString(""))
                    .put("name", f.path("name").asString("")).set("input", Shapes.arguments(f.path("arguments").asString("")));
        }
        return blocks;
    }

    private static ArrayNode userToAnthropic(JsonNode content) {
        ArrayNode blocks = Json.MAPPER.createArrayNode();
        if (content.isString()) {
            blocks.addObject().put("type", "text").put("text", content.asString());
            return blocks;
        }
        for (JsonNode part : content) {
            ObjectNode block = switch (part.path("type").asString("")) {
                case "text" -> blocks.addObject().put("type", "text").put("text", part.path("text").asString(""));
                case "image_url" -> {
                    String url = part.path("image_url").path("url").asString("");
                    ObjectNode image = blocks.addObject().put("type", "image");
                    ObjectNode source = image.putObject("source");
                    int comma = url.indexOf(',');
                    if (url.startsWith("data:") && comma > 0 && url.substring(0, comma).endsWith(";base64")) {
                        source.put("type", "base64").put("media_type", url.substring(5, url.indexOf(';')))
                                .put("data", url.substring(comma + 1));
                    } else {
                        source.put("type", "url").put("url", url);
                    }
                    yield image;
                }
                default -> null;
            };
            if (block != null && part.path("cache_control").isObject()) block.set("cache_control", part.path("cache_control"));
        }
        return blocks;
    }


    static ObjectNode toChat(JsonNode in, long created) {
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
}
