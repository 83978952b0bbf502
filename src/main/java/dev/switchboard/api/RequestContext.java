package dev.switchboard.api;

import java.util.concurrent.CompletableFuture;

import dev.switchboard.config.ClientKey;
import dev.switchboard.limits.KeyRateLimits;
import dev.switchboard.config.RouteTable;
import dev.switchboard.protocol.ApiEndpoint;
import dev.switchboard.responses.Conversation;
import dev.switchboard.usage.UsageMeter;

/**
 * One proxied request as it goes: who asked for what, where it went, how it was answered. Filled in along the
 * way, one thread at a time; each group of fields below has one writer, named above it.
 */
final class RequestContext {
    private static final java.lang.invoke.VarHandle RECORDED;

    static {
        try {
            RECORDED = java.lang.invoke.MethodHandles.lookup().findVarHandle(RequestContext.class, "recorded", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final String requestId;
    final ApiEndpoint endpoint;
    /** The routes the request started with: a reload while it runs changes nothing for it. */
    final RouteTable table;
    final long startNanos = System.nanoTime();
    /** The request's trace span; a no-op while traces are off. Ended by RequestCompletion, or ProxyHandler when nothing is recorded. */
    dev.switchboard.tracing.GatewayTracing.RequestSpan trace = dev.switchboard.tracing.GatewayTracing.RequestSpan.NONE;

    // written by RequestIntake
    String keyName = "-";
    /** The request target's query string, raw, or null. */
    String query;
    /** Set once the alias is known to the route table: safe as a metric tag. */
    String alias = "-";
    boolean stream;
    /** An OpenAI stream whose client did not ask for usage: the gateway adds include_usage where it may. */
    boolean streamUsageWanted;
    /** What the request used, collected as it goes; null until the client is known. */
    UsageMeter meter;
    /** The request's body as read, whose memory goes back to the budget when the request ends; null until read. */
    RequestBody body;
    /** A Responses API request's turn in its conversation, to be stored once answered; null for other endpoints. */
    Conversation conversation;
    /** That turn's save, once started: as the answer's closing event is about to go to the client. */
    CompletableFuture<Void> keeping;

    // written by FailoverLoop
    String upstream = "-";
    int attempts;
    /** Time spent waiting on upstreams: each attempt from its send to its answer (a delivered stream's head). */
    long upstreamNanos;
    /**
     * When the attempt under way was sent, 0 between attempts. Volatile: a stream's head may be committed
     * early, from the keepalive's timer, while an attempt runs, and its overhead header leaves that wait out.
     */
    volatile long attemptStartNanos;

    // written by AnswerRelay
    int status;
    /** The upstream broke a stream the client had started to receive. */
    boolean streamBroke;
    /**
     * The upstream's stream is being relayed (subscribed), and releases its target's permission if cancelled.
     * Volatile: a client that leaves is seen on its own event loop, the upstream's answer on another.
     */
    volatile boolean streamRelayed;
    /**
     * The server cancelled the exchange: the client left (or the shutdown cut it). Set before the cancel goes
     * up the chain, so an upstream body that then ends because the cancel closed its connection is seen as the
     * cut it is, not as a complete answer: the upstream's head may have come on its own event loop just as the
     * cancel came on the client's, and a body cut that way ends without an error.
     */
    volatile boolean cancelled;
    /** The client's key, once authenticated. */
    ClientKey key;
    /** The key's rate limits' hold on this request: released and settled once, when it is recorded. */
    KeyRateLimits.Admission admission = KeyRateLimits.Admission.NONE;
    /** The request's hold on its key's and team's budgets, released when its record is on account. */
    dev.switchboard.budget.Budgets.Reservation reservation = dev.switchboard.budget.Budgets.Reservation.NONE;
    /**
     * The client has been given its whole answer (the stream's closing event, passed through or translated):
     * leaving before the upstream closed its side is not a cancelled request.
     */
    boolean answered;
    /** When the first byte of the answer went to the client; 0 until then. */
    long firstByteNanos;

    // written by RequestCompletion
    /**
     * The request's record has been handed to the ledger. Taken by compare-and-set: a client's cancel on its
     * event loop and the upstream's end on another may both try to record the request.
     */
    private volatile boolean recorded;

    RequestContext(String requestId, ApiEndpoint endpoint, RouteTable table) {
        this.requestId = requestId;
        this.endpoint = endpoint;
        this.table = table;
    }

    /** True for the one caller that gets to record the request. */
    boolean takeRecord() {
        return RECORDED.compareAndSet(this, false, true);
    }

    boolean recorded() {
        return recorded;
    }

    void firstByteSent() {
        if (firstByteNanos == 0) firstByteNanos = System.nanoTime();
    }

    Long ttftMillis() {
        return firstByteNanos == 0 ? null : (firstByteNanos - startNanos) / 1_000_000;
    }

    long elapsedNanos() {
        return System.nanoTime() - startNanos;
    }

    long elapsedMillis() {
        return elapsedNanos() / 1_000_000;
    }

    /**
     * The gateway's own time so far, in milliseconds to the microsecond: everything since the request arrived
     * but the waits on upstreams. Sent as {@value AnswerRelay#OVERHEAD_HEADER} with the answer's head, so for a
     * stream it covers the time until its head, not the relaying of its events.
     */
    String overheadMillis() {
        long now = System.nanoTime();
        long attemptStart = attemptStartNanos;
        long waiting = attemptStart == 0 ? 0 : now - attemptStart;
        return millis(now - startNanos - upstreamNanos - waiting);
    }

    /** Nanoseconds as milliseconds to the microsecond ({@code 0.213}); never negative. */
    static String millis(long nanos) {
        long micros = Math.max(0, nanos) / 1_000;
        long fraction = micros % 1_000;
        return micros / 1_000 + (fraction < 10 ? ".00" : fraction < 100 ? ".0" : ".") + fraction;
    }
}
