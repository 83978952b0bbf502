package dev.switchboard.usage;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import java.util.UUID;

import org.junit.jupiter.api.Test;

class RecordIdTest {
    @Test
    void idsAreVersionSevenUuidsThatCarryTheirTimeAndDoNotRepeat() {
        long before = System.currentTimeMillis();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            String id = RecordId.next();
            UUID uuid = UUID.fromString(id);
            assertThat(uuid.version()).isEqualTo(7);
            assertThat(uuid.variant()).isEqualTo(2);
            assertThat(uuid.getMostSignificantBits() >>> 16).isBetween(before, System.currentTimeMillis());
            seen.add(id);
        }
        assertThat(seen).hasSize(10_000);
    }
}
