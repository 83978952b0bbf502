package dev.switchboard.health;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;

import org.springframework.stereotype.Component;

import dev.switchboard.config.HealthPolicy;
import dev.switchboard.config.Target;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The {@link TargetHealth} of every target, by target id ({@code upstream/model}). Kept across route table
 * swaps, so a reload does not forget which targets are failing.
 * <p>
 * The breakers are in a Resilience4j registry of the gateway's own, and nothing subscribes to their events:
 * a breaker with any event consumer makes an event object (and reads the time zone's clock) for every call it
 * records, and the consumers Resilience4j's Spring Boot and Micrometer integrations add keep the last hundred
 * in a buffer behind a lock, on the event loop, for every answer. Each breaker's state and failure rate are
 * exported under Resilience4j's own meter names, read from the breaker when scraped.
 */
@Component
public class HealthRegistry {
    private static final String STATE_METER = "resilience4j.circuitbreaker.state";
    private static final String FAILURE_RATE_METER = "resilience4j.circuitbreaker.failure.rate";

    private final CircuitBreakerRegistry breakers = CircuitBreakerRegistry.ofDefaults();
    private final MeterRegistry meters;
    private final ConcurrentHashMap<String, TargetHealth> targets = new ConcurrentHashMap<>();

    public HealthRegistry(MeterRegistry meters) {
        this.meters = meters;
    }

    public TargetHealth of(Target target, HealthPolicy policy) {
        TargetHealth health = targets.get(target.id());
        return health != null ? health : targets.computeIfAbsent(target.id(), id -> {
            CircuitBreaker breaker = breakers.circuitBreaker(id, breakerConfig(policy));
            registerMeters(breaker);
            return new TargetHealth(id, breaker);
        });
    }

    /**
     * {@code resilience4j_circuitbreaker_state} (1 for the state the circuit is in, 0 for the others) and
     * {@code resilience4j_circuitbreaker_failure_rate}, as Resilience4j's Micrometer binding names them.
     */
    private void registerMeters(CircuitBreaker breaker) {
        for (CircuitBreaker.State state : List.of(CircuitBreaker.State.CLOSED, CircuitBreaker.State.OPEN, CircuitBreaker.State.HALF_OPEN)) {
            Gauge.builder(STATE_METER, breaker, b -> b.getState() == state ? 1 : 0)
                    .description("The states of the circuit breaker").tag("name", breaker.getName())
                    .tag("state", state.name().toLowerCase(Locale.ROOT)).register(meters);
        }
        Gauge.builder(FAILURE_RATE_METER, breaker, b -> b.getMetrics().getFailureRate())
                .description("The failure rate of the circuit breaker").tag("name", breaker.getName()).register(meters);
    }

    /** The state of a target, or null if it has not been used yet. */
    public TargetHealth find(String targetId) {
        return targets.get(targetId);
    }

    /** Forgets every target's state, breakers included (tests, and operators starting over). */
    public void reset() {
        for (String id : targets.keySet()) {
            breakers.remove(id);
            for (String meter : List.of(STATE_METER, FAILURE_RATE_METER)) meters.find(meter).tag("name", id).meters().forEach(meters::remove);
        }
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
