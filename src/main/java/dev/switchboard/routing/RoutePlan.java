package dev.switchboard.routing;

import java.time.Duration;
import java.util.List;

import dev.switchboard.config.Route;
import dev.switchboard.config.Target;

/** What the planner decided for one request. */
public sealed interface RoutePlan {
    /** The route the model name went to; null when none did. */
    default Route route() {
        return null;
    }

    /**
     * Targets to try in order, cheapest healthy first; never empty.
     *
     * @param probe the targets are all unhealthy and this is one probe of the one whose circuit opened longest ago
     */
    record Attempts(Route route, List<Target> targets, boolean probe) implements RoutePlan {}

    /** No route serves this model name. */
    record UnknownAlias(String alias) implements RoutePlan {}

    /** The alias exists but none of its targets can serve this request; {@code reason} says why. */
    record NoTarget(Route route, String reason) implements RoutePlan {}

    /** Every usable target is cooling down after a 429; the soonest is back after {@code retryAfter}. */
    record RateLimited(Route route, Duration retryAfter) implements RoutePlan {}

    /** Every usable target is unhealthy and none can be probed now. */
    record Unavailable(Route route, String reason, Duration retryAfter) implements RoutePlan {}
}
