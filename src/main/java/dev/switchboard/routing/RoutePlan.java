package dev.switchboard.routing;

import java.util.List;

import dev.switchboard.config.Route;
import dev.switchboard.config.Target;

/** What the planner decided for one request. */
public sealed interface RoutePlan {
    /** Targets to try, in order. Never empty. */
    record Attempts(Route route, List<Target> targets) implements RoutePlan {}

    /** No route has this alias. */
    record UnknownAlias(String alias) implements RoutePlan {}

    /** The alias exists but none of its targets can serve this request; {@code reason} says why. */
    record NoTarget(Route route, String reason) implements RoutePlan {}
}
