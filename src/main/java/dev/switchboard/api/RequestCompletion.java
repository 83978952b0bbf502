package dev.switchboard.api;

import java.util.concurrent.Executor;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import dev.switchboard.responses.StoredResponses;
import dev.switchboard.usage.Outcome;
import dev.switchboard.usage.UsageLedger;
import dev.switchboard.usage.UsageMeter;
import dev.switchboard.usage.UsageRecord;
import dev.switchboard.budget.Budgets;
import dev.switchboard.limits.KeyRateLimits;
import reactor.core.observability.DefaultSignalListener;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.SignalType;
import reactor.core.scheduler.Schedulers;

/**
 * The end of a request: its usage record handed to the ledger (once, however the answer ended), its metrics,
 * its access log line, and a Responses API answer's turn stored before the answer's end goes.
 */
@Component
class RequestCompletion {
    /** One line per served request, off unless {@code logging.level.switchboard.access=info} (the ledger keeps a record anyway). */
    private static final Logger access = LoggerFactory.getLogger("switchboard.access");
    private static final Logger log = LoggerFactory.getLogger(RequestCompletion.class);

    private final UsageLedger ledger;
    private final StoredResponses storedResponses;
    private final GatewayMetrics metrics;
    private final ConnectionDrain drain;

    RequestCompletion(UsageLedger ledger, StoredResponses storedResponses, GatewayMetrics metrics, ConnectionDrain drain) {
        this.ledger = ledger;
        this.storedResponses = storedResponses;
        this.metrics = metrics;
        this.drain = drain;
    }

    /**
     * Records the request as its body ends, before the end reaches the server: a graceful shutdown that waits
     * for in-flight responses then also finds their usage records queued.
     */
    <T> Flux<T> whenDone(Flux<T> body, RequestContext context) {
        return body.tap(() -> new Recording<>(this, context, false));
    }

    /**
     * The same for a body of one buffer, recorded as that buffer goes to the server: the answer's first byte
     * and its last.
     */
    <T> Mono<T> whenDone(Mono<T> body, RequestContext context) {
        return body.tap(() -> new Recording<>(this, context, true));
    }

    /**
     * What a body's end does to its request, as one listener of the body ({@code tap}): a doOn operator for each
     * signal cost an operator and a subscriber apiece on every request, and a stream keeps them while it is
     * open. A body that completes after its request was recorded records nothing more.
     */
    static class Recording<T> extends DefaultSignalListener<T> {
        private final RequestCompletion completion;
        private final RequestContext context;
        /** The body is one buffer, the whole answer: it records the request as it goes. */
        private final boolean whole;

        Recording(RequestCompletion completion, RequestContext context, boolean whole) {
            this.completion = completion;
            this.context = context;
            this.whole = whole;
        }

        @Override
        public void doOnNext(T value) {
            if (!whole) return;
            context.firstByteSent();
            completion.finished(context, SignalType.ON_COMPLETE);
        }

        @Override
        public void doOnComplete() {
            // a whole answer was recorded as its buffer went; only one that came empty is recorded here
            if (whole && context.recorded()) return;
            completion.finished(context, SignalType.ON_COMPLETE);
        }

        @Override
        public void doOnError(Throwable error) {
            completion.finished(context, SignalType.ON_ERROR);
        }

        @Override
        public void doOnCancel() {
            completion.finished(context, SignalType.CANCEL);
        }
    }

    /** How the answer's body ended, as the request's outcome: recorded, counted and (when asked for) logged. */
    void finished(RequestContext context, SignalType signal) {
        if (context.meter == null) return; // no identified client: nothing to record
        Outcome outcome = outcome(context, signal, drain.cutting());
        if (!record(context, outcome)) return;
        metrics.request(context.alias, context.upstream, context.status, outcome.wireName(), context.elapsedNanos());
        if (access.isInfoEnabled()) {
            // the same fields twice: in the text, for the plain log, and as key-value pairs, which Spring Boot's
            // structured formats (logging.structured.format.console: ecs, logstash) write as JSON fields
            long latency = context.elapsedMillis();
            access.atInfo()
                    .addKeyValue("request_id", context.requestId).addKeyValue("key", context.keyName)
                    .addKeyValue("endpoint", context.endpoint.wireName()).addKeyValue("alias", context.alias)
                    .addKeyValue("upstream", context.upstream).addKeyValue("attempts", context.attempts)
                    .addKeyValue("stream", context.stream).addKeyValue("status", context.status)
                    .addKeyValue("outcome", outcome.wireName()).addKeyValue("latency_ms", latency)
                    .log("request id={} key={} endpoint={} alias={} upstream={} attempts={} stream={} status={} outcome={} latency_ms={}",
                            context.requestId, context.keyName, context.endpoint.wireName(), context.alias, context.upstream,
                            context.attempts, context.stream, context.status, outcome.wireName(), latency);
        }
    }

