package dev.switchboard.ui;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import org.junit.jupiter.api.Test;

/** The session cookie: accepted as issued, refused when forged, expired, signed out or signed by another admin key. */
class UiSessionsTest {
    private Instant now = Instant.parse("2026-12-05T12:00:00Z");
    private final UiSessions sessions = new UiSessions(new Clock() {
        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    });

    @Test
    void aSessionLivesTwelveHoursUnderTheAdminKeyThatIssuedIt() {
        String cookie = sessions.issue("admin-1", "", UiSessions.Role.ADMIN);
        UiSessions.Session session = sessions.verify("admin-1", "", cookie);
        assertThat(session).isNotNull();
        assertThat(session.expires()).isEqualTo(now.plus(UiSessions.LIFETIME));
        assertThat(sessions.verify("admin-2", "", cookie)).as("the admin key changed").isNull();
        now = now.plus(UiSessions.LIFETIME).minusSeconds(1);
        assertThat(sessions.verify("admin-1", "", cookie)).isNotNull();
        now = now.plusSeconds(1);
        assertThat(sessions.verify("admin-1", "", cookie)).as("expired").isNull();
    }

    @Test
    void aForgedOrAlteredCookieIsRefused() {
        String cookie = sessions.issue("admin", "", UiSessions.Role.ADMIN);
        String[] parts = cookie.split("\\.");
        long later = Long.parseLong(parts[1]) + Duration.ofDays(365).toSeconds();
        assertThat(sessions.verify("admin", "", parts[0] + "." + later + "." + parts[2] + "." + parts[3])).as("a longer life").isNull();
        // the id is random: its first character changed to one it is not
        String otherId = (cookie.charAt(0) == 'x' ? "y" : "x") + cookie.substring(1);
        assertThat(sessions.verify("admin", "", otherId)).as("another id").isNull();
        for (String junk : new String[] {"", ".", "..", "a.b.c", "a.1.%%%", cookie + "x", "a".repeat(500)}) {
            assertThat(sessions.verify("admin", "", junk)).as(junk).isNull();
        }
        assertThat(sessions.verify("", "", cookie)).as("no admin key, no session").isNull();
    }

    @Test
    void aViewersSessionReadsOnlyAndEndsWhenTheViewerKeyChanges() {
        String viewer = sessions.issue("admin", "viewer", UiSessions.Role.VIEWER);
        String admin = sessions.issue("admin", "viewer", UiSessions.Role.ADMIN);
        assertThat(sessions.verify("admin", "viewer", viewer).role()).isEqualTo(UiSessions.Role.VIEWER);
        assertThat(sessions.verify("admin", "viewer", admin).role()).isEqualTo(UiSessions.Role.ADMIN);
        String[] parts = viewer.split("\\.");
        assertThat(sessions.verify("admin", "viewer", parts[0] + "." + parts[1] + ".a." + parts[3])).as("promoted by hand").isNull();
        assertThat(sessions.verify("admin", "another-viewer", viewer)).as("the viewer key changed").isNull();
        assertThat(sessions.verify("admin", "", viewer)).as("the viewer key removed").isNull();
        assertThat(sessions.verify("admin", "another-viewer", admin)).as("the admin's session lives on").isNotNull();
    }

    @Test
    void signingOutEndsTheSessionAndOnlyIt() {
        String first = sessions.issue("admin", "", UiSessions.Role.ADMIN);
        String second = sessions.issue("admin", "", UiSessions.Role.ADMIN);
        UiSessions.Session session = sessions.verify("admin", "", first);
        sessions.signOut(session);
        assertThat(sessions.verify("admin", "", first)).isNull();
        assertThat(sessions.verify("admin", "", second)).isNotNull();
    }

    @Test
    void eachSessionHasItsOwnCsrfToken() {
        UiSessions.Session a = sessions.verify("admin", "", sessions.issue("admin", "", UiSessions.Role.ADMIN));
        UiSessions.Session b = sessions.verify("admin", "", sessions.issue("admin", "", UiSessions.Role.ADMIN));
        assertThat(a.csrfToken()).isNotEqualTo(b.csrfToken()).hasSizeGreaterThan(30);
        assertThat(UiSessions.csrfMatches(a, a.csrfToken())).isTrue();
        assertThat(UiSessions.csrfMatches(a, b.csrfToken())).isFalse();
        assertThat(UiSessions.csrfMatches(a, null)).isFalse();
    }
}
