package dev.switchboard.config;

/**
 * A client key as configured (the key itself is kept only as a digest).
 *
 * @param credits the key's budget in credits, or null for no limit
 * @param limits  its rate limits ({@link KeyLimits#NONE} for none)
 */
public record ClientKey(String name, Long credits, KeyLimits limits) {
    public ClientKey(String name, Long credits) {
        this(name, credits, KeyLimits.NONE);
    }
}
