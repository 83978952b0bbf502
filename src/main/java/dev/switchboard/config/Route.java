package dev.switchboard.config;

import java.util.List;

/**
 * A model alias clients send as {@code model}, and the targets that can serve it.
 *
 * @param expectedOutputTokens the output assumed by the cost estimate when a request sets no max tokens
 * @param maxAttempts how many targets one request may try
 * @param translate whether a target that speaks the other protocol than the client may serve it, translated
 */
public record Route(String alias, List<Target> targets, int expectedOutputTokens, int maxAttempts, boolean translate) {
    public static final int DEFAULT_EXPECTED_OUTPUT_TOKENS = 256;
    public static final int DEFAULT_MAX_ATTEMPTS = 3;
}
