package dev.switchboard.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;

class KeyDigestTest {
    private static final String ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    @Test
    void isTheStandardSha256InHex() {
        assertThat(KeyDigest.sha256Hex("abc")).isEqualTo(ABC);
        assertThat(KeyDigest.sha256Hex("")).isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

    @Test
    void theDigestKeptForAThreadStartsCleanEachTime() throws Exception {
        for (int i = 0; i < 3; i++) assertThat(KeyDigest.sha256Hex("abc")).isEqualTo(ABC);
        assertThat(CompletableFuture.supplyAsync(() -> KeyDigest.sha256Hex("abc")).get()).isEqualTo(ABC);
    }

    @Test
    void aSecretMatchesOnlyItselfAndNeverNull() {
        assertThat(KeyDigest.matches("it-admin-key", "it-admin-key")).isTrue();
        assertThat(KeyDigest.matches("it-admin-kez", "it-admin-key")).isFalse();
        assertThat(KeyDigest.matches("it-admin-key ", "it-admin-key")).isFalse();
        assertThat(KeyDigest.matches(null, "it-admin-key")).isFalse();
    }
}
