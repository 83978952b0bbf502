package dev.switchboard.api;

import java.util.concurrent.TimeUnit;

import org.springframework.stereotype.Component;

import io.micrometer.core.instrument.Counter;
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

    public GatewayMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** One finished request: its total time, by final status. */
    void request(String alias, String upstream, int status, String outcome, long nanos) {
        Timer.builder("switchboard.requests").description("Requests through the gateway, by final status")
                .tag("alias", alias).tag("upstream", upstream).tag("status", Integer.toString(status)).tag("outcome", outcome)
                .register(registry).record(nanos, TimeUnit.NANOSECONDS);
    }

    /** One attempt at one target, by what came of it. */
    void attempt(String alias, String upstream, String outcome) {
        Counter.builder("switchboard.attempts").description("Attempts at upstream targets, by outcome")
                .tag("alias", alias).tag("upstream", upstream).tag("outcome", outcome)
                .register(registry).increment();
    }

    /** The request moved on from this upstream to the next target. */
    void failover(String alias, String fromUpstream) {
        Counter.builder("switchboard.failovers").description("Failovers to the next target, by the upstream left")
                .tag("alias", alias).tag("upstream", fromUpstream)
                .register(registry).increment();
    }

    /** Time from sending the request to the upstream's response headers. */
    void firstByte(String alias, String upstream, long nanos) {
        Timer.builder("switchboard.upstream.first.byte").description("Time to the upstream's first byte")
                .tag("alias", alias).tag("upstream", upstream)
                .register(registry).record(nanos, TimeUnit.NANOSECONDS);
    }
}
