package dev.switchboard.config;

import java.time.Instant;
import java.util.Map;

/**
 * One immutable, validated snapshot of the routes file: what every request is routed by. A new file
 * produces a new table that is swapped in whole; nothing here changes once built.
 *
 * @param keyNamesByDigest client key name by the lower-case hex SHA-256 of the key, so raw keys are not kept
 * @param adminKey empty when the admin API is disabled
 */
public record RouteTable(
        String source,
        Instant loadedAt,
        Map<String, Upstream> upstreams,
        Map<String, Route> routes,
        Map<String, String> keyNamesByDigest,
        String adminKey,
        HealthPolicy health) {

    @Override
    public String toString() {
        return "RouteTable[" + source + ", " + upstreams.size() + " upstreams, " + routes.size() + " routes, "
                + keyNamesByDigest.size() + " keys]";
    }
}
