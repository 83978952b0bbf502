package dev.switchboard.translate;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

import dev.switchboard.protocol.Json;
import dev.switchboard.protocol.SseEvent;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * OpenAI chat.completion.chunk events into Anthropic's event sequence: {@code message_start} first, a new
 * content block whenever the deltas switch between text, reasoning and a tool call, and at the end one
 * {@code message_delta} with the stop reason and the usage (held until the usage chunk came), then
 * {@code message_stop}. MiniMax's {@code <think>} text and {@code reasoning_details} become thinking blocks.
 */
public final class MessagesStreamOverChat implements StreamTranslator {
    private enum Block { NONE, TEXT, THINKING, TOOL }

    private final ThinkSplitter think = new ThinkSplitter();
    private final Map<Integer, String[]> tools = new HashMap<>(); // OpenAI tool index -> {id, name}
    private boolean started;
    private boolean finished;
    /** message_stop went out (not an error event). */
    private boolean answered;
    private Block open = Block.NONE;
    private int openTool = -1;
    private int nextIndex;
    private String finishReason;
    private JsonNode usage;
    private String id = "msg_gateway";
    private String model = "";

    @Override
    public byte[] event(SseEvent event) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (finished) return out.toByteArray();
        if (event.data() == null) { // a keep-alive comment (OpenRouter's ": OPENROUTER PROCESSING")
            if (started) emit(out, "ping", Json.MAPPER.createObjectNode().put("type", "ping"));
            return out.toByteArray();
        }
        if (event.data().equals("[DONE]")) {
            finish(out);
            return out.toByteArray();
        }
        JsonNode chunk;
        try {
            chunk = Json.MAPPER.readTree(event.data());
        } catch (JacksonException e) {
            return out.toByteArray();
        }
        if (chunk.path("error").isObject()) { // a failure after the stream started
            ObjectNode error = Json.MAPPER.createObjectNode().put("type", "error");
            error.putObject("error").put("type", "api_error").put("message", chunk.path("error").path("message").asString("upstream error"));
            emit(out, "error", error);
            finished = true;
            return out.toByteArray();
        }
        if (!started) start(out, chunk);
        if (chunk.path("usage").isObject()) usage = chunk.path("usage");
        // MiniMax may close with a whole chat.completion: its usage counts, its content was streamed already
        if (chunk.path("object").asString("").equals("chat.completion")) {
            String reason = chunk.path("choices").path(0).path("finish_reason").asString(null);
            if (reason != null) finishReason = reason;
            return out.toByteArray();
        }
        JsonNode choice = chunk.path("choices").path(0);
        JsonNode delta = choice.path("delta");
        String reasoning = Shapes.reasoning(delta);
        if (!reasoning.isEmpty()) thinking(out, reasoning);
        String content = delta.path("content").asString(null);
        if (content != null) {
            for (ThinkSplitter.Piece piece : think.feed(content)) {
                if (piece.thinking()) thinking(out, piece.text());
                else text(out, piece.text());
            }
        }
        for (JsonNode call : delta.path("tool_calls")) tool(out, call);
        String reason = choice.path("finish_reason").asString(null);
        if (reason != null) finishReason = reason;
        return out.toByteArray();
    }

    @Override
    public boolean answered() {
        return answered;
    }

    @Override
    public byte[] end() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (finished) return out.toByteArray();
        // MiniMax may omit [DONE]; a stream that said why it stopped is complete, one that did not was cut off
        if (finishReason == null) throw new IllegalStateException("the upstream stream ended before the answer was complete");
        finish(out);
        return out.toByteArray();
    }

    private void start(ByteArrayOutputStream out, JsonNode chunk) {
        started = true;
        if (!chunk.path("id").asString("").isEmpty()) id = MessagesOverChat.messageId(chunk.path("id").asString());
        model = chunk.path("model").asString("");
        ObjectNode start = Json.MAPPER.createObjectNode().put("type", "message_start");
        ObjectNode message = start.putObject("message").put("id", id).put("type", "message").put("role", "assistant")
                .put("model", model);
        message.putArray("content");
        message.putNull("stop_reason").putNull("stop_sequence");
        message.putObject("usage").put("input_tokens", 0).put("output_tokens", 0);
        emit(out, "message_start", start);
    }

    private void text(ByteArrayOutputStream out, String text) {
        if (text.isEmpty()) return;
        block(out, Block.TEXT, -1);
        delta(out, Json.MAPPER.createObjectNode().put("type", "text_delta").put("text", text));
    }

    private void thinking(ByteArrayOutputStream out, String text) {
        block(out, Block.THINKING, -1);
        delta(out, Json.MAPPER.createObjectNode().put("type", "thinking_delta").put("thinking", text));
    }

    private void tool(ByteArrayOutputStream out, JsonNode call) {
        int index = call.path("index").asInt(0);
        String[] known = tools.computeIfAbsent(index, i -> new String[] {"", ""});
        if (call.hasNonNull("id")) known[0] = call.path("id").asString();
        if (call.path("function").hasNonNull("name")) known[1] = call.path("function").path("name").asString();
        block(out, Block.TOOL, index);
        String arguments = call.path("function").path("arguments").asString("");
        if (!arguments.isEmpty()) delta(out, Json.MAPPER.createObjectNode().put("type", "input_json_delta").put("partial_json", arguments));
    }

    /** Opens a block of this kind unless it is the one open. */
    private void block(ByteArrayOutputStream out, Block kind, int tool) {
        if (open == kind && (kind != Block.TOOL || openTool == tool)) return;
        close(out);
        ObjectNode start = Json.MAPPER.createObjectNode().put("type", "content_block_start").put("index", nextIndex);
        ObjectNode block = start.putObject("content_block");
        switch (kind) {
            case TEXT -> block.put("type", "text").put("text", "");
            case THINKING -> block.put("type", "thinking").put("thinking", "").put("signature", "");
            case TOOL -> {
                String[] known = tools.get(tool);
                block.put("type", "tool_use").put("id", known[0]).put("name", known[1]).putObject("input");
            }
            case NONE -> throw new IllegalArgumentException("no block");
        }
        emit(out, "content_block_start", start);
        open = kind;
        openTool = tool;
    }

    private void close(ByteArrayOutputStream out) {
        if (open == Block.NONE) return;
        emit(out, "content_block_stop", Json.MAPPER.createObjectNode().put("type", "content_block_stop").put("index", nextIndex));
        nextIndex++;
        open = Block.NONE;
        openTool = -1;
    }

    private void delta(ByteArrayOutputStream out, ObjectNode delta) {
        ObjectNode event = Json.MAPPER.createObjectNode().put("type", "content_block_delta").put("index", nextIndex);
        event.set("delta", delta);
        emit(out, "content_block_delta", event);
    }

    private void finish(ByteArrayOutputStream out) {
        if (!started) start(out, Json.MAPPER.createObjectNode());
        for (ThinkSplitter.Piece piece : think.finish()) {
            if (piece.thinking()) thinking(out, piece.text());
            else text(out, piece.text());
        }
        close(out);
        ObjectNode delta = Json.MAPPER.createObjectNode().put("type", "message_delta");
        delta.putObject("delta").put("stop_reason", StopReasons.toAnthropic(finishReason)).putNull("stop_sequence");
        delta.set("usage", MessagesOverChat.anthropicUsage(usage == null ? Json.MAPPER.createObjectNode() : usage));
        emit(out, "message_delta", delta);
        emit(out, "message_stop", Json.MAPPER.createObjectNode().put("type", "message_stop"));
        finished = true;
        answered = true;
    }

    private static void emit(ByteArrayOutputStream out, String name, ObjectNode data) {
        out.writeBytes(("event: " + name + "\ndata: ").getBytes(StandardCharsets.UTF_8));
        out.writeBytes(Json.MAPPER.writeValueAsBytes(data));
        out.writeBytes(END);
    }

    private static final byte[] END = "\n\n".getBytes(StandardCharsets.US_ASCII);
}
