package dev.switchboard.keys;

import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import dev.switchboard.config.BudgetPeriod;
import dev.switchboard.config.KeyLimits;
import dev.switchboard.usage.UsageLedger;
import tools.jackson.databind.JsonNode;

/**
 * The admin API's key and team bodies, checked field by field: a bad one is an {@link IllegalArgumentException}
 * whose message starts with the field's name, which the API answers as a 400. A body is JSON in snake_case;
 * on a change (PATCH), a field left out is kept and a field set to null is cleared.
 */
public final class KeyRequests {
    private KeyRequests() {}

    static final Set<String> KEY_FIELDS = Set.of("name", "team", "metadata", "aliases", "credits", "period", "limits", "expires_at");
    static final Set<String> TEAM_FIELDS = Set.of("name", "metadata", "credits", "period", "limits");
    private static final Set<String> LIMIT_FIELDS = Set.of("requests_per_minute", "tokens_per_minute", "concurrent");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");
    /** A model name or a pattern of them: what a client may send as {@code model}, with * and ?. */
    private static final Pattern ALIAS = Pattern.compile("[A-Za-z0-9._:/@*?+-]{1,200}");
    private static final int MAX_METADATA = 32;
    private static final int MAX_ALIASES = 100;
    public static final Duration MAX_GRACE = Duration.ofDays(30);
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A fresh secret: 256 random bits, with a prefix that tells what it is when it turns up in a log or a repository. */
    public static String newSecret() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return "sk-sb-" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** A new key's fields, as given; its name, digest and times are the caller's to fill in. */
    public static VirtualKey key(JsonNode body, VirtualKey base, Instant now) {
        object(body, KEY_FIELDS);
        String team = body.has("team") ? optionalName(body.get("team"), "team") : base.team();
        Map<String, String> metadata = body.has("metadata") ? metadata(body.get("metadata")) : base.metadata();
        List<String> aliases = body.has("aliases") ? aliases(body.get("aliases")) : base.aliases();
        Long credits = body.has("credits") ? credits(body.get("credits"), "credits") : base.credits();
        String period = body.has("period") ? period(body.get("period")) : base.period();
        VirtualKey.Limits limits = body.has("limits") ? limits(body.get("limits")) : base.limits();
        Instant expires = body.has("expires_at") ? expiry(body.get("expires_at"), now) : base.expiresAt();
        return new VirtualKey(base.name(), base.digest(), base.previousDigest(), base.previousUntil(), team, metadata, aliases, credits,
                period, limits, expires, base.revokedAt(), base.createdAt(), now);
    }

    public static TeamRecord team(JsonNode body, TeamRecord base, Instant now) {
        object(body, TEAM_FIELDS);
        Map<String, String> metadata = body.has("metadata") ? metadata(body.get("metadata")) : base.metadata();
        Long credits = body.has("credits") ? credits(body.get("credits"), "credits") : base.credits();
        String period = body.has("period") ? period(body.get("period")) : base.period();
        VirtualKey.Limits limits = body.has("limits") ? limits(body.get("limits")) : base.limits();
        return new TeamRecord(base.name(), metadata, credits, period, limits, base.createdAt(), now);
    }

    /** The name a create body gives: required, letters, digits, dot, dash and underscore, up to 100. */
    public static String name(JsonNode body) {
        if (body == null || !body.isObject()) throw new IllegalArgumentException("body: must be a JSON object");
        JsonNode name = body.get("name");
        if (name == null || name.isNull()) throw new IllegalArgumentException("name: required");
        String value = optionalName(name, "name");
        return value;
    }

    /** A rotation's grace period for the previous secret: 0 (the default) to 30 days. */
    public static Duration grace(JsonNode body) {
        if (body == null || body.isMissingNode() || body.isNull()) return Duration.ZERO;
        object(body, Set.of("grace_seconds"));
        JsonNode g = body.get("grace_seconds");
        if (g == null || g.isNull()) return Duration.ZERO;
        if (!g.isIntegralNumber() || !g.canConvertToLong() || g.asLong() < 0 || g.asLong() > MAX_GRACE.toSeconds()) {
            throw new IllegalArgumentException("grace_seconds: a whole number of seconds from 0 to " + MAX_GRACE.toSeconds());
        }
        return Duration.ofSeconds(g.asLong());
    }

