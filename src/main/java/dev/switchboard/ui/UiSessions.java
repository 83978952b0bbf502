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

/**
 * The dashboard's sign-in sessions: a cookie holding a random id and an end time, signed with a key derived
 * from the admin key. Nothing is stored, so every replica that shares the routes file accepts a session any of
 * them issued, and changing the admin key ends every session. Each session has its own CSRF token (derived
 * from the id), which every change made with the cookie must send back in {@value #CSRF_HEADER}.
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

    /** A signed-in browser: the session's id, when it ends, and the token its changes must carry. */
    public record Session(String id, Instant expires, String csrfToken) {}

    /** A new session's cookie value. */
    public String issue(String adminKey) {
        byte[] id = new byte[18];
        random.nextBytes(id);
        String payload = B64.encodeToString(id) + "." + clock.instant().plus(LIFETIME).getEpochSecond();
        return payload + "." + B64.encodeToString(mac(adminKey, "session:" + payload));
    }

    /** The session a cookie value stands for, or null when it is forged, expired, signed out or malformed. */
    public Session verify(String adminKey, String value) {
        if (adminKey.isEmpty() || value == null || value.length() > 200) return null;
        int lastDot = value.lastIndexOf('.');
        int firstDot = value.indexOf('.');
        if (firstDot <= 0 || lastDot <= firstDot) return null;
        String payload = value.substring(0, lastDot);
        byte[] presented;
        try {
            presented = B64_DECODER.decode(value.substring(lastDot + 1));
        } catch (IllegalArgumentException e) {
            return null;
        }
        if (!MessageDigest.isEqual(presented, mac(adminKey, "session:" + payload))) return null;
        Instant expires;
        try {
            expires = Instant.ofEpochSecond(Long.parseLong(payload.substring(firstDot + 1)));
        } catch (NumberFormatException e) {
            return null;
        }
        String id = payload.substring(0, firstDot);
        if (!clock.instant().isBefore(expires) || signedOut.containsKey(id)) return null;
        return new Session(id, expires, B64.encodeToString(mac(adminKey, "csrf:" + id)));
    }

    /** The session of the request's cookie, or null. */
    public Session of(ServerRequest request, String adminKey) {
        HttpCookie cookie = request.cookies().getFirst(COOKIE);
        return cookie == null ? null : verify(adminKey, cookie.getValue());
    }

    /** Whether a change sent with the session's cookie carries its CSRF token, compared in constant time. */
    public static boolean csrfMatches(Session session, String presented) {
        return presented != null && MessageDigest.isEqual(presented.getBytes(StandardCharsets.UTF_8),
                session.csrfToken().getBytes(StandardCharsets.UTF_8));
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
