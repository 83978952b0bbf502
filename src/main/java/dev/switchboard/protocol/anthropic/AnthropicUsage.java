package dev.switchboard.protocol.anthropic;

import dev.switchboard.protocol.TokenUsage;
import tools.jackson.databind.JsonNode;

/**
 * Usage in Anthropic-shaped JSON. Input is split in three ({@code input_tokens}, {@code cache_read_input_tokens},
 * {@code cache_creation_input_tokens}) and the gateway's prompt count is their sum.
 */
public final class AnthropicUsage {
    private AnthropicUsage() {}

    /** From a {@code usage} object (a message's, or {@code message_start}'s message's); null if none. */
    public static TokenUsage tokens(JsonNode usage) {
        if (!usage.isObject()) return null;
        long input = usage.path("input_tokens").asLong(0);
        long cacheRead = usage.path("cache_read_input_tokens").asLong(0);
        long cacheWrite = usage.path("cache_creation_input_tokens").asLong(0);
        return new TokenUsage(input + cacheRead + cacheWrite, usage.path("output_tokens").asLong(0), 0, cacheRead, cacheWrite);
    }
}
