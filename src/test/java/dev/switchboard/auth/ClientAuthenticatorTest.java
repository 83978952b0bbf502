package dev.switchboard.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;

import dev.switchboard.config.BudgetCalendar;
import dev.switchboard.config.ClientKey;
import dev.switchboard.keys.KeyDirectory;
import dev.switchboard.keys.MemoryKeyTable;
import dev.switchboard.config.HealthPolicy;
import dev.switchboard.config.KeyDigest;
import dev.switchboard.config.RouteTable;
import dev.switchboard.protocol.ErrorKind;
import dev.switchboard.protocol.GatewayException;

class ClientAuthenticatorTest {
    private final RouteTable table = new RouteTable("t", Instant.now(), Map.of(), Map.of(),
            Map.of(KeyDigest.sha256Hex("sk-team-a"), new ClientKey("team-a", null)), "", "", HealthPolicy.DEFAULTS,
            RouteTable.DEFAULT_CREDITS_PER_USD, dev.switchboard.config.ModelNames.NONE);
    private final ClientAuthenticator authenticator = new ClientAuthenticator(
            new KeyDirectory(new MemoryKeyTable(), BudgetCalendar.utc(), periods -> { }));

    private static HttpHeaders headers(String name, String value) {
        HttpHeaders h = new HttpHeaders();
        h.set(name, value);
        return h;
    }

    @Test
    void acceptsBearerAndXApiKey() {
        assertThat(authenticator.authenticate(table, headers("Authorization", "Bearer sk-team-a"))).isEqualTo(new ClientKey("team-a", null));
        assertThat(authenticator.authenticate(table, headers("Authorization", "bearer sk-team-a")).name()).isEqualTo("team-a");
        assertThat(authenticator.authenticate(table, headers("x-api-key", "sk-team-a")).name()).isEqualTo("team-a");
    }

    @Test
    void refusesMissingAndWrongKeysWithoutEchoingThem() {
        assertThatThrownBy(() -> authenticator.authenticate(table, new HttpHeaders()))
                .isInstanceOfSatisfying(GatewayException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.AUTHENTICATION))
                .hasMessageContaining("Missing API key");
        assertThatThrownBy(() -> authenticator.authenticate(table, headers("x-api-key", "sk-wrong-guess")))
                .hasMessage("Invalid API key: unknown, revoked or expired");
        assertThatThrownBy(() -> authenticator.authenticate(table, headers("Authorization", "Basic c2stdGVhbS1h")))
                .isInstanceOf(GatewayException.class);
    }
}
