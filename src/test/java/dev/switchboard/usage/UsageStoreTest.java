package dev.switchboard.usage;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.r2dbc.spi.ConnectionFactories;
import dev.switchboard.protocol.ApiEndpoint;

/**
 * The store's two write paths on an in-memory H2 in PostgreSQL mode: R2DBC's multi-row inserts on the
 * writer's own connection (what a database server gets) and the JDBC batches of embedded H2, each read back through R2DBC; and replays that overlap.
 */
class UsageStoreTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private UsageStore store;

    private void freshDatabase(boolean embeddedWrites) {
        String url = "r2dbc:h2:mem:///store-" + UUID.randomUUID() + ";MODE=PostgreSQL;DB_CLOSE_DELAY=-1";
        store = embeddedWrites ? new UsageStore(ConnectionFactories.get(url), EmbeddedLedgerWrites.forUrl(url, null, null, Map.of()))
                : new UsageStore(ConnectionFactories.get(url));
        store.migrate().block(WAIT);
    }

    @AfterEach
    void closeStore() {
        if (store != null) store.close();
    }

    @ParameterizedTest(name = "embedded writes: {0}")
    @ValueSource(booleans = {false, true})
    void aBatchLargerThanOneInsertIsStoredWholeAndDebitedOncePerRecord(boolean embeddedWrites) {
        freshDatabase(embeddedWrites);
        List<UsageRecord> batch = new ArrayList<>();
        for (int i = 0; i < 123; i++) batch.add(record(i % 2 == 0 ? "team-a" : "team-b", 3, i % 5 == 0 ? null : 40L));
        store.write(batch).block(WAIT);

        assertThat(store.find(null, null, null, null, null, 1000).collectList().block(WAIT)).hasSize(123);
        assertThat(store.balances().block(WAIT).get("team-a").used()).isEqualTo(62 * 3);
        assertThat(store.balances().block(WAIT).get("team-b").used()).isEqualTo(61 * 3);
        UsageRecord one = batch.get(5);
        assertThat(store.byRequestId(one.requestId()).blockFirst(WAIT)).isEqualTo(one);
    }

    @ParameterizedTest(name = "embedded writes: {0}")
    @ValueSource(booleans = {false, true})
    void aReplayThatOverlapsWhatIsStoredAddsOnlyTheNewRecordsAndDebitsOnlyThem(boolean embeddedWrites) {
        freshDatabase(embeddedWrites);
        UsageRecord a = record("team-a", 5, 10L), b = record("team-a", 7, 10L), c = record("team-a", 11, null);
        store.write(List.of(a, b)).block(WAIT);
        store.write(List.of(b, c)).block(WAIT);
        store.write(List.of(a, b, c)).block(WAIT);

        assertThat(store.find("team-a", null, null, null, null, 100).collectList().block(WAIT))
                .extracting(UsageRecord::id).containsExactlyInAnyOrder(a.id(), b.id(), c.id());
        assertThat(store.balances().block(WAIT).get("team-a").used()).isEqualTo(5 + 7 + 11);
    }

    @Test
    void embeddedWritesReachTheDatabaseR2dbcOpensAndGoOnOnANewSessionWhenTheDatabaseClosedUnderTheirs(@TempDir Path dir) throws Exception {
        String url = "r2dbc:h2:file:///" + dir.resolve("ledger") + ";MODE=PostgreSQL;DB_CLOSE_DELAY=-1";
        EmbeddedLedgerWrites writes = EmbeddedLedgerWrites.forUrl(url, null, null, Map.of());
        assertThat(writes.url()).isEqualTo("jdbc:h2:file:" + dir.resolve("ledger") + ";MODE=PostgreSQL;DB_CLOSE_DELAY=-1");
        store = new UsageStore(ConnectionFactories.get(url), writes);
        store.migrate().block(WAIT);
        UsageRecord a = record("team-a", 5, 10L), b = record("team-a", 7, null);
        store.write(List.of(a)).block(WAIT);

        // the database closes under the writes' open session (as an operator's SHUTDOWN would)
        try (Connection admin = DriverManager.getConnection(writes.url()); java.sql.Statement s = admin.createStatement()) {
            s.execute("SHUTDOWN");
        }
        store.write(List.of(b)).block(WAIT);

        assertThat(store.find("team-a", null, null, null, null, 100).collectList().block(WAIT))
                .extracting(UsageRecord::id).containsExactlyInAnyOrder(a.id(), b.id());
        assertThat(store.balances().block(WAIT).get("team-a").used()).isEqualTo(5 + 7);
    }

    /**
     * Closing the writes' session flushes what it wrote to the file: at shutdown the database may be one that
     * session reopened after H2's exit hook closed the first (DB_CLOSE_DELAY=-1 keeps it open past the session),
     * and nothing else would write it out. H2's background writer is held off here, so only the flush on close
     * can put the record in the file; a copy of the file, opened on its own, must hold it.
     */
    @Test
    void closingTheEmbeddedWritesPutsWhatTheyWroteInTheFile(@TempDir Path dir) throws Exception {
        String url = "r2dbc:h2:file:///" + dir.resolve("ledger") + ";MODE=PostgreSQL;DB_CLOSE_DELAY=-1;WRITE_DELAY=3600000";
        store = new UsageStore(ConnectionFactories.get(url), EmbeddedLedgerWrites.forUrl(url, null, null, Map.of()));
        store.migrate().block(WAIT);
        UsageRecord a = record("team-a", 5, 10L);
        store.write(List.of(a)).block(WAIT);

        store.close();
        Path copy = dir.resolve("copy");
        Files.createDirectories(copy);
        Files.copy(dir.resolve("ledger.mv.db"), copy.resolve("ledger.mv.db"));
        try (Connection c = DriverManager.getConnection("jdbc:h2:file:" + copy.resolve("ledger") + ";MODE=PostgreSQL");
             java.sql.Statement s = c.createStatement();
             java.sql.ResultSet rows = s.executeQuery("SELECT id FROM usage_records")) {
            assertThat(rows.next()).isTrue();
            assertThat(rows.getString(1)).isEqualTo(a.id());
            assertThat(rows.next()).isFalse();
        }
    }

    @Test
    void embeddedWritesTakeTheUrlsCredentialsAndTheDriversProperties() {
        EmbeddedLedgerWrites writes = EmbeddedLedgerWrites.forUrl("r2dbc:h2:mem:///ledger;MODE=PostgreSQL", "ledger", "secret",
                Map.of("LOCK_TIMEOUT", "5000"));
        assertThat(writes.url()).isEqualTo("jdbc:h2:mem:ledger;MODE=PostgreSQL;LOCK_TIMEOUT=5000");
        assertThat(writes.credentials()).containsEntry("user", "ledger").containsEntry("password", "secret");
        assertThat(EmbeddedLedgerWrites.forUrl("r2dbc:h2:mem://sa:pw@/ledger", null, null, Map.of()).credentials())
                .containsEntry("user", "sa").containsEntry("password", "pw");
        assertThat(EmbeddedLedgerWrites.forUrl("r2dbc:h2:mem:///ledger?options=MODE=PostgreSQL;DB_CLOSE_DELAY=-1", null, null, Map.of()).url())
                .isEqualTo("jdbc:h2:mem:ledger;MODE=PostgreSQL;DB_CLOSE_DELAY=-1");
    }

    private static UsageRecord record(String key, long credits, Long ttft) {
        return new UsageRecord(RecordId.next(), "req-" + UUID.randomUUID(), Instant.parse("2026-11-23T10:00:00Z"), key,
                ApiEndpoint.CHAT_COMPLETIONS, "m1", "up", ttft == null ? null : "model-x", ttft != null, 200, Outcome.OK, 1,
                100, 20, 3, 10, 0, UsageSource.UPSTREAM, new BigDecimal("0.000123"), credits, ttft == null ? null : new BigDecimal("0.0001"),
                null, 12, ttft);
    }
}
