package dev.switchboard.api;

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
    int attempts;
    int status;
    /** The upstream broke a stream the client had started to receive. */
    boolean streamBroke;

    RequestContext(String requestId, ApiEndpoint endpoint) {
        this.requestId = requestId;
        this.endpoint = endpoint;
    }

    long elapsedNanos() {
        return System.nanoTime() - startNanos;
    }

    long elapsedMillis() {
        return elapsedNanos() / 1_000_000;
    }
}
