package dev.switchboard.translate;

import dev.switchboard.protocol.Json;
import dev.switchboard.protocol.SseEvent;
import dev.switchboard.protocol.TokenUsage;
import dev.switchboard.protocol.anthropic.AnthropicUsage;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * Anthropic stream events into the Responses API's events ({@link ResponseWriter}): text blocks into a
 * message item, thinking blocks into a reasoning item, a tool_use block and its {@code input_json_delta}s
 * into a function call item; {@code message_start}'s input tokens and {@code message_delta}'s cumulative
 * output tokens into the usage; {@code message_stop} into {@code response.completed} (or
 * {@code response.incomplete} after max_tokens), an {@code error} event into {@code response.failed}.
 */
final class ResponsesStreamOverMessages implements StreamTranslator {
    private final ResponseWriter writer;
    private TokenUsage input = TokenUsage.NONE;
    private long outputTokens;
    private String stopReason;
    private boolean finished;

    ResponsesStreamOverMessages(ResponsesRequest request) {
        this.writer = new ResponseWriter(request, "");
    }

    @Override
    public byte[] event(SseEvent event) {
        if (finished || event.data() == null) return writer.drain();
        JsonNode data;
        try {
            data = Json.MAPPER.readTree(event.data());
        } catch (JacksonException e) {
            return writer.drain();
        }
        String type = event.name() != null ? event.name() : data.path("type").asString("");
        switch (type) {
            case "message_start" -> {
                JsonNode message = data.path("message");
                writer.model(message.path("model").asString(null));
                TokenUsage start = AnthropicUsage.tokens(message.path("usage"));
                if (start != null) input = start;
                outputTokens = message.path("usage").path("output_tokens").asLong(0);
                writer.start();
            }
            case "content_block_start" -> {
                JsonNode block = data.path("content_block");
                switch (block.path("type").asString("")) {
                    case "tool_use" -> writer.functionCall(block.path("id").asString(""), block.path("name").asString(""));
                    case "text" -> writer.text(block.path("text").asString(""));
                    case "thinking" -> writer.reasoning(block.path("thinking").asString(""));
                    default -> { }
                }
            }
            case "content_block_delta" -> {
                JsonNode delta = data.path("delta");
                switch (delta.path("type").asString("")) {
                    case "text_delta" -> writer.text(delta.path("text").asString(""));
                    case "thinking_delta" -> writer.reasoning(delta.path("thinking").asString(""));
                    case "input_json_delta" -> writer.functionArguments(delta.path("partial_json").asString(""));
                    default -> { } // signature_delta: the signature is Anthropic's, a Responses client has no use for it
                }
            }
            case "message_delta" -> {
                String reason = data.path("delta").path("stop_reason").asString(null);
                if (reason != null) stopReason = reason;
                JsonNode usage = data.path("usage");
                if (usage.has("output_tokens")) outputTokens = usage.path("output_tokens").asLong(); // cumulative
            }
            case "message_stop" -> {
                finished = true;
                writer.usage(new TokenUsage(input.prompt(), outputTokens, 0, input.cached(), input.cacheWrite()));
                writer.finish(ResponsesOverMessages.incomplete(stopReason));
            }
            case "error" -> {
                finished = true;
                writer.fail(data.path("error").path("type").asString("api_error"), data.path("error").path("message").asString("upstream error"));
            }
            default -> { } // ping, content_block_stop: the next block closes the item
        }
        return writer.drain();
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

    /** @throws IllegalStateException when the upstream closed before {@code message_stop}: the stream was cut */
    @Override
    public byte[] end() {
        if (!finished) throw new IllegalStateException("the upstream stream ended before message_stop");
        return writer.drain();
    }
}
