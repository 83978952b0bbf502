package dev.switchboard.usage;

import java.math.BigDecimal;
import java.math.RoundingMode;

import dev.switchboard.config.Price;
import dev.switchboard.protocol.TokenUsage;

/**
 * What a request cost, exactly: per million tokens, uncached prompt at the input price, cached at
 * cached-input, cache writes at cache-write, completion (reasoning included, once) at output; plus the
 * per-request fee. Credits are the cost times credits-per-USD, rounded up to a whole credit.
 */
public final class Pricing {
    private Pricing() {}

    public static BigDecimal costUsd(Price price, TokenUsage tokens) {
        long uncached = Math.max(0, tokens.prompt() - tokens.cached() - tokens.cacheWrite());
        return price.input().multiply(BigDecimal.valueOf(uncached))
                .add(price.cachedInput().multiply(BigDecimal.valueOf(tokens.cached())))
                .add(price.cacheWrite().multiply(BigDecimal.valueOf(tokens.cacheWrite())))
                .add(price.output().multiply(BigDecimal.valueOf(tokens.completion())))
                .movePointLeft(6) // per million tokens; exact, and far cheaper than divide()
                .add(price.perRequest());
    }

    public static long credits(BigDecimal costUsd, BigDecimal creditsPerUsd) {
        return costUsd.multiply(creditsPerUsd).setScale(0, RoundingMode.CEILING).longValueExact();
    }
}
