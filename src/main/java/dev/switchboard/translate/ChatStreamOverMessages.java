package dev.switchboard.translate;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

import dev.switchboard.protocol.Json;
import dev.switchboard.protocol.SseEvent;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Anthropic stream events into OpenAI chat.completion.chunk events: {@code ping} dropped, text and thinking
 * deltas into {@code content} and {@code reasoning_content}, a tool_use block's start into a
 * {@code tool_calls} entry with id and name and its {@code input_json_delta}s into argument fragments,
 * {@code message_delta} into the finish chunk, then the usage chunk when the client asked for it, then
 * {@code [DONE]}.
 */
public final class ChatStreamOverMessages implements StreamTranslator {
    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);

    private final boolean includeUsage;
    private final long created;
    private final Map<Integer, Integer> toolByBlock = new HashMap<>();
    private String id = "chatcmpl-gateway";
    private String model = "";
    private JsonNode startUsage = Json.MAPPER.createObjectNode();
    private long outputTokens;
    private String finishReason;
    private boolean done;
    /** [DONE] went out after message_stop (not after an error event). */
    private boolean answered;

    /** @param includeUsage the client asked for {@code stream_options.include_usage} */
    ChatStreamOverMessages(boolean includeUsage, long created) {
        this.includeUsage = includeUsage;
        this.created = created;
    }

    @Override
    public byte[] event(SseEvent event) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (done || event.data() == null) return out.toByteArray();
        JsonNode data;
        try {
            data = Json.MAPPER.readTree(event.data());
        } catch (JacksonException e) {
            return out.toByteArray();
        }
        String type = event.name() != null ? event.name() : data.path("type").asString("");
        switch (type) {
            case "message_start" -> {
                JsonNode message = data.path("message");
                if (!message.path("id").asString("").isEmpty()) id = message.path("id").asString();
                model = message.path("model").asString("");
                startUsage = message.path("usage");
                outputTokens = startUsage.path("output_tokens").asLong(0);
                ObjectNode delta = Json.MAPPER.createObjectNode().put("role", "assistant").put("content", "");
                chunk(out, delta, null);
            }
            case "content_block_start" -> {
                JsonNode block = data.path("content_block");
                int index = data.path("index").asInt(0);
                if (block.path("type").asString("").equals("tool_use")) {
                    int tool = toolByBlock.size();
                    toolByBlock.put(index, tool);
                    ObjectNode call = Json.MAPPER.createObjectNode().put("index", tool).put("id", block.path("id").asString(""))
                            .put("type", "function");
                    call.putObject("function").put("name", block.path("name").asString("")).put("arguments", "");
                    chunk(out, toolCalls(call), null);
                } else if (block.path("type").asString("").equals("text") && !block.path("text").asString("").isEmpty()) {
                    chunk(out, Json.MAPPER.createObjectNode().put("content", block.path("text").asString()), null);
                }
            }
            case "content_block_delta" -> {
                JsonNode delta = data.path("delta");
                switch (delta.path("type").asString("")) {
                    case "text_delta" -> chunk(out, Json.MAPPER.createObjectNode().put("content", delta.path("text").asString("")), null);
                    case "thinking_delta" -> chunk(out,
                            Json.MAPPER.createObjectNode().put("reasoning_content", delta.path("thinking").asString("")), null);
                    case "input_json_delta" -> {
                        Integer tool = toolByBlock.get(data.path("index").asInt(0));
                        if (tool != null) {
                            ObjectNode call = Json.MAPPER.createObjectNode().put("index", tool);
                            call.putObject("function").put("arguments", delta.path("partial_json").asString(""));
                            chunk(out, toolCalls(call), null);
                        }
                    }
                    default -> { } // signature_delta and what else may come have no OpenAI counterpart
                }
            }
            case "message_delta" -> {
                finishReason = StopReasons.toOpenAi(data.path("delta").path("stop_reason").asString(null));
                JsonNode usage = data.path("usage");
                if (usage.has("output_tokens")) outputTokens = usage.path("output_tokens").asLong(); // cumulative
                if (usage.has("input_tokens") && startUsage instanceof ObjectNode start) {
                    start.put("input_tokens", usage.path("input_tokens").asLong());
                }
                chunk(out, Json.MAPPER.createObjectNode(), finishReason);
            }
            case "message_stop" -> {
                if (includeUsage) {
                    ObjectNode usageChunk = base();
                    usageChunk.putArray("choices");
                    usageChunk.set("usage", ChatOverMessages.openAiUsage(startUsage, outputTokens));
                    data(out, usageChunk);
                }
                out.writeBytes(DONE);
                done = true;
                answered = true;
            }
            case "error" -> {
                ObjectNode error = Json.MAPPER.createObjectNode();
                error.putObject("error").put("message", data.path("error").path("message").asString("upstream error"))
                        .put("type", data.path("error").path("type").asString("api_error")).putNull("param").putNull("code");
                data(out, error);
                done = true;
            }
            default -> { } // ping, content_block_stop
        }
        return out.toByteArray();
    }

    @Override
    public boolean answered() {
        return answered;
    }

    @Override
    public byte[] end() {
        if (!done) throw new IllegalStateException("the upstream stream ended before message_stop");
        return new byte[0];
    }

    private static ObjectNode toolCalls(ObjectNode call) {
        ObjectNode delta = Json.MAPPER.createObjectNode();
        ArrayNode calls = delta.putArray("tool_calls");
        calls.add(call);
        return delta;
    }

    private ObjectNode base() {
        return Json.MAPPER.createObjectNode().put("id", id).put("object", "chat.completion.chunk").put("created", created)
                .put("model", model);
    }

    private void chunk(ByteArrayOutputStream out, ObjectNode delta, String finish) {
        ObjectNode chunk = base();
        ObjectNode choice = chunk.putArray("choices").addObject().put("index", 0);
        choice.set("delta", delta);
        if (finish == null) choice.putNull("finish_reason");
        else choice.put("finish_reason", finish);
        data(out, chunk);
    }

    private static void data(ByteArrayOutputStream out, ObjectNode json) {
        out.writeBytes("data: ".getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(Json.MAPPER.writeValueAsBytes(json));
        out.writeBytes("\n\n".getBytes(StandardCharsets.US_ASCII));
    }
}
