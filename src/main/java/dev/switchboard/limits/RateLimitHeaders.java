package dev.switchboard.limits;

import java.time.Duration;

import io.netty.handler.codec.http.HttpHeaders;

/**
 * OpenAI's rate-limit headers for a key's limits as they stand: for requests and for tokens a minute, the
 * limit, what remains, and how long until the bucket is full again ({@code 6s}, {@code 1m30s}).
 */
public record RateLimitHeaders(long requestLimit, long requestsRemaining, Duration requestsReset,
                               long tokenLimit, long tokensRemaining, Duration tokensReset) {

    static RateLimitHeaders of(KeyRateLimits.Limited limited) {
        return of(limited.limits, limited.requests == null ? 0 : limited.requests.getAvailableTokens(),
                limited.tokens == null ? 0 : limited.tokens.getAvailableTokens());
    }

    /** For limits with {@code requestsLeft} and {@code tokensLeft} in their buckets (negative: owed). */
    static RateLimitHeaders of(dev.switchboard.config.KeyLimits limits, long requestsLeft, long tokensLeft) {
        long requestLimit = limits.requestsPerMinute(), tokenLimit = limits.tokensPerMinute();
        return new RateLimitHeaders(requestLimit, Math.max(0, requestsLeft), untilFull(requestLimit, requestsLeft),
                tokenLimit, Math.max(0, tokensLeft), untilFull(tokenLimit, tokensLeft));
    }

    /** A bucket refilling {@code limit} a minute, smoothly, is full again after this long. */
    private static Duration untilFull(long limit, long available) {
        if (limit <= 0 || available >= limit) return Duration.ZERO;
        return Duration.ofNanos((long) ((double) (limit - available) / limit * Duration.ofMinutes(1).toNanos()));
    }

    /** Onto an answer's headers: only the limits the key has. */
    public void writeTo(HttpHeaders headers) {
        if (requestLimit > 0) {
            headers.set("x-ratelimit-limit-requests", Long.toString(requestLimit));
            headers.set("x-ratelimit-remaining-requests", Long.toString(requestsRemaining));
            headers.set("x-ratelimit-reset-requests", format(requestsReset));
        }
        if (tokenLimit > 0) {
            headers.set("x-ratelimit-limit-tokens", Long.toString(tokenLimit));
            headers.set("x-ratelimit-remaining-tokens", Long.toString(tokensRemaining));
            headers.set("x-ratelimit-reset-tokens", format(tokensReset));
        }
    }

    /** As OpenAI writes them: {@code 0s}, {@code 6s}, {@code 1m30s}, whole seconds rounded up. */
    static String format(Duration d) {
        long seconds = (d.toMillis() + 999) / 1000;
        return seconds >= 60 ? (seconds / 60) + "m" + (seconds % 60) + "s" : seconds + "s";
    }
}
