package dev.switchboard.translate;

import dev.switchboard.protocol.ErrorKind;
import dev.switchboard.protocol.GatewayException;
import dev.switchboard.protocol.Json;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A request body in the other protocol, following the mapping in PROVIDERS.md: system prompt, messages with
 * text and images, tools and tool choice, tool calls and results, stop sequences, sampling, max tokens and
 * {@code thinking} / {@code reasoning_effort}. Fields with no counterpart are left out rather than guessed.
 */
public final class RequestTranslator {
    /** Anthropic requires max_tokens; an OpenAI request that sets none gets this. */
    static final int DEFAULT_MAX_TOKENS = 4096;

    private RequestTranslator() {}

    // ---- Anthropic Messages -> OpenAI Chat Completions ----

    public static ObjectNode toOpenAi(JsonNode in, String model) {
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.put("model", model);
        ArrayNode messages = out.putArray("messages");
        String system = text(in.path("system"));
        if (system != null && !system.isEmpty()) messages.addObject().put("role", "system").put("content", system);
        for (JsonNode m : in.path("messages")) {
            String role = m.path("role").asString("");
            if (role.equals("assistant")) assistantToOpenAi(m.path("content"), messages);
            else userToOpenAi(m.path("content"), messages);
        }
        copy(in, "max_tokens", out, "max_tokens");
        copy(in, "temperature", out, "temperature");
        copy(in, "top_p", out, "top_p");
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
                function.set("parameters", t.has("input_schema") ? t.path("input_schema") : emptySchema());
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
        JsonNode thinking = in.path("thinking");
        if (thinking.path("type").asString("").equals("enabled")) {
            out.put("reasoning_effort", effort(thinking.path("budget_tokens").asLong(4096)));
        }
        String user = in.path("metadata").path("user_id").asString(null);
        if (user != null) out.put("user", user);
        return out;
    }

    /** Budget tokens to OpenAI's three levels; the inverse of {@link #budget}. */
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
                    String result = text(block.path("content"));
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

    // ---- OpenAI Chat Completions -> Anthropic Messages ----

    public static ObjectNode toAnthropic(JsonNode in, String model) {
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.put("model", model);
        long maxTokens = in.path("max_completion_tokens").asLong(in.path("max_tokens").asLong(DEFAULT_MAX_TOKENS));
        out.put("max_tokens", maxTokens);
        StringBuilder system = new StringBuilder();
        ArrayNode messages = out.putArray("messages");
        for (JsonNode m : in.path("messages")) {
            switch (m.path("role").asString("")) {
                case "system", "developer" -> {
                    if (system.length() > 0) system.append("\n\n");
                    system.append(text(m.path("content")) == null ? "" : text(m.path("content")));
                }
                case "assistant" -> append(messages, "assistant", assistantToAnthropic(m));
                case "tool" -> {
                    ObjectNode result = Json.MAPPER.createObjectNode().put("type", "tool_result")
                            .put("tool_use_id", m.path("tool_call_id").asString(""));
                    String text = text(m.path("content"));
                    result.put("content", text == null ? "" : text);
                    append(messages, "user", Json.MAPPER.createArrayNode().add(result));
                }
                default -> append(messages, "user", userToAnthropic(m.path("content")));
            }
        }
        if (system.length() > 0) out.put("system", system.toString());
        if (in.has("temperature")) out.put("temperature", Math.min(1.0, in.path("temperature").asDouble())); // OpenAI's scale goes to 2
        copy(in, "top_p", out, "top_p");
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
                tool.set("input_schema", f.has("parameters") ? f.path("parameters") : emptySchema());
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
        String effort = in.path("reasoning_effort").asString(null);
        if (effort != null && !effort.equals("none") && !effort.equals("minimal")) {
            long budget = budget(effort);
            // Anthropic wants the thinking budget below max_tokens, and at least 1024
            if (budget >= maxTokens) out.put("max_tokens", maxTokens + budget);
            out.putObject("thinking").put("type", "enabled").put("budget_tokens", budget);
            out.remove("temperature"); // thinking allows no temperature but 1
            out.remove("top_p");
        }
        String user = in.path("user").asString(null);
        if (user != null) out.putObject("metadata").put("user_id", user);
        return out;
    }

    static long budget(String effort) {
        return switch (effort) {
            case "low" -> 1024;
            case "high" -> 16384;
            default -> 4096;
        };
    }

    private static ArrayNode assistantToAnthropic(JsonNode m) {
        ArrayNode blocks = Json.MAPPER.createArrayNode();
        String text = text(m.path("content"));
        if (text != null && !text.isEmpty()) blocks.addObject().put("type", "text").put("text", text);
        for (JsonNode call : m.path("tool_calls")) {
            JsonNode f = call.path("function");
            blocks.addObject().put("type", "tool_use").put("id", call.path("id").asString(""))
                    .put("name", f.path("name").asString("")).set("input", arguments(f.path("arguments").asString("")));
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
            switch (part.path("type").asString("")) {
                case "text" -> blocks.addObject().put("type", "text").put("text", part.path("text").asString(""));
                case "image_url" -> {
                    String url = part.path("image_url").path("url").asString("");
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

    /** Anthropic merges consecutive turns of one role; doing it here keeps strict upstreams happy. */
    private static void append(ArrayNode messages, String role, ArrayNode blocks) {
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

    private static void copy(JsonNode in, String from, ObjectNode out, String to) {
        if (in.has(from) && !in.path(from).isNull()) out.set(to, in.path(from));
    }

    private static ObjectNode emptySchema() {
        return Json.MAPPER.createObjectNode().put("type", "object");
    }
}
