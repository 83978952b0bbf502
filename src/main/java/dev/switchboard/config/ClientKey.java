package dev.switchboard.config;

/**
 * A client key as configured (the key itself is kept only as a digest).
 *
 * @param credits the key's budget in credits, or null for no limit
 */
public record ClientKey(String name, Long credits) {}
