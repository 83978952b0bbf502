package dev.switchboard.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.function.Consumer;

import org.junit.jupiter.api.Test;

import dev.switchboard.config.AuthStyle;
import dev.switchboard.config.HealthPolicy;
import dev.switchboard.config.HttpVersion;
import dev.switchboard.config.Price;
import dev.switchboard.config.Protocol;
import dev.switchboard.config.StreamUsage;
import dev.switchboard.config.Target;
import dev.switchboard.config.Timeouts;
import dev.switchboard.config.Upstream;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.core.EventProcessor;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * One target's health recorded from several event loops at once, as the gateway does: every loop records the
 * outcomes of its own exchanges with the same target. The support.BlockingGuard fails this class if a
 * recording thread parks (Resilience4j's default sliding window takes a lock that parks a contending thread).
 */
class TargetHealthTest {
    private static final int THREADS = 4;
    private static final int CALLS_EACH = 20_000;

    private final Upstream upstream = new Upstream("u", Protocol.OPENAI, URI.create("http://127.0.0.1:1/v1"), AuthStyle.NONE, "",
            null, null, Map.of(), Timeouts.DEFAULTS, StreamUsage.INJECT, HttpVersion.HTTP_1_1, true);
    private final TargetHealth health = new HealthRegistry(new SimpleMeterRegistry()).of(
            new Target(upstream, "m", new Price(BigDecimal.ZERO, BigDecimal.ZERO, BigDecimal.ZERO, BigDecimal.ZERO, BigDecimal.ZERO)),
            HealthPolicy.DEFAULTS);

    @Test
    void outcomesRecordedFromManyEventLoopsAtOnceAreCountedWithoutParkingAnyOfThem() {
        onEventLoopsAtOnce(h -> {
            if (h.tryAcquire()) h.succeeded(Duration.ofMillis(1));
        });
        assertThat(health.circuitState()).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(health.errorRate()).isZero();

        onEventLoopsAtOnce(h -> h.failed(Duration.ofMillis(1), "boom"));
        assertThat(health.circuitState()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(health.available()).isFalse();
    }

    @Test
    void aCircuitThatOpensIsExportedUnderResilience4jsNamesAndRemembersWhenItOpened() {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        HealthRegistry registry = new HealthRegistry(meters);
        TargetHealth target = registry.of(new Target(upstream, "exported", new Price(BigDecimal.ZERO, BigDecimal.ZERO, BigDecimal.ZERO,
                BigDecimal.ZERO, BigDecimal.ZERO)), HealthPolicy.DEFAULTS);
        assertThat(state(meters, "closed")).isEqualTo(1);
        assertThat(target.openedAt()).isNull();

        Instant before = Instant.now();
        for (int i = 0; i < 200 && target.circuitState() == CircuitBreaker.State.CLOSED; i++) {
            if (target.tryAcquire()) target.failed(Duration.ofMillis(1), "HTTP 503");
        }

        assertThat(target.circuitState()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(target.openedAt()).isNotNull().isAfterOrEqualTo(before);
        assertThat(state(meters, "open")).isEqualTo(1);
        assertThat(state(meters, "closed")).isZero();
        assertThat(meters.get("resilience4j.circuitbreaker.failure.rate").tag("name", "u/exported").gauge().value()).isEqualTo(100);

        registry.reset();
        assertThat(meters.find("resilience4j.circuitbreaker.state").gauges()).isEmpty();
        assertThat(meters.find("resilience4j.circuitbreaker.failure.rate").gauges()).isEmpty();
    }

    /**
     * A circuit half-opened for its one probe (the default) opens again when the probe fails, and the outcomes of
     * exchanges begun before it first opened still come in: each is taken without an error, the circuit stays
     * open, and its next probe still decides. Resilience4j's half-open window of one slot, which the reopened
     * circuit keeps, threw a NullPointerException on the first of them.
     */
    @Test
    void outcomesArrivingAfterAFailedProbeAreTakenAndTheNextProbeStillDecides() {
        TargetHealth target = new HealthRegistry(new SimpleMeterRegistry()).of(new Target(upstream, "probed", new Price(BigDecimal.ZERO,
                BigDecimal.ZERO, BigDecimal.ZERO, BigDecimal.ZERO, BigDecimal.ZERO)), HealthPolicy.DEFAULTS);
        assertThat(HealthPolicy.DEFAULTS.halfOpenCalls()).isEqualTo(1);
        int begunBefore = 3;
        for (int i = 0; i < begunBefore; i++) assertThat(target.tryAcquire()).isTrue();
        for (int i = 0; i < 200 && target.circuitState() == CircuitBreaker.State.CLOSED; i++) {
            if (target.tryAcquire()) target.failed(Duration.ofMillis(1), "HTTP 503");
        }
        assertThat(target.circuitState()).isEqualTo(CircuitBreaker.State.OPEN);

        assertThat(target.acquireProbe()).isTrue();
        assertThat(target.circuitState()).isEqualTo(CircuitBreaker.State.HALF_OPEN);
        target.failed(Duration.ofMillis(1), "HTTP 503");
        assertThat(target.circuitState()).isEqualTo(CircuitBreaker.State.OPEN);

        target.failed(Duration.ofMillis(1), "HTTP 503");
        target.succeeded(Duration.ofMillis(1));
        target.failed(Duration.ofMillis(1), "HTTP 503");
        assertThat(target.circuitState()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(target.errorRate()).isEqualTo(100);

        assertThat(target.acquireProbe()).isTrue();
        target.succeeded(Duration.ofMillis(1));
        assertThat(target.circuitState()).isEqualTo(CircuitBreaker.State.CLOSED);
        target.succeeded(Duration.ofMillis(1));
        assertThat(target.available()).isTrue();
    }

    /** With any consumer, a breaker makes an event (and reads the zone's clock) for every call it records. */
    @Test
    void theBreakersHaveNoEventConsumersSoTheyMakeNoEvents() {
        assertThat(((EventProcessor<?>) health.breaker().getEventPublisher()).hasConsumers()).isFalse();
        health.failed(Duration.ofMillis(1), "HTTP 503");
        health.succeeded(Duration.ofMillis(1));
        assertThat(((EventProcessor<?>) health.breaker().getEventPublisher()).hasConsumers()).isFalse();
    }

    private static double state(SimpleMeterRegistry meters, String state) {
        return meters.get("resilience4j.circuitbreaker.state").tag("name", "u/exported").tag("state", state).gauge().value();
    }

    /** {@code CALLS_EACH} calls of {@code call} on each of {@code THREADS} non-blocking threads, all at once. */
    private void onEventLoopsAtOnce(Consumer<TargetHealth> call) {
        Scheduler loops = Schedulers.newParallel("health-test", THREADS);
        try {
            Flux.range(0, THREADS)
                    .parallel(THREADS).runOn(loops)
                    .doOnNext(i -> {
                        for (int n = 0; n < CALLS_EACH; n++) call.accept(health);
                    })
                    .sequential()
                    .blockLast(Duration.ofSeconds(60));
        } finally {
            loops.dispose();
        }
    }
}
