package dev.switchboard.health;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;

/**
 * What the gateway knows of one target now: its circuit breaker, a cooldown (after a 429, or after its key
 * or balance was refused), its recent time to first byte, and its last error. Never blocks; all fields are
 * safe to read from any thread.
 */
public final class TargetHealth {
    private static final Logger log = LoggerFactory.getLogger(TargetHealth.class);
    private static final double LATENCY_WEIGHT = 0.3;

    public enum Cooldown { NONE, RATE_LIMITED, CREDENTIALS_REFUSED }

    private final String id;
    private final CircuitBreaker breaker;
    private volatile long cooldownUntilMillis;
    private volatile Cooldown cooldown = Cooldown.NONE;
    private volatile double latencyMillis = Double.NaN;
    private volatile String lastError;
    private volatile Instant lastErrorAt;
    private volatile Instant openedAt;
    /** The circuit's state as last said in the log: each change is said once, by whichever thread sees it first. */
    private final AtomicReference<CircuitBreaker.State> seen = new AtomicReference<>(CircuitBreaker.State.CLOSED);
    /** A half-open circuit lets one probe through, and its window has one slot (see mayRecord). */
    private final boolean halfOpenWindowOfOne;
    /** The last half-open window of one slot that took its outcome. */
    private final AtomicReference<CircuitBreaker.Metrics> decidedHalfOpen = new AtomicReference<>();

    TargetHealth(String id, CircuitBreaker breaker) {
        this.id = id;
        this.breaker = breaker;
        this.halfOpenWindowOfOne = breaker.getCircuitBreakerConfig().getPermittedNumberOfCallsInHalfOpenState() == 1;
    }

    /** The breaker itself, for tests that look at what it does with its events. */
    CircuitBreaker breaker() {
        return breaker;
    }

    public String id() {
        return id;
    }

    /** Not cooling down and its circuit lets calls through. */
    public boolean available() {
        CircuitBreaker.State state = breaker.getState();
        return !coolingDown() && (state == CircuitBreaker.State.CLOSED || state == CircuitBreaker.State.HALF_OPEN);
    }

    public boolean coolingDown() {
        return cooldown != Cooldown.NONE && System.currentTimeMillis() < cooldownUntilMillis;
    }

    /** Takes the breaker's permission for one attempt; false if the circuit refuses it now. */
    public boolean tryAcquire() {
        boolean permitted = !coolingDown() && breaker.tryAcquirePermission();
        noticeState();
        return permitted;
    }

    /** A probe of a target whose circuit is open: half-open it now and take a permission. */
    public boolean acquireProbe() {
        if (breaker.getState() == CircuitBreaker.State.OPEN) breaker.transitionToHalfOpenState();
        boolean permitted = breaker.tryAcquirePermission();
        noticeState();
        return permitted;
    }

    /** The attempt ended without telling anything about the target (the client left first). */
    public void release() {
        breaker.releasePermission();
    }

    /** The upstream answered in time; its time to first byte feeds the latency average. */
    public void answered(Duration timeToFirstByte) {
        double ms = timeToFirstByte.toNanos() / 1e6;
        double previous = latencyMillis;
        latencyMillis = Double.isNaN(previous) ? ms : previous + LATENCY_WEIGHT * (ms - previous);
    }

    public void succeeded(Duration elapsed) {
        if (mayRecord()) breaker.onSuccess(elapsed.toNanos(), TimeUnit.NANOSECONDS);
        noticeState();
        if (cooldown != Cooldown.NONE && !coolingDown()) cooldown = Cooldown.NONE;
    }

    public void failed(Duration elapsed, String reason) {
        remember(reason);
        if (mayRecord()) breaker.onError(elapsed.toNanos(), TimeUnit.NANOSECONDS, new UpstreamFailure(reason));
        noticeState();
    }

