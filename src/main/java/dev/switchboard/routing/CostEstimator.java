package dev.switchboard.routing;

import java.math.BigDecimal;

import dev.switchboard.config.Price;
import dev.switchboard.config.Route;
import dev.switchboard.config.Target;

/**
 * Estimates what a target would charge for a request before it is sent: prompt tokens as body bytes / 4
 * (close enough to rank targets; the ledger bills real counts), output tokens as the request's max tokens,
 * else the route's expected output.
 */
public final class CostEstimator {
    private CostEstimator() {}

    public static long promptTokens(RequestFacts facts) {
        return (facts.bodyBytes() + 3) / 4;
    }

    public static long outputTokens(RequestFacts facts, Route route) {
        return facts.maxOutputTokens() != null ? facts.maxOutputTokens() : route.expectedOutputTokens();
    }

    /** USD, exact (moving the point is exact and cheap; dividing by a million is neither on the hot path). */
    public static BigDecimal estimate(Target target, long promptTokens, long outputTokens) {
        Price price = target.price();
        return price.input().multiply(BigDecimal.valueOf(promptTokens))
                .add(price.output().multiply(BigDecimal.valueOf(outputTokens)))
                .movePointLeft(6)
                .add(price.perRequest());
    }
}
