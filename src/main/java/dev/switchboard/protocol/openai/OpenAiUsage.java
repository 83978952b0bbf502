package dev.switchboard.protocol.openai;

import java.math.BigDecimal;

import dev.switchboard.protocol.ProviderCost;
import dev.switchboard.protocol.TokenUsage;
import tools.jackson.databind.JsonNode;

/**
 * Usage in OpenAI-shaped JSON: a completion, a stream chunk, or MiniMax's closing {@code chat.completion}.
 * {@code prompt_tokens} already includes cached and cache-write tokens, {@code completion_tokens} reasoning.
 */
public final class OpenAiUsage {
    private OpenAiUsage() {}

    /** The usage of this object, or null when it carries none ({@code "usage": null} or absent). */
    public static TokenUsage tokens(JsonNode root) {
        JsonNode usage = root.path("usage");
        if (!usage.isObject()) return null;
        JsonNode prompt = usage.path("prompt_tokens_details");
        return new TokenUsage(
                usage.path("prompt_tokens").asLong(0),
                usage.path("completion_tokens").asLong(0),
                usage.path("completion_tokens_details").path("reasoning_tokens").asLong(0),
                prompt.path("cached_tokens").asLong(0),
                prompt.path("cache_write_tokens").asLong(0));
    }

    /** OpenRouter's {@code usage.cost} (its credits are USD) and the AI/ML API's {@code meta.usage}. */
    public static ProviderCost cost(JsonNode root) {
        BigDecimal usd = decimal(root.path("usage").path("cost"));
        JsonNode meta = root.path("meta").path("usage");
        if (usd == null) usd = decimal(meta.path("usd_spent"));
        return new ProviderCost(usd, decimal(meta.path("credits_used")));
    }

    /** A usage-only chunk: {@code choices} empty, null or missing. Naive clients index choices[0] and crash on it. */
    public static boolean usageOnlyChunk(JsonNode root) {
        JsonNode choices = root.path("choices");
        return !choices.isArray() || choices.isEmpty();
    }

    private static BigDecimal decimal(JsonNode node) {
        return node.isNumber() ? node.decimalValue() : node.isString() ? parse(node.asString()) : null;
    }

    private static BigDecimal parse(String text) {
        try {
            return new BigDecimal(text.strip());
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
