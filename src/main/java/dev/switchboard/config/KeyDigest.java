package dev.switchboard.config;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Client keys are kept and compared only as SHA-256 digests, so the routes table never holds a raw key. */
public final class KeyDigest {
    /** One per thread: every request digests its key, and looking the algorithm up cost more than hashing. */
    private static final ThreadLocal<MessageDigest> SHA_256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    });

    private KeyDigest() {}

    /** Whether a presented secret is the expected one (the admin or viewer key), compared in constant time. */
    public static boolean matches(String presented, String expected) {
        return presented != null && MessageDigest.isEqual(presented.getBytes(StandardCharsets.UTF_8), expected.getBytes(StandardCharsets.UTF_8));
    }

    public static String sha256Hex(String key) {
        // digest() resets the instance, so the next call on this thread starts clean
        return HexFormat.of().formatHex(SHA_256.get().digest(key.getBytes(StandardCharsets.UTF_8)));
    }
}
