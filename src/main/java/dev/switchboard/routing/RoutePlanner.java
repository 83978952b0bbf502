package dev.switchboard.routing;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.springframework.stereotype.Component;

import dev.switchboard.config.Protocol;
import dev.switchboard.config.Route;
import dev.switchboard.config.RouteTable;
import dev.switchboard.config.Target;
import dev.switchboard.health.HealthRegistry;
import dev.switchboard.health.TargetHealth;

/**
 * Orders an alias's targets for one request: the targets that can serve the client's protocol, healthy ones
 * only, cheapest estimate first; equal estimates go to the one answering faster, and equal ones of those take
 * turns. Reads health, never changes it, and does no I/O.
 */
@Component
public class RoutePlanner {
    private final HealthRegistry health;
    private final ConcurrentHashMap<String, AtomicInteger> turns = new ConcurrentHashMap<>();

    public RoutePlanner(HealthRegistry health) {
        this.health = health;
    }

    private record Candidate(Target target, TargetHealth health, BigDecimal cost, int latencyBand) {}

    /**
     * @param clientProtocol the protocol the client speaks
     * @param translatable   the upstream protocols that can serve the client, through a translator where a route
     *                       allows translation
     */
    public RoutePlan plan(RouteTable table, RequestFacts request, Protocol clientProtocol, Set<Protocol> translatable) {
        Route route = table.route(request.alias());
        if (route == null) return new RoutePlan.UnknownAlias(request.alias());
        List<Target> servable = new ArrayList<>(route.targets().size());
        for (Target t : route.targets()) {
            // a translated target is ranked like any other: the cost estimate does not depend on the protocol
            Protocol p = t.upstream().protocol();
            if (t.upstream().enabled() && (p == clientProtocol || route.translate() && translatable.contains(p))) servable.add(t);
        }
        if (servable.isEmpty()) return new RoutePlan.NoTarget(route, whyNone(route, clientProtocol));

        long prompt = CostEstimator.promptTokens(request);
        long output = CostEstimator.outputTokens(request, route);
        List<Candidate> healthy = new ArrayList<>(servable.size());
        List<TargetHealth> unhealthy = new ArrayList<>();
        for (Target t : servable) {
            TargetHealth h = health.of(t, table.health());
            if (h.available()) {
                healthy.add(new Candidate(t, h, CostEstimator.estimate(t, prompt, output), latencyBand(h.latencyMillis())));
            } else {
                unhealthy.add(h);
            }
        }
        if (!healthy.isEmpty()) return new RoutePlan.Attempts(route, order(route, healthy), false);
        return whenAllUnhealthy(route, servable, unhealthy);
    }

    /**
     * The target a typical request of the route (a 1,000-token prompt, from a client any of its targets can
     * serve) would try first now, or null when none is healthy; the dashboard shows it. Takes no turn from the
     * targets that tie, and leaves health as it is.
     */
    public Target preview(RouteTable table, Route route) {
        RequestFacts typical = new RequestFacts(route.alias(), 4_000, null);
        long prompt = CostEstimator.promptTokens(typical);
        long output = CostEstimator.outputTokens(typical, route);
        Candidate best = null;
        for (Target t : route.targets()) {
            if (!t.upstream().enabled()) continue;
            TargetHealth h = health.of(t, table.health());
            if (!h.available()) continue;
            Candidate c = new Candidate(t, h, CostEstimator.estimate(t, prompt, output), latencyBand(h.latencyMillis()));
            if (best == null || RANKING.compare(c, best) < 0) best = c;
        }
        return best == null ? null : best.target();
    }

    private static final Comparator<Candidate> RANKING = Comparator.comparing(Candidate::cost).thenComparingInt(Candidate::latencyBand);

    private List<Target> order(Route route, List<Candidate> candidates) {
        candidates.sort(RANKING);
        int turn = turns.computeIfAbsent(route.alias(), a -> new AtomicInteger()).getAndIncrement();
        List<Target> ordered = new ArrayList<>(candidates.size());
        int i = 0;
        while (i < candidates.size()) {
            int j = i + 1;
            while (j < candidates.size() && tied(candidates.get(i), candidates.get(j))) j++;
            int size = j - i;
            for (int k = 0; k < size; k++) ordered.add(candidates.get(i + Math.floorMod(turn + k, size)).target());
            i = j;
        }
        return ordered;
    }

    private static boolean tied(Candidate a, Candidate b) {
        return a.cost().compareTo(b.cost()) == 0 && a.latencyBand() == b.latencyBand();
    }

    /** Latencies within about 20% of each other count as equal; an unmeasured target comes first, to be measured. */
    static int latencyBand(double millis) {
        return Double.isNaN(millis) ? 0 : 1 + (int) (Math.log1p(millis) / Math.log(1.2));
    }

    private RoutePlan whenAllUnhealthy(Route route, List<Target> servable, List<TargetHealth> unhealthy) {
        Instant soonest = unhealthy.stream().map(TargetHealth::cooldownUntil).filter(t -> t != null)
                .min(Comparator.naturalOrder()).orElse(null);
        Duration retryAfter = soonest == null ? null : Duration.between(Instant.now(), soonest);
        boolean allRateLimited = unhealthy.stream().allMatch(h -> h.cooldown() == TargetHealth.Cooldown.RATE_LIMITED);
        if (allRateLimited && retryAfter != null) return new RoutePlan.RateLimited(route, retryAfter);

        TargetHealth probe = unhealthy.stream()
                .filter(h -> !h.coolingDown() && h.openedAt() != null)
                .min(Comparator.comparing(TargetHealth::openedAt)).orElse(null);
        if (probe != null) {
            for (Target t : servable) {
                if (t.id().equals(probe.id())) return new RoutePlan.Attempts(route, List.of(t), true);
            }
        }
        return new RoutePlan.Unavailable(route, "every upstream of model '" + route.alias()
                + "' is unhealthy or cooling down", retryAfter);
    }

    private static String whyNone(Route route, Protocol clientProtocol) {
        boolean allDisabled = route.targets().stream().noneMatch(t -> t.upstream().enabled());
        return allDisabled
                ? "every upstream of model '" + route.alias() + "' is disabled (no API key configured)"
                : route.translate()
                        ? "no enabled upstream of model '" + route.alias() + "' speaks a protocol the " + clientProtocol.displayName()
                                + " endpoint can be served by"
                        : "no enabled upstream of model '" + route.alias() + "' speaks the " + clientProtocol.displayName()
                                + " protocol, and the route does not allow translation (translate: false)";
    }
}
