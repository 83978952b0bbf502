package dev.switchboard.config;

import java.time.Instant;
import java.util.Map;

/**
 * One immutable, validated snapshot of the routes file: what every request is routed by. A new file
 * produces a new table that is swapped in whole; nothing here changes once built.
 *
 * @param keysByDigest client keys by the lower-case hex SHA-256 of the key, so raw keys are not kept
 * @param adminKey empty when the admin API is disabled
 * @param viewerKey the admin API's read-only key (GET only, and the dashboard without its changes); empty for none
 * @param creditsPerUsd how many credits one USD buys (a request's credits are its cost times this, rounded up)
 * @param modelNames other names and patterns clients may send for a route, and the default route
 */
public record RouteTable(
        String source,
        Instant loadedAt,
        Map<String, Upstream> upstreams,
        Map<String, Route> routes,
        Map<String, ClientKey> keysByDigest,
        String adminKey,
        String viewerKey,
        HealthPolicy health,
        java.math.BigDecimal creditsPerUsd,
        ModelNames modelNames) {

    public static final java.math.BigDecimal DEFAULT_CREDITS_PER_USD = java.math.BigDecimal.valueOf(1_000_000);

    /** The route that serves a model name a client sent: its own alias, else by {@link ModelNames}; null if none. */
    public Route route(String model) {
        Route route = routes.get(model);
        if (route != null) return route;
        String mapped = modelNames.routeOf(model);
        return mapped == null ? null : routes.get(mapped);
    }

    @Override
    public String toString() {
        return "RouteTable[" + source + ", " + upstreams.size() + " upstreams, " + routes.size() + " routes, "
                + keysByDigest.size() + " keys]";
    }
}
