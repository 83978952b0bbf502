package dev.switchboard.translate;

import java.util.HashMap;
import java.util.Map;

import dev.switchboard.protocol.Json;
import dev.switchboard.protocol.SseEvent;
import dev.switchboard.protocol.openai.OpenAiUsage;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * Chat completion chunks into the Responses API's events ({@link ResponseWriter}): reasoning deltas and
 * MiniMax's {@code <think>} text into a reasoning item, content into a message item, each tool call's
 * deltas into a function call item, the finish reason and the usage chunk into {@code response.completed}
 * or {@code response.incomplete}; an error chunk into {@code response.failed}.
 */
final class ResponsesStreamOverChat implements StreamTranslator {
    private final ResponseWriter writer;
    private final ThinkSplitter think = new ThinkSplitter();
    /** The upstream's tool call index to the call it opened: calls' deltas come by index. */
    private final Map<Integer, Boolean> calls = new HashMap<>();
    private int openCall = -1;
    private String finishReason;
    private boolean finished;

    ResponsesStreamOverChat(ResponsesRequest request) {
        this.writer = new ResponseWriter(request, "");
    }

    @Override
    public byte[] event(SseEvent event) {
        if (finished || event.data() == null) return writer.drain(); // comments: keep-alives, nothing to say
        if (event.data().equals("[DONE]")) {
            finish();
            return writer.drain();
        }
        JsonNode chunk;
        try {
            chunk = Json.MAPPER.readTree(event.data());
        } catch (JacksonException e) {
            return writer.drain();
        }
        if (chunk.path("error").isObject()) { // a failure after the stream started
            writer.fail("upstream_error", chunk.path("error").path("message").asString("upstream error"));
            finished = true;
            return writer.drain();
        }
        writer.model(chunk.path("model").asString(null));
        writer.start();
        if (chunk.path("usage").isObject()) writer.usage(OpenAiUsage.tokens(chunk));
        // MiniMax may close with a whole chat.completion: its usage counts, its content was streamed already
        if (chunk.path("object").asString("").equals("chat.completion")) {
            String reason = chunk.path("choices").path(0).path("finish_reason").asString(null);
            if (reason != null) finishReason = reason;
            return writer.drain();
        }
        JsonNode choice = chunk.path("choices").path(0);
        JsonNode delta = choice.path("delta");
        writer.reasoning(Shapes.reasoning(delta));
        String content = delta.path("content").asString(null);
        if (content != null) {
            for (ThinkSplitter.Piece piece : think.feed(content)) {
                if (piece.thinking()) writer.reasoning(piece.text());
                else writer.text(piece.text());
            }
        }
        for (JsonNode call : delta.path("tool_calls")) {
            int index = call.path("index").asInt(0);
            if (!calls.containsKey(index)) {
                calls.put(index, Boolean.TRUE);
                openCall = index;
                writer.functionCall(call.path("id").asString(""), call.path("function").path("name").asString(""));
            }
            if (index == openCall) writer.functionArguments(call.path("function").path("arguments").asString(""));
        }
        String reason = choice.path("finish_reason").asString(null);
        if (reason != null) finishReason = reason;
        return writer.drain();
    }

    private void finish() {
        if (finished) return;
        finished = true;
        for (ThinkSplitter.Piece piece : think.finish()) {
            if (piece.thinking()) writer.reasoning(piece.text());
            else writer.text(piece.text());
        }
        writer.finish(ResponsesOverChat.incomplete(finishReason));
    }

    @Override
    public JsonNode finalResponse() {
        return writer.finalResponse();
    }

    @Override
    public boolean answered() {
        return writer.answered();
    }

    @Override
    public byte[] failed(String code, String message) {
        finished = true;
        writer.fail(code, message);
        return writer.drain();
    }

    /**
     * @throws IllegalStateException when the upstream closed without a finish reason nor {@code [DONE]}: the
     *         stream was cut, and the caller ends it with an error event
     */
    @Override
    public byte[] end() {
        if (!finished) {
            if (finishReason == null) throw new IllegalStateException("the upstream ended the stream before the answer was complete");
            finish(); // MiniMax's streams may end without [DONE]
        }
        return writer.drain();
    }
}
