package dev.switchboard.protocol;

import dev.switchboard.config.Protocol;
import dev.switchboard.protocol.anthropic.AnthropicErrors;
import dev.switchboard.protocol.openai.OpenAiErrors;

/** The JSON body of a gateway error in the protocol the client speaks. */
public final class ErrorEnvelope {
    private ErrorEnvelope() {}

    public static byte[] body(Protocol protocol, GatewayException error) {
        return switch (protocol) {
            case OPENAI -> OpenAiErrors.body(error.kind(), error.getMessage(), error.param());
            case ANTHROPIC -> AnthropicErrors.body(error.kind(), error.getMessage());
        };
    }
}
