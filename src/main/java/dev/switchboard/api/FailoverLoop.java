package dev.switchboard.api;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;

import org.springframework.http.HttpHeaders;
import org.springframework.stereotype.Component;

import dev.switchboard.config.HealthPolicy;
import dev.switchboard.config.Target;
import dev.switchboard.health.HealthRegistry;
import dev.switchboard.health.TargetHealth;
import dev.switchboard.protocol.ErrorKind;
import dev.switchboard.protocol.GatewayException;
import dev.switchboard.protocol.RequestScan;
import dev.switchboard.routing.RoutePlan;
import dev.switchboard.tracing.GatewayTracing;
import dev.switchboard.translate.Translator;
import dev.switchboard.translate.Translators;
import dev.switchboard.upstream.AttemptOutcome;
import dev.switchboard.upstream.ResponseClassifier;
import dev.switchboard.upstream.UpstreamExchange;
import reactor.core.publisher.Mono;

/**
 * Tries the plan's targets in order until one answers, all before the client has seen a byte: each attempt
 * takes its target's breaker permission, and its outcome goes back into that target's health. Bounded by the
 * route's {@code max-attempts}.
 */
@Component
class FailoverLoop {
    private final UpstreamExchange exchange;
    private final HealthRegistry health;
    private final GatewayMetrics metrics;

    FailoverLoop(UpstreamExchange exchange, HealthRegistry health, GatewayMetrics metrics) {
        this.exchange = exchange;
        this.health = health;
        this.metrics = metrics;
    }

    /**
     * The target that answered, how its answer crosses to the client's protocol, and how it answered; a
     * streaming answer's health is recorded when the stream ends.
     */
    record Answer(Target target, Translator translator, TargetHealth health, AttemptOutcome outcome, long startNanos) {}

    private record Failure(Target target, AttemptOutcome outcome) {}

    Mono<Answer> run(RoutePlan.Attempts plan, HealthPolicy policy, RequestScan scan, HttpHeaders headers, RequestContext context) {
        return attempt(plan, policy, 0, new ArrayList<>(), scan, headers, context);
    }

    private Mono<Answer> attempt(RoutePlan.Attempts plan, HealthPolicy policy, int from, List<Failure> failures,
                                 RequestScan scan, HttpHeaders headers, RequestContext context) {
        if (failures.size() >= plan.route().maxAttempts()) return Mono.error(exhausted(plan, failures));
        int index = from;
        Target target = null;
        TargetHealth targetHealth = null;
        for (; index < plan.targets().size(); index++) {
            Target t = plan.targets().get(index);
            TargetHealth h = health.of(t, policy);
            if (plan.probe() ? h.acquireProbe() : h.tryAcquire()) {
                target = t;
                targetHealth = h;
                break;
            }
        }
        if (target == null) return Mono.error(exhausted(plan, failures));

        Target chosen = target;
        TargetHealth h = targetHealth;
        int next = index + 1;
        String upstream = chosen.upstream().name();
        context.attempts = failures.size() + 1;
        context.upstream = upstream;
        context.meter.target(chosen);
        // the plan holds only targets some translator serves
        Translator translator = Translators.of(context.endpoint.protocol(), chosen.upstream().protocol(), scan);
        GatewayTracing.AttemptSpan span = context.trace.attempt(chosen, context.alias);
        long start = System.nanoTime();
        context.attemptStartNanos = start;
        return exchange.open(chosen, translator, context.endpoint.upstreamPath(chosen.upstream().protocol()), context.query, scan,
                        headers, context.requestId, context.streamUsageWanted, span.traceparent())
                .flatMap(response -> {
                    long firstByte = System.nanoTime() - start;
                    h.answered(Duration.ofNanos(firstByte));
                    metrics.firstByte(context.alias, upstream, firstByte);
                    return ResponseClassifier.classify(response, chosen.upstream(), policy.rateLimitCooldown());
                })
                .onErrorResume(e -> Mono.just(failure(e)))
                .doOnCancel(() -> {
                    h.release();
                    span.end("cancelled", false);
                })
                .flatMap(outcome -> {
                    Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
                    context.upstreamNanos += elapsed.toNanos();
                    context.attemptStartNanos = 0;
                    metrics.attempt(context.alias, upstream, outcomeName(outcome));
                    span.end(outcomeName(outcome), !(outcome instanceof AttemptOutcome.Delivered || outcome instanceof AttemptOutcome.ClientError));
                    switch (outcome) {
                        case AttemptOutcome.Delivered d -> {
                            if (!d.streaming()) h.succeeded(elapsed);
                            return Mono.just(new Answer(chosen, translator, h, outcome, start));
                        }
                        case AttemptOutcome.ClientError c -> {
                            h.succeeded(elapsed);
                            return Mono.just(new Answer(chosen, translator, h, outcome, start));
                        }
                        case AttemptOutcome.Rejected r -> {
                            h.succeeded(elapsed);
                            return Mono.error(r.error());
                        }
                        case AttemptOutcome.Failed f -> h.failed(elapsed, f.reason());
                        case AttemptOutcome.RateLimited r -> h.rateLimited(r.retryAfter(), r.reason());
                        case AttemptOutcome.CredentialsRefused c -> h.credentialsRefused(policy.authFailureCooldown(), c.reason());
                    }
                    metrics.failover(context.alias, upstream);
                    context.trace.failover(chosen.id(), outcomeName(outcome));
                    failures.add(new Failure(chosen, outcome));
                    return attempt(plan, policy, next, failures, scan, headers, context);
                });
    }

