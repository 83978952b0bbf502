package dev.switchboard.config;

import java.time.Instant;
import java.util.Map;

/**
 * One immutable, validated snapshot of the routes file: what every request is routed by. A new file
 * produces a new table that is swapped in whole; nothing here changes once built.
 *
 * @param keysByDigest client keys by the lower-case hex SHA-256 of the key, so raw keys are not kept
 * @param adminKey empty when the admin API is disabled
 * @param creditsPerUsd how many credits one USD buys (a request's credits are its cost times this, rounded up)
 */
public record RouteTable(
        String source,
        Instant loadedAt,
        Map<String, Upstream> upstreams,
        Map<String, Route> routes,
        Map<String, ClientKey> keysByDigest,
        String adminKey,
        HealthPolicy health,
        java.math.BigDecimal creditsPerUsd) {

    public static final java.math.BigDecimal DEFAULT_CREDITS_PER_USD = java.math.BigDecimal.valueOf(1_000_000);

    @Override
    public String toString() {
        return "RouteTable[" + source + ", " + upstreams.size() + " upstreams, " + routes.size() + " routes, "
                + keysByDigest.size() + " keys]";
    }
}
