package dev.switchboard.keys;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A client key made through the admin API, as its row keeps it: the secret only as its SHA-256, and during a
 * rotation's grace period the previous secret's too.
 *
 * @param previousDigest the secret before the last rotation, accepted until {@code previousUntil}; or null
 * @param team           the team it belongs to, or null
 * @param aliases        names or patterns it may use; empty for every alias
 * @param credits        its budget in credits each period, or null for none
 * @param period         none, daily, weekly or monthly
 * @param expiresAt      when it stops working by itself, or null
 * @param revokedAt      when it was revoked, or null
 */
public record VirtualKey(String name, String digest, String previousDigest, Instant previousUntil, String team,
                         Map<String, String> metadata, List<String> aliases, Long credits, String period, Limits limits,
                         Instant expiresAt, Instant revokedAt, Instant createdAt, Instant updatedAt) {

    /** Rate limits, each null for none. */
    public record Limits(Long requestsPerMinute, Long tokensPerMinute, Integer concurrent) {
        public static final Limits NONE = new Limits(null, null, null);
    }

    /** What the admin API says of it now. */
    public String state(Instant now) {
        if (revokedAt != null) return "revoked";
        if (expiresAt != null && !now.isBefore(expiresAt)) return "expired";
        return "active";
    }
}