    private static AttemptOutcome failure(Throwable e) {
        if (e instanceof GatewayException g) return new AttemptOutcome.Failed(g.getMessage(), g.kind() == ErrorKind.UPSTREAM_TIMEOUT);
        return new AttemptOutcome.Failed(e.getClass().getSimpleName() + ": " + e.getMessage(), false);
    }

    private static String outcomeName(AttemptOutcome outcome) {
        return switch (outcome) {
            case AttemptOutcome.Delivered d -> "delivered";
            case AttemptOutcome.ClientError c -> "client_error";
            case AttemptOutcome.Rejected r -> "rejected";
            case AttemptOutcome.Failed f -> f.timeout() ? "timeout" : "failed";
            case AttemptOutcome.RateLimited r -> "rate_limited";
            case AttemptOutcome.CredentialsRefused c -> "credentials_refused";
        };
    }

    /** The answer when no attempt succeeded: 429 if every target was rate limited, 504 if all timed out, else 502/503. */
    private static GatewayException exhausted(RoutePlan.Attempts plan, List<Failure> failures) {
        String alias = plan.route().alias();
        if (failures.isEmpty()) {
            return new GatewayException(ErrorKind.NO_UPSTREAM,
                    "No upstream of model '" + alias + "' can take a request right now; try again shortly", null, null, Duration.ofSeconds(1));
        }
        String detail = failures.stream().map(f -> f.target().id() + ": " + TargetHealth.summary(reason(f.outcome())))
                .collect(Collectors.joining("; "));
        if (failures.stream().allMatch(f -> f.outcome() instanceof AttemptOutcome.RateLimited)) {
            Duration soonest = failures.stream().map(f -> ((AttemptOutcome.RateLimited) f.outcome()).retryAfter())
                    .min(Comparator.naturalOrder()).orElseThrow();
            return new GatewayException(ErrorKind.RATE_LIMITED, "Every upstream of model '" + alias + "' is rate limited: " + detail,
                    null, null, soonest);
        }
        if (failures.stream().allMatch(f -> f.outcome() instanceof AttemptOutcome.Failed fl && fl.timeout())) {
            return new GatewayException(ErrorKind.UPSTREAM_TIMEOUT, "Every attempt timed out: " + detail);
        }
        if (plan.probe()) {
            return new GatewayException(ErrorKind.NO_UPSTREAM,
                    "Every upstream of model '" + alias + "' is unhealthy, and a probe failed: " + detail);
        }
        return new GatewayException(ErrorKind.UPSTREAM_UNREACHABLE,
                "All " + failures.size() + " attempts failed: " + detail);
    }

    private static String reason(AttemptOutcome outcome) {
        return switch (outcome) {
            case AttemptOutcome.Failed f -> f.reason();
            case AttemptOutcome.RateLimited r -> r.reason();
            case AttemptOutcome.CredentialsRefused c -> c.reason();
            default -> outcome.getClass().getSimpleName();
        };
    }
}
