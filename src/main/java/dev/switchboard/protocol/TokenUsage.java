package dev.switchboard.protocol;

/**
 * A request's tokens by class, normalised across protocols. {@code prompt} counts every input token,
 * cached and cache-write ones included; {@code completion} counts every output token, reasoning included
 * ({@code reasoning} is a part of it, never added again).
 */
public record TokenUsage(long prompt, long completion, long reasoning, long cached, long cacheWrite) {
    public static final TokenUsage NONE = new TokenUsage(0, 0, 0, 0, 0);
}
