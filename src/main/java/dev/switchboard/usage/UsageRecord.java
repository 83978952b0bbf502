package dev.switchboard.usage;

import java.math.BigDecimal;
import java.time.Instant;

/**
 * What one request used and cost: one row of the ledger, whatever became of the request.
 *
 * @param id unique per record (request ids come from clients and may repeat); makes replays idempotent
 * @param outcome ok, upstream_error, client_cancelled, stream_broken or rejected
 * @param usageSource "upstream" when the provider reported the tokens, "estimated" when the gateway counted them
 * @param upstreamCostUsd what the provider said it cost in USD, or null
 * @param upstreamCredits what the provider said it cost in its own credits, or null
 * @param ttftMs time until the first byte of the answer reached the client, or null
 */
public record UsageRecord(
        String id,
        String requestId,
        Instant time,
        String key,
        String endpoint,
        String alias,
        String upstream,
        String upstreamModel,
        boolean stream,
        int status,
        String outcome,
        int attempts,
        long promptTokens,
        long completionTokens,
        long reasoningTokens,
        long cachedTokens,
        long cacheWriteTokens,
        String usageSource,
        BigDecimal costUsd,
        long credits,
        BigDecimal upstreamCostUsd,
        BigDecimal upstreamCredits,
        long latencyMs,
        Long ttftMs) {

    public static final String OK = "ok";
    public static final String UPSTREAM_ERROR = "upstream_error";
    public static final String CLIENT_CANCELLED = "client_cancelled";
    public static final String STREAM_BROKEN = "stream_broken";
    public static final String REJECTED = "rejected";
    /** The gateway stopped (its shutdown's grace period ended) before the answer did. */
    public static final String GATEWAY_STOPPED = "gateway_stopped";
}
