package dev.switchboard.config;

import java.time.Duration;

/**
 * How target health is judged: a circuit breaker per target over a count-based sliding window, opening at
 * {@code failureRateThreshold} percent failures once {@code minimumCalls} were seen, letting
 * {@code halfOpenCalls} probes through after {@code openWait}; plus cooldowns after a 429 without
 * {@code Retry-After} and after a 401/402/403 (a broken key or balance).
 */
public record HealthPolicy(
        int failureRateThreshold,
        int slidingWindow,
        int minimumCalls,
        Duration openWait,
        int halfOpenCalls,
        Duration rateLimitCooldown,
        Duration authFailureCooldown) {

    public static final HealthPolicy DEFAULTS =
            new HealthPolicy(50, 20, 5, Duration.ofSeconds(30), 1, Duration.ofSeconds(10), Duration.ofMinutes(10));
}
