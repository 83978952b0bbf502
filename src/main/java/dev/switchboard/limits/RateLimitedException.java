package dev.switchboard.limits;

import java.time.Duration;

import dev.switchboard.protocol.ErrorKind;
import dev.switchboard.protocol.GatewayException;

/** A request a key's rate limit refused: 429, {@code Retry-After} when waiting helps, and the limits' headers. */
public final class RateLimitedException extends GatewayException {
    private final RateLimitHeaders headers;

    RateLimitedException(String message, Duration retryAfter, RateLimitHeaders headers) {
        super(ErrorKind.RATE_LIMITED, message, null, null, retryAfter);
        this.headers = headers;
    }

    public RateLimitHeaders headers() {
        return headers;
    }

    /** One request allows more tokens than the key may use in a minute: waiting would not help. */
    static RateLimitedException tooLarge(String key, long estimatedTokens, long perMinute, RateLimitHeaders headers) {
        return new RateLimitedException("This request may take about " + estimatedTokens + " tokens, more than key '" + key
                + "' may use in a minute (" + perMinute + "): ask for fewer (max_tokens) or a higher limit", null, headers);
    }

    static RateLimitedException inFlight(String key, int limit, RateLimitHeaders headers) {
        return new RateLimitedException("Key '" + key + "' has " + limit + " requests in flight, its limit", Duration.ofSeconds(1), headers);
    }

    static RateLimitedException requests(String key, long perMinute, Duration wait, RateLimitHeaders headers) {
        return new RateLimitedException("Key '" + key + "' has used its " + perMinute + " requests a minute", wait, headers);
    }

    static RateLimitedException tokens(String key, long perMinute, Duration wait, RateLimitHeaders headers) {
        return new RateLimitedException("Key '" + key + "' has used its " + perMinute + " tokens a minute", wait, headers);
    }
}
