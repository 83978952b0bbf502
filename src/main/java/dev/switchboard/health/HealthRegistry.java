package dev.switchboard.health;

import java.util.concurrent.ConcurrentHashMap;

import org.springframework.stereotype.Component;

import dev.switchboard.config.HealthPolicy;
import dev.switchboard.config.Target;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;

/**
 * The {@link TargetHealth} of every target, by target id ({@code upstream/model}). Kept across route table
 * swaps, so a reload does not forget which targets are failing. Breakers live in Resilience4j's registry,
 * which exports their state and rates through Micrometer.
 */
@Component
public class HealthRegistry {
    private final CircuitBreakerRegistry breakers;
    private final ConcurrentHashMap<String, TargetHealth> targets = new ConcurrentHashMap<>();

    public HealthRegistry(CircuitBreakerRegistry breakers) {
        this.breakers = breakers;
    }

    public TargetHealth of(Target target, HealthPolicy policy) {
        TargetHealth health = targets.get(target.id());
        return health != null ? health : targets.computeIfAbsent(target.id(),
                id -> new TargetHealth(id, breakers.circuitBreaker(id, breakerConfig(policy))));
    }

    /** The state of a target, or null if it has not been used yet. */
    public TargetHealth find(String targetId) {
        return targets.get(targetId);
    }

    /** Forgets every target's state, breakers included (tests, and operators starting over). */
    public void reset() {
        targets.keySet().forEach(breakers::remove);
        targets.clear();
    }

    static CircuitBreakerConfig breakerConfig(HealthPolicy policy) {
        return CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(policy.slidingWindow())
                // every event loop records outcomes of the same target; the default window's lock parks a
                // loop that finds it held (BlockHound saw it, TargetHealthTest), the lock-free one never does
                .slidingWindowSynchronizationStrategy(CircuitBreakerConfig.SlidingWindowSynchronizationStrategy.LOCK_FREE)
                .minimumNumberOfCalls(Math.min(policy.minimumCalls(), policy.slidingWindow()))
                .failureRateThreshold(policy.failureRateThreshold())
                .waitDurationInOpenState(policy.openWait())
                .permittedNumberOfCallsInHalfOpenState(policy.halfOpenCalls())
                .automaticTransitionFromOpenToHalfOpenEnabled(true)
                // a probe permission granted but never used (the client left) must not hold the circuit half-open
                .maxWaitDurationInHalfOpenState(policy.openWait())
                .recordExceptions(TargetHealth.UpstreamFailure.class)
                .build();
    }
}
