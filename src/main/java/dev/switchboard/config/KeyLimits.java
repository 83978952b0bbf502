package dev.switchboard.config;

/**
 * A key's rate limits, each 0 for none: requests a minute, tokens a minute (prompt and answer), and requests
 * at once.
 */
public record KeyLimits(long requestsPerMinute, long tokensPerMinute, int concurrent) {
    public static final KeyLimits NONE = new KeyLimits(0, 0, 0);
    /**
     * The most a minute's limit may be: Bucket4j refills at most one token a nanosecond (60 billion a minute),
     * and a limit this high is no limit in practice.
     */
    public static final long MAX_PER_MINUTE = 10_000_000_000L;

    /** Whether any limit is set: a key without one costs the request path nothing. */
    public boolean any() {
        return requestsPerMinute > 0 || tokensPerMinute > 0 || concurrent > 0;
    }
}
