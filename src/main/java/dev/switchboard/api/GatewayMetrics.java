package dev.switchboard.api;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import org.springframework.stereotype.Component;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * Request, attempt and failover counts and latencies by alias and upstream. Circuit state per target comes
 * from Resilience4j's own meters ({@code resilience4j_circuitbreaker_state}). Aliases are tagged only once
 * known to the route table, so client input cannot create meters.
 */
@Component
public class GatewayMetrics {
    private final MeterRegistry registry;
    /** Meters by name and tag values, built once: building one per request showed up in the benchmark. */
    private final Map<MeterKey, Meter> built = new ConcurrentHashMap<>();

    public GatewayMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    private record MeterKey(String name, String a, String b, String c, String d) {}

    @SuppressWarnings("unchecked")
    private <M extends Meter> M meter(MeterKey key, Function<MeterKey, M> build) {
        return (M) built.computeIfAbsent(key, build);
    }

    /** The memory request bodies in flight hold, and the budget they share. */
    void bodies(BodyBudget budget) {
        io.micrometer.core.instrument.Gauge.builder("switchboard.request.bodies", budget, BodyBudget::held).baseUnit("bytes")
                .description("Memory held by request bodies in flight").register(registry);
        io.micrometer.core.instrument.Gauge.builder("switchboard.request.bodies.limit", budget, BodyBudget::limit).baseUnit("bytes")
                .description("The budget of memory all request bodies in flight may hold").register(registry);
    }

    /** One finished request: its total time, by final status. */
    void request(String alias, String upstream, int status, String outcome, long nanos) {
        Timer timer = meter(new MeterKey("requests", alias, upstream, Integer.toString(status), outcome), k ->
                Timer.builder("switchboard.requests").description("Requests through the gateway, by final status")
                        .tag("alias", k.a()).tag("upstream", k.b()).tag("status", k.c()).tag("outcome", k.d())
                        .register(registry));
        timer.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** One attempt at one target, by what came of it. */
    void attempt(String alias, String upstream, String outcome) {
        Counter counter = meter(new MeterKey("attempts", alias, upstream, outcome, null), k ->
                Counter.builder("switchboard.attempts").description("Attempts at upstream targets, by outcome")
                        .tag("alias", k.a()).tag("upstream", k.b()).tag("outcome", k.c())
                        .register(registry));
        counter.increment();
    }

    /** The request moved on from this upstream to the next target. */
    void failover(String alias, String fromUpstream) {
        Counter counter = meter(new MeterKey("failovers", alias, fromUpstream, null, null), k ->
                Counter.builder("switchboard.failovers").description("Failovers to the next target, by the upstream left")
                        .tag("alias", k.a()).tag("upstream", k.b())
                        .register(registry));
        counter.increment();
    }

    /** Time from sending the request to the upstream's response headers. */
    void firstByte(String alias, String upstream, long nanos) {
        Timer timer = meter(new MeterKey("first.byte", alias, upstream, null, null), k ->
                Timer.builder("switchboard.upstream.first.byte").description("Time to the upstream's first byte")
                        .tag("alias", k.a()).tag("upstream", k.b())
                        .register(registry));
        timer.record(nanos, TimeUnit.NANOSECONDS);
    }
}
