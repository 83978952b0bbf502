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
}
