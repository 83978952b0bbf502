package dev.switchboard.usage;

import java.math.BigDecimal;
import java.time.Instant;

import dev.switchboard.protocol.ApiEndpoint;

/**
 * What one request used and cost: one row of the ledger, whatever became of the request.
 *
 * @param id unique per record (request ids come from clients and may repeat); makes replays idempotent
 * @param outcome what became of the request
 * @param usageSource whether the provider reported the tokens or the gateway counted them
 * @param upstreamCostUsd what the provider said it cost in USD, or null
 * @param upstreamCredits what the provider said it cost in its own credits, or null
 * @param ttftMs time until the first byte of the answer reached the client, or null
 */
public record UsageRecord(
        String id,
        String requestId,
        Instant time,
        String key,
        ApiEndpoint endpoint,
        String alias,
        String upstream,
        String upstreamModel,
        boolean stream,
        int status,
        Outcome outcome,
        int attempts,
        long promptTokens,
        long completionTokens,
        long reasoningTokens,
        long cachedTokens,
        long cacheWriteTokens,
        UsageSource usageSource,
        BigDecimal costUsd,
        long credits,
        BigDecimal upstreamCostUsd,
        BigDecimal upstreamCredits,
        long latencyMs,
        Long ttftMs) {
}