    /**
     * Whether an attempt's outcome goes into the circuit's window now. Not while the circuit is open: nothing
     * is decided on it there. And a half-open circuit of one probe takes one outcome, the first, which decides
     * as Resilience4j would. Its lock-free window of one slot loses its head on its first record and throws a
     * NullPointerException on the next (inside the request recording it, which then fails as an internal
     * error), and a circuit that opens again keeps that window. A second outcome comes from an exchange begun
     * before the circuit opened, or from a second probe of a target two requests half-opened at once.
     */
    private boolean mayRecord() {
        return switch (breaker.getState()) {
            case OPEN, FORCED_OPEN -> false;
            case HALF_OPEN -> {
                if (!halfOpenWindowOfOne) yield true;
                CircuitBreaker.Metrics window = breaker.getMetrics();
                CircuitBreaker.Metrics before = decidedHalfOpen.get();
                // the window read after the state: once the first outcome reopened the circuit, it is the open
                // circuit's, the same one, and is refused here too
                yield before != window && decidedHalfOpen.compareAndSet(before, window);
            }
            default -> true;
        };
    }

    /**
     * Logs a change of the circuit's state (and when it opened) once. Read after each call that can change
     * it, rather than from the breaker's events: a breaker with an event consumer makes an event for every
     * call it records. A circuit that opened again after a timed-out probe is noticed at the next attempt.
     */
    private void noticeState() {
        CircuitBreaker.State now = breaker.getState();
        CircuitBreaker.State before = seen.get();
        if (now == before || !seen.compareAndSet(before, now)) return;
        if (now == CircuitBreaker.State.OPEN) {
            openedAt = Instant.now();
            log.warn("Circuit of target {} opened: failure rate {}%", id, breaker.getMetrics().getFailureRate());
        } else if (now == CircuitBreaker.State.CLOSED) {
            log.info("Circuit of target {} closed again", id);
        }
    }

    /** A 429: out of the rotation until {@code retryAfter} has passed; not a failure of the circuit. */
    public void rateLimited(Duration retryAfter, String reason) {
        remember(reason);
        coolDown(Cooldown.RATE_LIMITED, retryAfter);
        breaker.releasePermission();
    }

    /** A 401/402/403: the target's key or balance is broken; out for a long cooldown, said loudly once. */
    public void credentialsRefused(Duration cooldownFor, String reason) {
        remember(reason);
        if (!(cooldown == Cooldown.CREDENTIALS_REFUSED && coolingDown())) {
            log.error("Target {} refused the gateway's credentials ({}); it is out of rotation for {}. "
                    + "Check its api-key and account balance.", id, summary(reason), cooldownFor);
        }
        coolDown(Cooldown.CREDENTIALS_REFUSED, cooldownFor);
        breaker.releasePermission();
    }

    private void coolDown(Cooldown kind, Duration duration) {
        cooldownUntilMillis = System.currentTimeMillis() + duration.toMillis();
        cooldown = kind;
    }

    private void remember(String reason) {
        lastError = reason;
        lastErrorAt = Instant.now();
    }

    public Cooldown cooldown() {
        return coolingDown() ? cooldown : Cooldown.NONE;
    }

    /** When the current cooldown ends, or null. */
    public Instant cooldownUntil() {
        return coolingDown() ? Instant.ofEpochMilli(cooldownUntilMillis) : null;
    }

    public CircuitBreaker.State circuitState() {
        return breaker.getState();
    }

    /** When the circuit last opened, or null if it never did. */
    public Instant openedAt() {
        return openedAt;
    }

    /** Average time to first byte in ms, NaN before the first answer. */
    public double latencyMillis() {
        return latencyMillis;
    }

    /** Failure percentage over the breaker's window; negative until enough calls were seen. */
    public float errorRate() {
        return breaker.getMetrics().getFailureRate();
    }

    public String lastError() {
        return lastError;
    }

    public Instant lastErrorAt() {
        return lastErrorAt;
    }

    /**
     * A reason without the upstream's error body ("HTTP 401"), for logs and clients: providers echo parts
     * of keys in their error messages. The full reason is kept for the admin view.
     */
    public static String summary(String reason) {
        if (reason == null || !reason.startsWith("HTTP ")) return reason;
        int colon = reason.indexOf(':');
        return colon < 0 ? reason : reason.substring(0, colon);
    }

    /** What the breaker records as a failure: the reason only, no stack. */
    static final class UpstreamFailure extends RuntimeException {
        UpstreamFailure(String reason) {
            super(reason, null, false, false);
        }
    }
}
