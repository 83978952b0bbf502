package dev.switchboard.protocol;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import dev.switchboard.config.Protocol;
import dev.switchboard.protocol.anthropic.AnthropicErrors;
import dev.switchboard.protocol.openai.OpenAiErrors;

/** The JSON body of a gateway error in the protocol the client speaks, and its form as a stream event. */
public final class ErrorEnvelope {
    private ErrorEnvelope() {}

    public static byte[] body(Protocol protocol, GatewayException error) {
        return switch (protocol) {
            case OPENAI, OPENAI_RESPONSES -> OpenAiErrors.body(error.kind(), error.getMessage(), error.param());
            case ANTHROPIC -> AnthropicErrors.body(error.kind(), error.getMessage());
        };
    }

    /**
     * The error as one SSE event after a stream has started: OpenAI {@code data: {"error":...}}, Anthropic
     * {@code event: error}, Responses {@code event: error} with the error's fields at the top. The SDKs raise
     * on it, so a cut answer never looks complete.
     */
    public static byte[] streamEvent(Protocol protocol, GatewayException error) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] data = switch (protocol) {
            case OPENAI -> body(protocol, error);
            case ANTHROPIC -> {
                out.writeBytes("event: error\n".getBytes(StandardCharsets.US_ASCII));
                yield body(protocol, error);
            }
            case OPENAI_RESPONSES -> {
                out.writeBytes("event: error\n".getBytes(StandardCharsets.US_ASCII));
                yield OpenAiErrors.responsesEvent(error.kind(), error.getMessage(), error.param());
            }
        };
        out.writeBytes("data: ".getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(data);
        out.writeBytes("\n\n".getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }
}
