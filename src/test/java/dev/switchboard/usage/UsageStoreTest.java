package dev.switchboard.usage;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.r2dbc.spi.ConnectionFactories;

/** The store's write path on an in-memory H2 in PostgreSQL mode: multi-row inserts, and replays that overlap. */
class UsageStoreTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private UsageStore store;

    @BeforeEach
    void freshDatabase() {
        store = new UsageStore(ConnectionFactories.get("r2dbc:h2:mem:///store-" + UUID.randomUUID() + ";MODE=PostgreSQL;DB_CLOSE_DELAY=-1"));
        store.migrate().block(WAIT);
    }

    @Test
    void aBatchLargerThanOneInsertIsStoredWholeAndDebitedOncePerRecord() {
        List<UsageRecord> batch = new ArrayList<>();
        for (int i = 0; i < 123; i++) batch.add(record(i % 2 == 0 ? "team-a" : "team-b", 3, i % 5 == 0 ? null : 40L));
        store.write(batch).block(WAIT);

        assertThat(store.find(null, null, null, null, null, 1000).collectList().block(WAIT)).hasSize(123);
        assertThat(store.balances().block(WAIT).get("team-a").used()).isEqualTo(62 * 3);
        assertThat(store.balances().block(WAIT).get("team-b").used()).isEqualTo(61 * 3);
        UsageRecord one = batch.get(5);
        assertThat(store.byRequestId(one.requestId()).blockFirst(WAIT)).isEqualTo(one);
    }

    @Test
    void aReplayThatOverlapsWhatIsStoredAddsOnlyTheNewRecordsAndDebitsOnlyThem() {
        UsageRecord a = record("team-a", 5, 10L), b = record("team-a", 7, 10L), c = record("team-a", 11, null);
        store.write(List.of(a, b)).block(WAIT);
        store.write(List.of(b, c)).block(WAIT);
        store.write(List.of(a, b, c)).block(WAIT);

        assertThat(store.find("team-a", null, null, null, null, 100).collectList().block(WAIT))
                .extracting(UsageRecord::id).containsExactlyInAnyOrder(a.id(), b.id(), c.id());
        assertThat(store.balances().block(WAIT).get("team-a").used()).isEqualTo(5 + 7 + 11);
    }

    private static UsageRecord record(String key, long credits, Long ttft) {
        return new UsageRecord(RecordId.next(), "req-" + UUID.randomUUID(), Instant.parse("2026-11-23T10:00:00Z"), key,
                "CHAT_COMPLETIONS", "m1", "up", ttft == null ? null : "model-x", ttft != null, 200, UsageRecord.OK, 1,
                100, 20, 3, 10, 0, "upstream", new BigDecimal("0.000123"), credits, ttft == null ? null : new BigDecimal("0.0001"),
                null, 12, ttft);
    }
}
