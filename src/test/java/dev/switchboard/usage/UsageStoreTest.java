package dev.switchboard.usage;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.switchboard.protocol.ApiEndpoint;
import dev.switchboard.store.SqliteDatabase;

/**
 * The embedded SQLite store: batches stored whole and debited once per record, replays that overlap, money
 * summed exactly through the hourly rollups, the admin API's queries on their indexes, retention, and a WAL
 * that stays bounded while readers never stop.
 */
class UsageStoreTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Instant T = Instant.parse("2026-11-23T10:15:00Z");

    @TempDir
    Path dir;
    private SqliteUsageStore store;

    @BeforeEach
    void open() {
        store = TestStores.sqlite(dir);
    }

    @AfterEach
    void close() {
        store.close();
        store.database().close();
    }

    @Test
    void aBatchIsStoredWholeAndDebitedOncePerRecord() {
        List<UsageRecord> batch = new ArrayList<>();
        for (int i = 0; i < 1_234; i++) batch.add(record(i % 2 == 0 ? "team-a" : "team-b", 3, i % 5 == 0 ? null : 40L, T));
        store.write(batch).block(WAIT);

        assertThat(store.find(null, null, null, null, null, 1000).collectList().block(WAIT)).hasSize(1000);
        assertThat(store.balances().block(WAIT).get("team-a").used()).isEqualTo(617 * 3);
        assertThat(store.balances().block(WAIT).get("team-b").used()).isEqualTo(617 * 3);
        UsageRecord one = batch.get(5);
        assertThat(store.byRequestId(one.requestId()).blockFirst(WAIT)).isEqualTo(one);
        UsageRecord withTtft = batch.get(6);
        assertThat(store.byRequestId(withTtft.requestId()).blockFirst(WAIT)).isEqualTo(withTtft);
    }

    @Test
    void aReplayThatOverlapsWhatIsStoredAddsOnlyTheNewRecordsAndCountsThemOnce() {
        UsageRecord a = record("team-a", 5, 10L, T), b = record("team-a", 7, 10L, T), c = record("team-a", 11, null, T);
        store.write(List.of(a, b)).block(WAIT);
        store.write(List.of(b, c)).block(WAIT);
        store.write(List.of(a, b, c)).block(WAIT);

        assertThat(store.find("team-a", null, null, null, null, 100).collectList().block(WAIT))
                .extracting(UsageRecord::id).containsExactlyInAnyOrder(a.id(), b.id(), c.id());
        assertThat(store.balances().block(WAIT).get("team-a").used()).isEqualTo(5 + 7 + 11);
        UsageStore.Summary summary = store.summary(UsageStore.Grouping.KEY, null, null).blockFirst(WAIT);
        assertThat(summary.requests()).isEqualTo(3);
        assertThat(summary.credits()).isEqualTo(23);
    }

    /** The store inserts a batch a few dozen records at a time: what is new is found across those pieces. */
    @Test
    void aLongReplayCountsTheNewRecordsWhereverTheyFallInIt() {
        List<UsageRecord> all = new ArrayList<>();
        for (int i = 0; i < 150; i++) all.add(record("team-a", i + 1, null, T));
        List<UsageRecord> stored = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) if (i % 3 != 1 && (i < 40 || i > 90)) stored.add(all.get(i));
        store.write(stored).block(WAIT);
        long before = store.balances().block(WAIT).get("team-a").used();

        store.write(all).block(WAIT);

        long missing = 0;
        for (int i = 0; i < all.size(); i++) if (!stored.contains(all.get(i))) missing += i + 1;
        assertThat(store.balances().block(WAIT).get("team-a").used()).isEqualTo(before + missing);
        assertThat(store.summary(UsageStore.Grouping.KEY, null, null).blockFirst(WAIT).requests()).isEqualTo(all.size());
    }

    @Test
    void summariesAreExactToTheFemtoDollarPastWhatALongOfFemtoDollarsHolds() {
        // $5,000 a record: two records pass the $9,223 a long of femto-dollars holds; the odd digits must survive
        BigDecimal big = new BigDecimal("5000.123456789012345");
        BigDecimal small = new BigDecimal("0.000000000000001");
        List<UsageRecord> batch = new ArrayList<>();
        for (int i = 0; i < 4; i++) batch.add(withCost(record("team-a", 1, null, T.plusSeconds(i * 1_800L)), big));
        batch.add(withCost(record("team-a", 1, null, T), small));
        store.write(batch).block(WAIT);
        store.write(List.of(withCost(record("team-a", 1, null, T.plusSeconds(7_200)), small))).block(WAIT);

        UsageStore.Summary all = store.summary(UsageStore.Grouping.KEY, null, null).blockFirst(WAIT);
        assertThat(all.costUsd()).isEqualByComparingTo(big.multiply(BigDecimal.valueOf(4)).add(small).add(small));
        assertThat(all.costUsd().toPlainString()).isEqualTo("20000.493827156049382");
        // by whole hours: 10:00 holds the records at 10:15 and 10:45
        UsageStore.Summary firstHour = store.summary(UsageStore.Grouping.ALIAS, T, T).blockFirst(WAIT);
        assertThat(firstHour.requests()).isEqualTo(3);
        assertThat(firstHour.costUsd()).isEqualByComparingTo(big.multiply(BigDecimal.valueOf(2)).add(small));
    }

    /**
     * A summary over any span of whole hours adds the daily rollups of the whole days within it and the hourly
     * ones at either end: the same totals as the records in that span, summed one by one.
     */
    @Test
    void summariesOverAnySpanMatchTheRecordsInItsWholeHours() {
        Instant start = Instant.parse("2026-11-20T00:00:00Z");
        List<UsageRecord> all = new ArrayList<>();
        for (int i = 0; i < 4 * 24 * 60 / 17; i++) {
            all.add(withCost(record(i % 3 == 0 ? "team-a" : "team-b", 1 + i % 4, null, start.plusSeconds(i * 17L * 60)),
                    new BigDecimal("0.00000" + (1 + i % 9) + "000000007")));
        }
        store.write(all).block(WAIT);
        java.util.SplittableRandom random = new java.util.SplittableRandom(42);
        for (int n = 0; n < 40; n++) {
            Instant from = start.plusSeconds(random.nextLong(4 * 86_400L));
            Instant to = from.plusSeconds(random.nextLong(3 * 86_400L));
            Instant lo = from.truncatedTo(java.time.temporal.ChronoUnit.HOURS);
            Instant hi = to.truncatedTo(java.time.temporal.ChronoUnit.HOURS).plusSeconds(3_600);
            List<UsageRecord> inSpan = all.stream().filter(r -> r.key().equals("team-a") && !r.time().isBefore(lo) && r.time().isBefore(hi)).toList();
            UsageStore.Summary summary = store.summary(UsageStore.Grouping.KEY, from, to).filter(g -> g.group().equals("team-a")).blockFirst(WAIT);
            String span = from + " to " + to;
            if (inSpan.isEmpty()) {
                assertThat(summary).as(span).isNull();
                continue;
            }
            assertThat(summary.requests()).as(span).isEqualTo(inSpan.size());
            assertThat(summary.credits()).as(span).isEqualTo(inSpan.stream().mapToLong(UsageRecord::credits).sum());
            assertThat(summary.costUsd()).as(span).isEqualByComparingTo(inSpan.stream().map(UsageRecord::costUsd).reduce(BigDecimal.ZERO, BigDecimal::add));
        }
    }

    @Test
    void theRequestLogsQueriesUseTheirIndexesAndSummariesReadOnlyTheRollups() throws Exception {
        assertThat(plan("SELECT " + UsageStore.COLUMNS + " FROM usage_records WHERE request_id = ? ORDER BY time", "r"))
                .contains("USING INDEX usage_records_request").doesNotContain("SCAN usage_records");
        assertThat(plan("SELECT " + UsageStore.COLUMNS + " FROM usage_records WHERE 1 = 1 AND key_name = ? ORDER BY time DESC, id DESC LIMIT 100", "k"))
                .contains("USING INDEX usage_records_key_time").doesNotContain("TEMP B-TREE").doesNotContain("SCAN usage_records ");
        assertThat(plan("SELECT " + UsageStore.COLUMNS + " FROM usage_records WHERE 1 = 1 ORDER BY time DESC, id DESC LIMIT 100"))
                .contains("usage_records_time").doesNotContain("TEMP B-TREE");
        assertThat(plan("SELECT key_name, SUM(requests) FROM (SELECT key_name, requests FROM usage_daily WHERE day >= ? AND day < ? "
                + "UNION ALL SELECT key_name, requests FROM usage_hourly WHERE hour >= ? AND hour < ?) GROUP BY key_name", 0L, 1L, 0L, 1L))
                .contains("SEARCH usage_daily USING PRIMARY KEY (day>? AND day<?)")
                .contains("SEARCH usage_hourly USING PRIMARY KEY (hour>? AND hour<?)").doesNotContain("usage_records");
    }

    private String plan(String sql, Object... binds) throws Exception {
        try (Connection c = store.database().openWriter(); PreparedStatement s = c.prepareStatement("EXPLAIN QUERY PLAN " + sql)) {
            for (int i = 0; i < binds.length; i++) s.setObject(i + 1, binds[i]);
            StringBuilder plan = new StringBuilder();
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) plan.append(r.getString("detail")).append('\n');
            }
            return plan.toString();
        }
    }

    @Test
    void retentionDeletesOldRecordsInSmallBatchesAndKeepsTheirRollupsLonger() {
        Instant now = Instant.parse("2026-12-01T00:00:00Z");
        List<UsageRecord> batch = new ArrayList<>();
        for (int i = 0; i < 25; i++) batch.add(record("team-a", 1, null, now.minus(Duration.ofDays(100)).plusSeconds(i)));
        UsageRecord recent = record("team-a", 1, null, now.minus(Duration.ofDays(1)));
        batch.add(recent);
        store.write(batch).block(WAIT);

        Instant recordsBefore = now.minus(Duration.ofDays(90)), rollupsBefore = now.minus(Duration.ofDays(1000));
        assertThat(store.purge(recordsBefore, rollupsBefore, 10).block(WAIT)).isEqualTo(10);
        assertThat(store.purge(recordsBefore, rollupsBefore, 10).block(WAIT)).isEqualTo(10);
        assertThat(store.purge(recordsBefore, rollupsBefore, 10).block(WAIT)).isEqualTo(5);
        assertThat(store.find(null, null, null, null, null, 100).collectList().block(WAIT)).extracting(UsageRecord::id).containsExactly(recent.id());
        assertThat(store.summary(UsageStore.Grouping.KEY, null, null).blockFirst(WAIT).requests()).as("rollups outlive raw records").isEqualTo(26);
        assertThat(store.purge(recordsBefore, now, 10).block(WAIT)).as("an old hour's and day's rollups").isEqualTo(2);
        assertThat(store.summary(UsageStore.Grouping.KEY, null, null).blockFirst(WAIT).requests()).isEqualTo(1);
    }

    /**
     * Readers back to back keep SQLite's own checkpoints from reaching the WAL's end; the writer's checkpoint
     * after a batch that left it large waits for the readers of the moment and empties it.
     */
    @Test
    void theWalStaysBoundedWhileReadersNeverStop() throws Exception {
        AtomicBoolean reading = new AtomicBoolean(true);
        AtomicLong reads = new AtomicLong();
        // three readers, so one snapshot or another is always open, as a dashboard's and an API client's would be
        List<Thread> readers = new ArrayList<>();
        for (int r = 0; r < 3; r++) {
            readers.add(Thread.ofPlatform().start(() -> {
                while (reading.get()) {
                    store.find(null, null, null, null, null, 1000).collectList().block(WAIT);
                    store.summary(UsageStore.Grouping.KEY, null, null).collectList().block(WAIT);
                    reads.incrementAndGet();
                }
            }));
        }
        long largest = 0;
        try {
            for (int b = 0; b < 200; b++) {
                List<UsageRecord> batch = new ArrayList<>();
                for (int i = 0; i < 500; i++) batch.add(record("team-a", 1, 40L, T.plusSeconds(b)));
                store.write(batch).block(WAIT);
                largest = Math.max(largest, store.database().walBytes());
            }
        } finally {
            reading.set(false);
            for (Thread reader : readers) reader.join(WAIT.toMillis());
        }
        assertThat(reads.get()).as("the readers ran throughout").isGreaterThan(10);
        assertThat(store.find(null, null, null, null, null, 1).collectList().block(WAIT)).hasSize(1);
        assertThat(largest).as("WAL bytes at most").isLessThan(2 * SqliteDatabaseLimits.CHECKPOINT_BYTES);
    }

    /**
     * The request log pages by cursor through records that share a time, in order, none twice; each filter
     * finds exactly its records; the outcome counts and the chart's buckets match the records one by one.
     */
    @Test
    void theRequestLogPagesByCursorAndTheDashboardsSumsMatchTheRecords() {
        Instant start = Instant.parse("2026-11-20T22:00:00Z");
        List<UsageRecord> all = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            UsageRecord r = record("key-" + i % 4, 1 + i % 3, null, start.plusSeconds((i / 2) * 60L)); // two records a minute
            all.add(new UsageRecord(r.id(), r.requestId(), r.time(), r.key(), r.endpoint(), "alias-" + i % 3, "up-" + i % 2,
                    r.upstreamModel(), r.stream(), r.status(), i % 10 == 0 ? Outcome.UPSTREAM_ERROR : i % 25 == 1 ? Outcome.CLIENT_CANCELLED : Outcome.OK,
                    r.attempts(), r.promptTokens(), r.completionTokens(), r.reasoningTokens(), r.cachedTokens(), r.cacheWriteTokens(),
                    r.usageSource(), r.costUsd(), r.credits(), r.upstreamCostUsd(), r.upstreamCredits(), r.latencyMs(), r.ttftMs()));
        }
        store.write(all).block(WAIT);
        java.util.Comparator<UsageRecord> newestFirst = java.util.Comparator.comparing(UsageRecord::time).thenComparing(UsageRecord::id).reversed();

        RecordQuery alias1 = new RecordQuery(null, "alias-1", null, null, null, null, null);
        List<String> paged = new ArrayList<>();
        RecordQuery.Cursor cursor = null;
        for (int page = 0; page < 20; page++) {
            RecordQuery q = new RecordQuery(null, "alias-1", null, null, null, null, cursor);
            List<UsageRecord> records = store.find(q, 7).collectList().block(WAIT);
            records.forEach(r -> paged.add(r.id()));
            if (records.size() < 7) break;
            cursor = RecordQuery.Cursor.parse(RecordQuery.Cursor.after(records.getLast()).text());
        }
        assertThat(paged).containsExactlyElementsOf(all.stream().filter(r -> r.alias().equals("alias-1")).sorted(newestFirst).map(UsageRecord::id).toList());
        assertThat(store.find(alias1, 1000).collectList().block(WAIT)).hasSize(100);

        RecordQuery errorsOfUp0 = new RecordQuery(null, null, "up-0", Outcome.UPSTREAM_ERROR, start.plusSeconds(600), null, null);
        assertThat(store.find(errorsOfUp0, 1000).map(UsageRecord::id).collectList().block(WAIT)).containsExactlyElementsOf(all.stream()
                .filter(r -> r.upstream().equals("up-0") && r.outcome() == Outcome.UPSTREAM_ERROR && !r.time().isBefore(start.plusSeconds(600)))
                .sorted(newestFirst).map(UsageRecord::id).toList());

        assertThat(store.count(java.util.EnumSet.of(Outcome.UPSTREAM_ERROR, Outcome.CLIENT_CANCELLED, Outcome.GATEWAY_STOPPED), start, null).block(WAIT))
                .containsEntry(Outcome.UPSTREAM_ERROR, 30L).containsEntry(Outcome.CLIENT_CANCELLED, all.stream().filter(r -> r.outcome() == Outcome.CLIENT_CANCELLED).count())
                .containsEntry(Outcome.GATEWAY_STOPPED, 0L);

        for (UsageStore.Bucket bucket : UsageStore.Bucket.values()) {
            List<UsageStore.Point> points = store.series(UsageStore.Grouping.UPSTREAM, bucket, start.plusSeconds(1_800), start.plusSeconds(86_400)).collectList().block(WAIT);
            java.util.Map<String, Long> expected = new java.util.TreeMap<>();
            for (UsageRecord r : all) {
                if (r.time().isBefore(bucket.start(start.plusSeconds(1_800))) || !r.time().isBefore(start.plusSeconds(86_400))) continue;
                expected.merge(bucket.start(r.time()) + " " + r.upstream(), r.credits(), Long::sum);
            }
            java.util.Map<String, Long> actual = new java.util.TreeMap<>();
            points.forEach(p -> actual.put(p.bucket() + " " + p.group(), p.credits()));
            assertThat(actual).as(bucket.name()).isEqualTo(expected);
        }
    }

    /**
     * Each filter of the request log walks an index in time order and never sorts what it found: a page costs
     * its own size at a million records as at ten.
     */
    @Test
    void eachRequestLogFilterWalksAnIndexInTimeOrder() {
        Instant t = Instant.parse("2026-11-20T00:00:00Z");
        java.util.Map<String, RecordQuery> queries = new java.util.LinkedHashMap<>();
        queries.put("usage_records_time", RecordQuery.ALL);
        queries.put("usage_records_key_time", new RecordQuery("k", null, null, null, t, null, null));
        queries.put("usage_records_alias_time", new RecordQuery(null, "a", null, null, null, t, null));
        queries.put("usage_records_upstream_time", new RecordQuery(null, null, "u", null, null, null, new RecordQuery.Cursor(t, "x")));
        queries.put("usage_records_outcome_time", new RecordQuery(null, null, null, Outcome.UPSTREAM_ERROR, t, t.plusSeconds(60), null));
        queries.forEach((index, query) -> {
            SqliteUsageStore.Query q = SqliteUsageStore.findQuery(query, 50);
            String plan = store.database().onPooled(c -> {
                try (java.sql.PreparedStatement s = c.prepareStatement("EXPLAIN QUERY PLAN " + q.sql())) {
                    for (int i = 0; i < q.binds().size(); i++) s.setObject(i + 1, q.binds().get(i));
                    StringBuilder out = new StringBuilder();
                    try (java.sql.ResultSet rows = s.executeQuery()) {
                        while (rows.next()) out.append(rows.getString("detail")).append('\n');
                    }
                    return out.toString();
                }
            }).block(WAIT);
            assertThat(plan).as(q.sql()).containsPattern("USING INDEX " + index + "\\b").doesNotContain("TEMP B-TREE");
        });
    }

    static UsageRecord record(String key, long credits, Long ttft, Instant time) {
        return new UsageRecord(RecordId.next(), "req-" + UUID.randomUUID(), time, key,
                ApiEndpoint.CHAT_COMPLETIONS, "m1", "up", ttft == null ? null : "model-x", ttft != null, 200, Outcome.OK, 1,
                100, 20, 3, 10, 0, UsageSource.UPSTREAM, new BigDecimal("0.000123"), credits, ttft == null ? null : new BigDecimal("0.0001"),
                null, 12, ttft);
    }

    private static UsageRecord withCost(UsageRecord r, BigDecimal cost) {
        return new UsageRecord(r.id(), r.requestId(), r.time(), r.key(), r.endpoint(), r.alias(), r.upstream(), r.upstreamModel(), r.stream(),
                r.status(), r.outcome(), r.attempts(), r.promptTokens(), r.completionTokens(), r.reasoningTokens(), r.cachedTokens(),
                r.cacheWriteTokens(), r.usageSource(), cost, r.credits(), r.upstreamCostUsd(), r.upstreamCredits(), r.latencyMs(), r.ttftMs());
    }

    /** The checkpoint threshold, read where the tests can see it. */
    static final class SqliteDatabaseLimits {
        static final long CHECKPOINT_BYTES = SqliteDatabase.WAL_CHECKPOINT_BYTES;
    }
}
