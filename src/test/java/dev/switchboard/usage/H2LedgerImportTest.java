package dev.switchboard.usage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.r2dbc.autoconfigure.R2dbcProperties;

import dev.switchboard.protocol.Json;
import dev.switchboard.responses.SqliteResponseTable;
import dev.switchboard.responses.StoredResponses;
import dev.switchboard.support.LedgerFiles;
import dev.switchboard.store.SqliteDatabase;
import dev.switchboard.store.StoreConfiguration;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * An upgrade loses nothing: an H2 ledger and journal the release before the SQLite store wrote
 * (src/test/resources/upgrade/h2-ledger) are brought into SQLite on the first start, every record with all
 * its fields, each key's balance exactly, the stored response; then the journal's records that were never
 * stored are replayed on top, and the ones that were are not stored or debited twice.
 */
class H2LedgerImportTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    @Test
    void theFirstStartImportsTheH2LedgerWholeAndTheJournalReplaysOnTop() throws Exception {
        Path fixture = Path.of("src/test/resources/upgrade/h2-ledger");
        Files.copy(fixture.resolve("switchboard.mv.db"), dir.resolve("switchboard.mv.db"));
        Files.copy(fixture.resolve("usage-journal.jsonl"), dir.resolve("usage-journal.jsonl"));
        Path reference = Files.createDirectories(dir.resolve("reference"));
        Files.copy(fixture.resolve("switchboard.mv.db"), reference.resolve("switchboard.mv.db"));
        Map<String, UsageRecord> h2Records = h2Records(reference);
        Map<String, UsageStore.Balance> h2Balances = h2Balances(reference);
        assertThat(h2Records).hasSize(300);

        // the shipped defaults: the SQLite file beside where the H2 file was, found and imported as the store is made
        R2dbcProperties noUrl = new R2dbcProperties();
        StoreConfiguration.LedgerProperties ledger = new StoreConfiguration.LedgerProperties(dir.resolve("switchboard.db"),
                SqliteDatabase.Synchronous.NORMAL, null);
        SqliteDatabase db = SqliteDatabase.open(ledger.file(), ledger.synchronous());
        SqliteUsageStore store = (SqliteUsageStore) new UsageConfiguration().usageStore(db, ledger, noUrl);
        try {
            assertThat(dir.resolve("switchboard.mv.db")).doesNotExist();
            assertThat(dir.resolve("switchboard.mv.db.imported")).exists();
            Map<String, UsageRecord> imported = LedgerFiles.all(dir.resolve("switchboard.db")).stream()
                    .collect(Collectors.toMap(UsageRecord::id, r -> r));
            assertThat(imported).isEqualTo(h2Records);
            assertThat(store.balances().block(WAIT)).isEqualTo(h2Balances);
            StoredResponses responses = new StoredResponses(new SqliteResponseTable(db), Duration.ofDays(30));
            assertThat(responses.find("team-a", "resp_upgrade_1").block(WAIT).path("object").asString()).isEqualTo("response");
            UsageStore.Summary summary = store.summary(UsageStore.Grouping.KEY, null, null).filter(s -> s.group().equals("team-b")).blockFirst(WAIT);
            assertThat(summary.requests()).isEqualTo(h2Records.values().stream().filter(r -> r.key().equals("team-b")).count());
            assertThat(summary.costUsd()).isEqualByComparingTo(h2Records.values().stream().filter(r -> r.key().equals("team-b"))
                    .map(UsageRecord::costUsd).reduce(BigDecimal.ZERO, BigDecimal::add));

            // the journal the old release left: 10 records it had stored, 40 it had not
            List<UsageRecord> journaled = Files.readAllLines(dir.resolve("usage-journal.jsonl")).stream()
                    .map(line -> Json.MAPPER.readValue(line, UsageRecord.class)).toList();
            UsageJournal journal = new UsageJournal(dir.resolve("usage-journal.jsonl"));
            UsageLedger usage = new UsageLedger(store, journal, RecordLog.open(dir.resolve("usage-log"), journal),
                    UsageLedger.Retention.FOREVER, new SimpleMeterRegistry());
            usage.start();
            try {
                await().atMost(WAIT).until(journal::isEmpty);
            } finally {
                usage.stop();
            }
            Map<String, UsageRecord> all = LedgerFiles.all(dir.resolve("switchboard.db")).stream().collect(Collectors.toMap(UsageRecord::id, r -> r));
            assertThat(all).hasSize(340).containsAllEntriesOf(h2Records);
            journaled.forEach(r -> assertThat(all.get(r.id())).usingRecursiveComparison()
                    .withComparatorForType(BigDecimal::compareTo, BigDecimal.class).isEqualTo(r));
            Map<String, Long> newCredits = journaled.stream().filter(r -> !h2Records.containsKey(r.id()))
                    .collect(Collectors.groupingBy(UsageRecord::key, Collectors.summingLong(UsageRecord::credits)));
            Map<String, UsageStore.Balance> after = store.balances().block(WAIT);
            h2Balances.forEach((key, before) -> assertThat(after.get(key)).as(key)
                    .isEqualTo(new UsageStore.Balance(before.granted(), before.used() + newCredits.getOrDefault(key, 0L))));
        } finally {
            store.close();
            db.close();
        }

        // a second start finds nothing to import, and changes nothing
        SqliteDatabase again = SqliteDatabase.open(ledger.file(), ledger.synchronous());
        new UsageConfiguration().usageStore(again, ledger, noUrl).close();
        again.close();
        assertThat(LedgerFiles.all(dir.resolve("switchboard.db"))).hasSize(340);
    }

    private static Map<String, UsageRecord> h2Records(Path dir) throws Exception {
        Map<String, UsageRecord> records = new HashMap<>();
        try (Connection c = DriverManager.getConnection("jdbc:h2:file:" + dir.resolve("switchboard") + ";MODE=PostgreSQL;IFEXISTS=TRUE");
             Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT * FROM usage_records")) {
            while (r.next()) {
                long ttft = r.getLong("ttft_ms");
                Long ttftMs = r.wasNull() ? null : ttft;
                UsageRecord record = new UsageRecord(r.getString("id"), r.getString("request_id"),
                        r.getObject("time", OffsetDateTime.class).toInstant(), r.getString("key_name"),
                        dev.switchboard.protocol.ApiEndpoint.of(r.getString("endpoint")), r.getString("alias"), r.getString("upstream"),
                        r.getString("upstream_model"), r.getBoolean("stream"), r.getInt("status"),
                        Outcome.of(r.getString("outcome")), r.getInt("attempts"), r.getLong("prompt_tokens"),
                        r.getLong("completion_tokens"), r.getLong("reasoning_tokens"), r.getLong("cached_tokens"),
                        r.getLong("cache_write_tokens"), UsageSource.of(r.getString("usage_source")),
                        strip(r.getBigDecimal("cost_usd")), r.getLong("credits"), strip(r.getBigDecimal("upstream_cost_usd")),
                        strip(r.getBigDecimal("upstream_credits")), r.getLong("latency_ms"), ttftMs);
                records.put(record.id(), record);
            }
        }
        return records;
    }

    private static BigDecimal strip(BigDecimal d) {
        return d == null ? null : d.stripTrailingZeros();
    }

    private static Map<String, UsageStore.Balance> h2Balances(Path dir) throws Exception {
        Map<String, UsageStore.Balance> balances = new HashMap<>();
        try (Connection c = DriverManager.getConnection("jdbc:h2:file:" + dir.resolve("switchboard") + ";MODE=PostgreSQL;IFEXISTS=TRUE");
             Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT key_name, granted, used FROM key_credits")) {
            while (r.next()) balances.put(r.getString(1), new UsageStore.Balance(r.getLong(2), r.getLong(3)));
        }
        return balances;
    }
}
