package dev.switchboard.ui;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.springframework.http.HttpCookie;
import org.springframework.http.ResponseCookie;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.server.ServerRequest;

import dev.switchboard.config.KeyDigest;

/**
 * The dashboard's sign-in sessions: a cookie holding a random id, an end time and a role, signed with a key
 * derived from the admin key (and, for a viewer's session, the viewer key). Nothing is stored, so every
 * replica that shares the routes file accepts a session any of them issued, and changing the admin key ends
 * every session (the viewer key, every viewer's). Each session has its own CSRF token (derived from the id),
 * which every change made with the cookie must send back in {@value #CSRF_HEADER}.
 * <p>
 * Signing out clears the browser's cookie and remembers the id on this replica until it would have expired
 * anyway (at most {@value #MAX_SIGNED_OUT} ids, oldest dropped first).
 */
@Component
public class UiSessions {
    public static final String COOKIE = "switchboard_session";
    public static final String CSRF_HEADER = "X-CSRF-Token";
    public static final Duration LIFETIME = Duration.ofHours(12);
    static final int MAX_SIGNED_OUT = 10_000;

    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder B64_DECODER = Base64.getUrlDecoder();
    private final SecureRandom random = new SecureRandom();
    private final Map<String, Instant> signedOut = new ConcurrentHashMap<>();
    private final Clock clock;

    public UiSessions() {
        this(Clock.systemUTC());
    }

    UiSessions(Clock clock) {
        this.clock = clock;
    }

    /** What a session may do: everything the admin key may, or read only (the viewer key's). */
    public enum Role {
        ADMIN("a"), VIEWER("v");

        final String code;

        Role(String code) {
            this.code = code;
        }
    }

    /** A signed-in browser: the session's id, when it ends, its role, and the token its changes must carry. */
    public record Session(String id, Instant expires, Role role, String csrfToken) {}

    /** A new session's cookie value. */
    public String issue(String adminKey, String viewerKey, Role role) {
        byte[] id = new byte[18];
        random.nextBytes(id);
        String payload = B64.encodeToString(id) + "." + clock.instant().plus(LIFETIME).getEpochSecond() + "." + role.code;
        return payload + "." + B64.encodeToString(mac(signingKey(adminKey, viewerKey, role), "session:" + payload));
    }

    /** The session a cookie value stands for, or null when it is forged, expired, signed out or malformed. */
    public Session verify(String adminKey, String viewerKey, String value) {
        if (adminKey.isEmpty() || value == null || value.length() > 200) return null;
        String[] parts = value.split("\\.", -1);
        if (parts.length != 4 || parts[0].isEmpty()) return null;
        Role role = parts[2].equals(Role.ADMIN.code) ? Role.ADMIN : parts[2].equals(Role.VIEWER.code) ? Role.VIEWER : null;
        if (role == null || role == Role.VIEWER && viewerKey.isEmpty()) return null;
        String payload = parts[0] + "." + parts[1] + "." + parts[2];
        byte[] presented;
        try {
            presented = B64_DECODER.decode(parts[3]);
        } catch (IllegalArgumentException e) {
            return null;
        }
        if (!MessageDigest.isEqual(presented, mac(signingKey(adminKey, viewerKey, role), "session:" + payload))) return null;
        Instant expires;
        try {
            expires = Instant.ofEpochSecond(Long.parseLong(parts[1]));
        } catch (NumberFormatException | java.time.DateTimeException e) {
            return null;
        }
        String id = parts[0];
        if (!clock.instant().isBefore(expires) || signedOut.containsKey(id)) return null;
        return new Session(id, expires, role, B64.encodeToString(mac(adminKey, "csrf:" + id)));
    }

    /** The session of the request's cookie, or null. */
    public Session of(ServerRequest request, String adminKey, String viewerKey) {
        HttpCookie cookie = request.cookies().getFirst(COOKIE);
        return cookie == null ? null : verify(adminKey, viewerKey, cookie.getValue());
    }

    /** A viewer's sessions are signed with the viewer key too, so changing it ends them. */
    private static String signingKey(String adminKey, String viewerKey, Role role) {
        return role == Role.ADMIN ? adminKey : adminKey + "\u0000" + viewerKey;
    }

    /** Whether a change sent with the session's cookie carries its CSRF token, compared in constant time. */
    public static boolean csrfMatches(Session session, String presented) {
        return KeyDigest.matches(presented, session.csrfToken());
    }

    public void signOut(Session session) {
        Instant now = clock.instant();
        if (signedOut.size() >= MAX_SIGNED_OUT) {
            for (Iterator<Map.Entry<String, Instant>> it = signedOut.entrySet().iterator(); it.hasNext(); ) {
                if (!it.next().getValue().isAfter(now)) it.remove();
            }
            // still full of live sessions: the one closest to its end goes, as it would soonest anyway
            while (signedOut.size() >= MAX_SIGNED_OUT) {
                signedOut.entrySet().stream().min(Map.Entry.comparingByValue()).ifPresent(e -> signedOut.remove(e.getKey()));
            }
        }
        signedOut.put(session.id(), session.expires());
    }

    /**
     * The session cookie: HttpOnly, SameSite=Strict, scoped to the gateway's own paths, and Secure when the
     * browser came over TLS (directly or, per {@code X-Forwarded-Proto}, through a proxy that ended it).
     */
    public static ResponseCookie cookie(ServerRequest request, String value, Duration maxAge) {
        return ResponseCookie.from(COOKIE, value).httpOnly(true).sameSite("Strict").path("/").secure(overTls(request))
                .maxAge(maxAge).build();
    }

    static boolean overTls(ServerRequest request) {
        return "https".equalsIgnoreCase(request.uri().getScheme())
                || "https".equalsIgnoreCase(request.headers().firstHeader("X-Forwarded-Proto"));
    }

    private static byte[] mac(String adminKey, String message) {
        try {
            byte[] key = MessageDigest.getInstance("SHA-256").digest(("switchboard-ui:" + adminKey).getBytes(StandardCharsets.UTF_8));
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(message.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }
}
