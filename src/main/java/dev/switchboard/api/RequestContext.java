package dev.switchboard.api;

import dev.switchboard.config.RouteTable;
import dev.switchboard.usage.UsageLedger;
import dev.switchboard.usage.UsageMeter;

/** What one request's log line and metrics say; filled in as the request goes along (one thread at a time). */
final class RequestContext {
    final String requestId;
    final ApiEndpoint endpoint;
    final long startNanos = System.nanoTime();
    String keyName = "-";
    /** Set once the alias is known to the route table: safe as a metric tag. */
    String alias = "-";
    String upstream = "-";
    boolean stream;
    /** An OpenAI stream whose client did not ask for usage: the gateway adds include_usage where it may. */
    boolean streamUsageWanted;
    /** An OpenAI client asked for the usage chunk ({@code stream_options.include_usage}). */
    boolean streamUsageAsked;
    int attempts;
    int status;
    /** The upstream broke a stream the client had started to receive. */
    boolean streamBroke;

    /** The request's body as read, whose memory goes back to the budget when the request ends; null until read. */
    RequestBody body;
    /** What the request used, collected as it goes; null until the client is known. */
    UsageMeter meter;
    /** When the first byte of the answer went to the client; 0 until then. */
    long firstByteNanos;
    /** The request's record has been handed to the ledger. */
    private boolean finished;

    RequestContext(String requestId, ApiEndpoint endpoint) {
        this.requestId = requestId;
        this.endpoint = endpoint;
    }

    void firstByteSent() {
        if (firstByteNanos == 0) firstByteNanos = System.nanoTime();
    }

    /**
     * Hands the request's record to the ledger, with its latency, status and time to first byte as they are
     * now (a long token estimate may build it later, off the event loop). Once per request: a body that
     * completes and is then cancelled is still one request. {@link #meter} must be set.
     *
     * @return false if the record was handed over already
     */
    boolean record(UsageLedger ledger, String outcome, RouteTable table) {
        if (finished) return false;
        finished = true;
        UsageMeter used = meter;
        String id = requestId, key = keyName, endpointName = endpoint.name(), modelAlias = alias;
        boolean streamed = stream;
        int code = status, tries = attempts;
        long latency = elapsedMillis();
        Long ttft = ttftMillis();
        ledger.record(used.estimateBytes(), () -> used.toRecord(id, key, endpointName, modelAlias, streamed, code, outcome,
                tries, latency, ttft, table));
        return true;
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
}