    /**
     * Starts storing a Responses API answer's turn, once, for {@code previous_response_id} and retrieval; called
     * as the answer's closing event is about to go, so that a read of its id on this replica, which waits for
     * saves running here, finds it. The save runs to its end even when the client leaves: the answer was whole.
     */
    void keep(RequestContext context) {
        if (context.keeping != null || context.conversation == null || context.streamBroke) return;
        StoredResponses.Turn turn = context.conversation.turn();
        if (turn == null) return;
        context.keeping = storedResponses.save(context.keyName, turn).toFuture().whenComplete((done, e) -> {
            if (e != null) log.warn("request id={}: response {} could not be stored: {}", context.requestId, turn.id(), e.toString());
        });
    }

    /**
     * The answer's turn stored ({@link #keep} started if it was not), before the end of its body goes: a client
     * that read the answer to its end finds it on any replica. A database that fails or hangs costs the client
     * its stored response, never its answer. The body goes on on {@code loop}, the exchange's event loop, when
     * there is one.
     */
    Mono<Void> kept(RequestContext context, Executor loop) {
        return Mono.defer(() -> {
            if (!context.cancelled) keep(context);
            if (context.keeping == null) return Mono.<Void>empty();
            return Mono.fromFuture(context.keeping, true)
                    .timeout(StoredResponses.SAVE_WAIT)
                    .onErrorResume(e -> Mono.empty()) // logged as the save failed; a wait that timed out leaves it running
                    .publishOn(loop == null ? Schedulers.immediate() : Schedulers.fromExecutor(loop));
        });
    }

    /** The outcome of a request whose answer's body ended with {@code signal}. */
    static Outcome outcome(RequestContext context, SignalType signal, boolean shutdownCutting) {
        if (context.streamBroke) return Outcome.STREAM_BROKEN;
        // a body that ended because the exchange was cancelled ended as the cancel did
        if (signal == SignalType.ON_COMPLETE && context.cancelled) signal = SignalType.CANCEL;
        return switch (signal) {
            case ON_COMPLETE -> context.status < 300 ? Outcome.OK : Outcome.UPSTREAM_ERROR;
            // a cut at the end of the shutdown's grace period is the gateway's doing, not the client's
            case CANCEL -> shutdownCutting ? Outcome.GATEWAY_STOPPED : context.answered ? Outcome.OK : Outcome.CLIENT_CANCELLED;
            default -> context.stream ? Outcome.STREAM_BROKEN : Outcome.UPSTREAM_ERROR;
        };
    }

    /**
     * An identified client's request the gateway answered with its own error: kept even when nothing was
     * served; anonymous noise is not.
     */
    void failed(RequestContext context) {
        if (context.meter != null) record(context, context.attempts > 0 ? Outcome.UPSTREAM_ERROR : Outcome.REJECTED);
    }

    /**
     * Hands the request's record to the ledger, with its latency, status and time to first byte as they are
     * now (a long token estimate may build it later, off the event loop). Once per request: a body that
     * completes and is then cancelled is still one request.
     *
     * @return false if the record was handed over already
     */
    private boolean record(RequestContext context, Outcome outcome) {
        if (!context.takeRecord()) return false;
        KeyRateLimits.Admission admission = context.admission;
        admission.release();
        Budgets.Reservation reservation = context.reservation;
        UsageMeter used = context.meter;
        String id = context.requestId, key = context.keyName, alias = context.alias;
        boolean streamed = context.stream;
        int code = context.status, tries = context.attempts;
        long latency = context.elapsedMillis();
        Long ttft = context.ttftMillis();
        var trace = context.trace;
        long endEpochNanos = trace == dev.switchboard.tracing.GatewayTracing.RequestSpan.NONE ? 0 : epochNanos();
        ledger.record(used.estimateBytes(), () -> {
            UsageRecord record = used.toRecord(id, key, context.endpoint, alias, streamed, code, outcome, tries, latency, ttft, context.table);
            admission.settle(record.promptTokens() + record.completionTokens());
            trace.end(record, endEpochNanos);
            return record;
        }, record -> reservation.settle(record.credits()));
        return true;
    }

    private static long epochNanos() {
        java.time.Instant now = java.time.Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }
}