    private static void object(JsonNode body, Set<String> known) {
        if (body == null || !body.isObject()) throw new IllegalArgumentException("body: must be a JSON object");
        for (Iterator<String> names = body.propertyNames().iterator(); names.hasNext(); ) {
            String field = names.next();
            if (!known.contains(field)) {
                throw new IllegalArgumentException(field + ": unknown field (known: " + String.join(", ", known.stream().sorted().toList()) + ")");
            }
        }
    }

    private static String optionalName(JsonNode node, String field) {
        if (node.isNull()) return null;
        if (!node.isString() || !NAME.matcher(node.asString()).matches()) {
            throw new IllegalArgumentException(field + ": 1 to 100 letters, digits, '.', '-' or '_', starting with a letter or digit");
        }
        return node.asString();
    }

    private static Map<String, String> metadata(JsonNode node) {
        if (node.isNull()) return Map.of();
        if (!node.isObject()) throw new IllegalArgumentException("metadata: must be an object of text values");
        if (node.size() > MAX_METADATA) throw new IllegalArgumentException("metadata: at most " + MAX_METADATA + " entries");
        Map<String, String> values = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            if (!e.getValue().isString() || e.getKey().length() > 100 || e.getValue().asString().length() > 1000) {
                throw new IllegalArgumentException("metadata." + e.getKey() + ": must be text (names up to 100 characters, values up to 1000)");
            }
            values.put(e.getKey(), e.getValue().asString());
        }
        return values;
    }

    private static List<String> aliases(JsonNode node) {
        if (node.isNull()) return List.of();
        if (!node.isArray() || node.isEmpty()) throw new IllegalArgumentException("aliases: a non-empty array of names or patterns (null for every alias)");
        if (node.size() > MAX_ALIASES) throw new IllegalArgumentException("aliases: at most " + MAX_ALIASES);
        List<String> values = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode a = node.get(i);
            if (!a.isString() || !ALIAS.matcher(a.asString()).matches()) {
                throw new IllegalArgumentException("aliases[" + i + "]: a model name or pattern (letters, digits, . _ : / @ + - and the wildcards * and ?)");
            }
            values.add(a.asString());
        }
        return List.copyOf(values);
    }

    private static Long credits(JsonNode node, String field) {
        if (node.isNull()) return null;
        if (!node.isIntegralNumber() || !node.canConvertToLong() || node.asLong() < 0 || node.asLong() > UsageLedger.MAX_GRANT) {
            throw new IllegalArgumentException(field + ": a whole number of credits from 0 to " + UsageLedger.MAX_GRANT + " (null for no budget)");
        }
        return node.asLong();
    }

    private static String period(JsonNode node) {
        if (node.isNull()) return BudgetPeriod.NONE.wireName();
        try {
            if (!node.isString()) throw new IllegalArgumentException("must be none, daily, weekly or monthly");
            return BudgetPeriod.parse(node.asString()).wireName();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("period: " + e.getMessage());
        }
    }

    private static VirtualKey.Limits limits(JsonNode node) {
        if (node.isNull()) return VirtualKey.Limits.NONE;
        if (!node.isObject()) throw new IllegalArgumentException("limits: must be an object");
        for (Iterator<String> names = node.propertyNames().iterator(); names.hasNext(); ) {
            String field = names.next();
            if (!LIMIT_FIELDS.contains(field)) {
                throw new IllegalArgumentException("limits." + field + ": unknown field (known: concurrent, requests_per_minute, tokens_per_minute)");
            }
        }
        Long concurrent = limit(node.get("concurrent"), "limits.concurrent", Integer.MAX_VALUE);
        return new VirtualKey.Limits(limit(node.get("requests_per_minute"), "limits.requests_per_minute", KeyLimits.MAX_PER_MINUTE),
                limit(node.get("tokens_per_minute"), "limits.tokens_per_minute", KeyLimits.MAX_PER_MINUTE),
                concurrent == null ? null : concurrent.intValue());
    }

    private static Long limit(JsonNode node, String field, long max) {
        if (node == null || node.isNull()) return null;
        if (!node.isIntegralNumber() || !node.canConvertToLong() || node.asLong() < 1 || node.asLong() > max) {
            throw new IllegalArgumentException(field + ": a whole number from 1 to " + max + " (null or left out for no limit)");
        }
        return node.asLong();
    }

    private static Instant expiry(JsonNode node, Instant now) {
        if (node.isNull()) return null;
        try {
            Instant at = Instant.parse(node.asString());
            if (!at.isAfter(now)) throw new IllegalArgumentException("expires_at: must be in the future");
            return at;
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("expires_at: an ISO-8601 instant such as 2027-01-01T00:00:00Z");
        }
    }
}
