package dev.switchboard.config;

/**
 * A key's rate limits, each 0 for none: requests a minute, tokens a minute (prompt and answer), and requests
 * at once.
 */
public record KeyLimits(long requestsPerMinute, long tokensPerMinute, int concurrent) {
    public static final KeyLimits NONE = new KeyLimits(0, 0, 0);

    /** Whether any limit is set: a key without one costs the request path nothing. */
    public boolean any() {
        return requestsPerMinute > 0 || tokensPerMinute > 0 || concurrent > 0;
    }
}
