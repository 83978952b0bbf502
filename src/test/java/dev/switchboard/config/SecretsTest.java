package dev.switchboard.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

class SecretsTest {
    @Test
    void everyOccurrenceOfTheKeyAndOfLongHeaderValuesIsReplaced() {
        Secrets secrets = Secrets.of("sk-abc123", List.of("header-secret-value", "yes"));
        assertThat(secrets.redact("key sk-abc123, again sk-abc123; header-secret-value; yes"))
                .isEqualTo("key [redacted], again [redacted]; [redacted]; yes");
    }

    @Test
    void aKeyWithCharactersJsonEscapesIsFoundInItsEscapedForm() {
        Secrets secrets = Secrets.of("k/ey\"with\\odd", List.of());
        assertThat(secrets.redact("{\"echo\":\"k/ey\\\"with\\\\odd\"}")).isEqualTo("{\"echo\":\"[redacted]\"}");
        assertThat(secrets.redact("raw k/ey\"with\\odd")).isEqualTo("raw [redacted]");
    }

    @Test
    void aSecretInsideALongerOneDoesNotLeaveThePartsOfTheLongerOne() {
        Secrets secrets = Secrets.of("abcdefgh", List.of("xxabcdefghxx"));
        assertThat(secrets.redact("a xxabcdefghxx b abcdefgh")).isEqualTo("a [redacted] b [redacted]");
    }

    @Test
    void textWithoutASecretIsTheSameArray() {
        byte[] text = "nothing to see".getBytes(StandardCharsets.UTF_8);
        assertThat(Secrets.of("sk-abc123", List.of()).redact(text)).isSameAs(text);
        assertThat(Secrets.of("", List.of()).redact("anything")).isEqualTo("anything");
    }
}
