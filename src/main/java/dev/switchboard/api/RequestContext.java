package dev.switchboard.api;

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

    /** True the first time only: a body that completes and is then cancelled is still one request, one record. */
    boolean finish() {
        if (finished) return false;
        finished = true;
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
