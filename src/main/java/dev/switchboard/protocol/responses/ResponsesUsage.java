package dev.switchboard.protocol.responses;

import java.math.BigDecimal;

import dev.switchboard.protocol.ProviderCost;
import dev.switchboard.protocol.TokenUsage;
import tools.jackson.databind.JsonNode;

/**
 * Usage in the Responses API's words: {@code input_tokens} counts cached ones ({@code input_tokens_details}),
 * {@code output_tokens} reasoning ones ({@code output_tokens_details}).
 */
public final class ResponsesUsage {
    private ResponsesUsage() {}

    /** From a response's {@code usage} object; null if it has none. */
    public static TokenUsage tokens(JsonNode usage) {
        if (!usage.isObject()) return null;
        JsonNode in = usage.path("input_tokens_details");
        return new TokenUsage(usage.path("input_tokens").asLong(0), usage.path("output_tokens").asLong(0),
                usage.path("output_tokens_details").path("reasoning_tokens").asLong(0),
                in.path("cached_tokens").asLong(0), in.path("cache_write_tokens").asLong(0));
    }

    /** What the provider said it cost: OpenRouter's {@code usage.cost}, in USD. */
    public static ProviderCost cost(JsonNode usage) {
        JsonNode cost = usage.path("cost");
        BigDecimal usd = cost.isNumber() ? cost.decimalValue() : null;
        return new ProviderCost(usd, null);
    }
}
