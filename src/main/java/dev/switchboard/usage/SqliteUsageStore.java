package dev.switchboard.usage;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.switchboard.protocol.ApiEndpoint;
import dev.switchboard.store.SqliteDatabase;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The ledger in the embedded SQLite file. The writer's batches go through one connection it holds, as JDBC
 * batches of a few dozen inserts whose counts say which records were new (a replay that overlaps what is
 * stored needs no second pass), then one debit per key and one rollup update per group, in one transaction.
 * Reads take a pooled connection each (see {@link SqliteDatabase}).
 */
public final class SqliteUsageStore implements UsageStore {
    private static final String INSERT = "INSERT INTO usage_records (" + COLUMNS + ") VALUES ("
            + "?, ".repeat(COLUMN_COUNT - 1) + "?) ON CONFLICT DO NOTHING";
    private static final String DEBIT = "INSERT INTO key_credits (key_name, granted, used) VALUES (?, 0, ?) "
            + "ON CONFLICT (key_name) DO UPDATE SET used = used + excluded.used";
    private static final String HOURLY = rollup("usage_hourly", "hour");
    private static final String DAILY = rollup("usage_daily", "day");

    private static String rollup(String table, String period) {
        return "INSERT INTO " + table + " (" + period + ", key_name, alias, upstream, requests, prompt_tokens, "
            + "completion_tokens, reasoning_tokens, cached_tokens, cache_write_tokens, cost_usd_micros, cost_usd_femto_rest, credits) "
            + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (" + period + ", key_name, alias, upstream) DO UPDATE SET "
            + "requests = requests + excluded.requests, prompt_tokens = prompt_tokens + excluded.prompt_tokens, "
            + "completion_tokens = completion_tokens + excluded.completion_tokens, "
            + "reasoning_tokens = reasoning_tokens + excluded.reasoning_tokens, cached_tokens = cached_tokens + excluded.cached_tokens, "
            + "cache_write_tokens = cache_write_tokens + excluded.cache_write_tokens, "
            + "cost_usd_micros = cost_usd_micros + excluded.cost_usd_micros, "
            + "cost_usd_femto_rest = cost_usd_femto_rest + excluded.cost_usd_femto_rest, credits = credits + excluded.credits";
    }

    /**
     * Records inserted between two yields of the writer's core. A batch is milliseconds of CPU: in one go it
     * kept an event loop woken on the same core waiting for its time slice to end, which was the p99 of
     * requests at one connection; a yield every few dozen records lets the loop in (docs/benchmark.md).
     */
    private static final int CHUNK = 32;

    private final SqliteDatabase db;
    /** The writer's: open between batches, dropped after a failure so the next batch starts on a fresh one. */
    private Connection writer;
    private PreparedStatement insert;
    private PreparedStatement debit;
    private PreparedStatement hourly;
    private PreparedStatement daily;

    public SqliteUsageStore(SqliteDatabase db) {
        this.db = db;
    }

    public SqliteDatabase database() {
        return db;
    }

    /** The schema is migrated when the file is opened. */
    @Override
    public Mono<Void> migrate() {
        return Mono.empty();
    }

    @Override
    public Mono<Void> write(List<UsageRecord> records) {
        return Mono.fromCallable(() -> writeNew(records)).then();
    }

    /** Stores what is new of {@code records}; returns how many were. Blocking: the ledger's writer thread's. */
    synchronized int writeNew(List<UsageRecord> records) throws SQLException {
        return db.writing(() -> writeBatch(records));
    }

    private int writeBatch(List<UsageRecord> records) throws SQLException {
        try {
            Connection c = writer();
            List<UsageRecord> stored = new ArrayList<>(records.size());
            for (int from = 0; from < records.size(); from += CHUNK) {
                if (from > 0) Thread.yield();
                List<UsageRecord> chunk = records.subList(from, Math.min(records.size(), from + CHUNK));
                for (UsageRecord r : chunk) {
                    bind(insert, r);
                    insert.addBatch();
                }
                int[] counts = insert.executeBatch();
                for (int i = 0; i < counts.length; i++) {
                    if (counts[i] > 0) stored.add(chunk.get(i));
                }
            }
            for (Map.Entry<String, Long> e : UsageStore.creditsPerKey(stored).entrySet()) {
                debit.setString(1, e.getKey());
                debit.setLong(2, e.getValue());
                debit.executeUpdate();
            }
            List<UsageRollup> hours = UsageRollup.hourly(stored);
            rollUp(hourly, hours);
            rollUp(daily, UsageRollup.daily(hours));
            c.commit();
            db.checkpointIfLarge(c);
            return stored.size();
        } catch (SQLException | RuntimeException e) {
            dropWriter();
            throw e;
        }
    }

    private static void rollUp(PreparedStatement upsert, List<UsageRollup> sums) throws SQLException {
        for (UsageRollup h : sums) {
            long[] cost = h.costMicrosAndFemtoRest();
            int i = 1;
            upsert.setLong(i++, SqliteDatabase.micros(h.start()));
            upsert.setString(i++, h.key());
            upsert.setString(i++, h.alias());
            upsert.setString(i++, h.upstream());
            upsert.setLong(i++, h.requests());
            upsert.setLong(i++, h.promptTokens());
            upsert.setLong(i++, h.completionTokens());
            upsert.setLong(i++, h.reasoningTokens());
            upsert.setLong(i++, h.cachedTokens());
            upsert.setLong(i++, h.cacheWriteTokens());
            upsert.setLong(i++, cost[0]);
            upsert.setLong(i++, cost[1]);
            upsert.setLong(i, h.credits());
            upsert.executeUpdate();
        }
    }

    @Override
    public Mono<Map<String, Balance>> balances() {
        return Mono.fromCallable(this::readBalances);
    }

    private synchronized Map<String, Balance> readBalances() throws SQLException {
        try {
            Connection c = writer();
            Map<String, Balance> balances = new HashMap<>();
            try (Statement s = c.createStatement(); ResultSet rows = s.executeQuery("SELECT key_name, granted, used FROM key_credits")) {
                while (rows.next()) balances.put(rows.getString(1), new Balance(rows.getLong(2), rows.getLong(3)));
            }
            c.commit();
            return balances;
        } catch (SQLException | RuntimeException e) {
            dropWriter();
            throw e;
        }
    }

    @Override
    public Mono<Void> grant(String key, long credits) {
        return db.onPooledWrite(c -> {
            try (PreparedStatement s = c.prepareStatement("INSERT INTO key_credits (key_name, granted, used) VALUES (?, ?, 0) "
                    + "ON CONFLICT (key_name) DO UPDATE SET granted = granted + excluded.granted")) {
                s.setString(1, key);
                s.setLong(2, credits);
                return s.executeUpdate();
            }
        }).then();
    }

    @Override
    public Flux<UsageRecord> find(RecordQuery query, int limit) {
        Query q = findQuery(query, limit);
        return records(q.sql(), q.binds());
    }

    /** A statement and its values, apart so a test can ask SQLite how it would run the request log's queries. */
    record Query(String sql, List<Object> binds) {}

    static Query findQuery(RecordQuery query, int limit) {
        StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM usage_records WHERE 1 = 1");
        List<Object> binds = new ArrayList<>();
        filter(sql, binds, "key_name", query.key());
        filter(sql, binds, "alias", query.alias());
        filter(sql, binds, "upstream", query.upstream());
        filter(sql, binds, "outcome", query.outcome() == null ? null : query.outcome().wireName());
        if (query.from() != null) {
            sql.append(" AND time >= ?");
            binds.add(SqliteDatabase.micros(query.from()));
        }
        if (query.to() != null) {
            sql.append(" AND time < ?");
            binds.add(SqliteDatabase.micros(query.to()));
        }
        if (query.before() != null) {
            sql.append(" AND (time < ? OR (time = ? AND id < ?))");
            long micros = SqliteDatabase.micros(query.before().time());
            binds.add(micros);
            binds.add(micros);
            binds.add(query.before().id());
        }
        sql.append(" ORDER BY time DESC, id DESC LIMIT ").append(UsageStore.findLimit(limit));
        return new Query(sql.toString(), binds);
    }

    private static void filter(StringBuilder sql, List<Object> binds, String column, String value) {
        if (RecordQuery.given(value)) {
            sql.append(" AND ").append(column).append(" = ?");
            binds.add(value);
        }
    }

    @Override
    public Mono<Map<Outcome, Long>> count(Set<Outcome> outcomes, Instant from, Instant to) {
        return db.onPooled(c -> {
            Map<Outcome, Long> counts = new EnumMap<>(Outcome.class);
            try (PreparedStatement s = c.prepareStatement("SELECT COUNT(*) FROM usage_records WHERE outcome = ? AND time >= ? AND time < ?")) {
                for (Outcome outcome : outcomes) {
                    s.setString(1, outcome.wireName());
                    s.setLong(2, from == null ? Long.MIN_VALUE : SqliteDatabase.micros(from));
                    s.setLong(3, to == null ? Long.MAX_VALUE : SqliteDatabase.micros(to));
                    try (ResultSet rows = s.executeQuery()) {
                        counts.put(outcome, rows.next() ? rows.getLong(1) : 0L);
                    }
                }
            }
            return counts;
        });
    }

    @Override
    public Flux<UsageRecord> byRequestId(String requestId) {
        return records("SELECT " + COLUMNS + " FROM usage_records WHERE request_id = ? ORDER BY time", List.of(requestId));
    }

    private Flux<UsageRecord> records(String sql, List<Object> binds) {
        return db.onPooled(c -> {
            try (PreparedStatement s = c.prepareStatement(sql)) {
                for (int i = 0; i < binds.size(); i++) s.setObject(i + 1, binds.get(i));
                List<UsageRecord> out = new ArrayList<>();
                try (ResultSet rows = s.executeQuery()) {
                    while (rows.next()) out.add(record(rows));
                }
                return out;
            }
        }).flatMapIterable(list -> list);
    }

    private static final String SUMS = "SUM(requests), SUM(prompt_tokens), SUM(completion_tokens), SUM(reasoning_tokens), "
            + "SUM(cached_tokens), SUM(cache_write_tokens), SUM(cost_usd_micros), SUM(cost_usd_femto_rest), SUM(credits)";
    private static final String ROLLUP_COLUMNS = "key_name, alias, upstream, requests, prompt_tokens, completion_tokens, reasoning_tokens, "
            + "cached_tokens, cache_write_tokens, cost_usd_micros, cost_usd_femto_rest, credits";

    /** Whole days from the daily rollups, the hours at either end from the hourly ones (see {@link UsageRollup.Span}). */
    @Override
    public Flux<Summary> summary(Grouping by, Instant from, Instant to) {
        String sql = "SELECT " + by.column + ", " + SUMS + " FROM ("
                + "SELECT " + ROLLUP_COLUMNS + " FROM usage_daily WHERE day >= ? AND day < ? UNION ALL "
                + "SELECT " + ROLLUP_COLUMNS + " FROM usage_hourly WHERE hour >= ? AND hour < ? UNION ALL "
                + "SELECT " + ROLLUP_COLUMNS + " FROM usage_hourly WHERE hour >= ? AND hour < ?"
                + ") GROUP BY " + by.column + " ORDER BY " + by.column;
        UsageRollup.Span span = UsageRollup.Span.of(from, to);
        long[] bounds = {SqliteDatabase.micros(span.daysFrom()), SqliteDatabase.micros(span.daysTo()), SqliteDatabase.micros(span.hoursFrom()), SqliteDatabase.micros(span.daysFrom()),
                SqliteDatabase.micros(span.daysTo()), SqliteDatabase.micros(span.hoursTo())};
        return db.onPooled(c -> {
            try (PreparedStatement s = c.prepareStatement(sql)) {
                for (int i = 0; i < bounds.length; i++) s.setLong(i + 1, bounds[i]);
                List<Summary> out = new ArrayList<>();
                try (ResultSet rows = s.executeQuery()) {
                    while (rows.next()) {
                        out.add(new Summary(rows.getString(1), rows.getLong(2), rows.getLong(3), rows.getLong(4), rows.getLong(5),
                                rows.getLong(6), rows.getLong(7), UsageRollup.costUsd(rows.getLong(8), rows.getLong(9)), rows.getLong(10)));
                    }
                }
                return out;
            }
        }).flatMapIterable(list -> list);
    }

    @Override
    public Flux<Point> series(Grouping by, Bucket bucket, Instant from, Instant to) {
        String table = bucket == Bucket.HOUR ? "usage_hourly" : "usage_daily";
        String time = bucket == Bucket.HOUR ? "hour" : "day";
        String sql = "SELECT " + time + ", " + by.column + ", SUM(requests), SUM(prompt_tokens), SUM(completion_tokens), "
                + "SUM(cost_usd_micros), SUM(cost_usd_femto_rest), SUM(credits) FROM " + table + " WHERE " + time + " >= ? AND "
                + time + " < ? GROUP BY " + time + ", " + by.column + " ORDER BY " + time + ", " + by.column;
        return db.onPooled(c -> {
            try (PreparedStatement s = c.prepareStatement(sql)) {
                s.setLong(1, from == null ? Long.MIN_VALUE : SqliteDatabase.micros(bucket.start(from)));
                s.setLong(2, to == null ? Long.MAX_VALUE : SqliteDatabase.micros(to));
                List<Point> out = new ArrayList<>();
                try (ResultSet rows = s.executeQuery()) {
                    while (rows.next()) {
                        out.add(new Point(SqliteDatabase.instant(rows.getLong(1)), rows.getString(2), rows.getLong(3), rows.getLong(4),
                                rows.getLong(5), UsageRollup.costUsd(rows.getLong(6), rows.getLong(7)), rows.getLong(8)));
                    }
                }
                return out;
            }
        }).flatMapIterable(list -> list);
    }

    /** On the writer's connection, between its batches: a delete is a write, and SQLite has one writer at a time. */
    @Override
    public Mono<Long> purge(Instant recordsBefore, Instant rollupsBefore, int limit) {
        return Mono.fromCallable(() -> purgeNow(recordsBefore, rollupsBefore, limit));
    }

    private synchronized long purgeNow(Instant recordsBefore, Instant rollupsBefore, int limit) throws SQLException {
        return db.writing(() -> purgeBatch(recordsBefore, rollupsBefore, limit));
    }

    private long purgeBatch(Instant recordsBefore, Instant rollupsBefore, int limit) throws SQLException {
        try {
            Connection c = writer();
            long deleted;
            try (PreparedStatement records = c.prepareStatement(
                    "DELETE FROM usage_records WHERE rowid IN (SELECT rowid FROM usage_records WHERE time < ? ORDER BY time LIMIT ?)");
                 PreparedStatement hours = c.prepareStatement(
                         "DELETE FROM usage_hourly WHERE hour IN (SELECT DISTINCT hour FROM usage_hourly WHERE hour < ? ORDER BY hour LIMIT ?)");
                 PreparedStatement days = c.prepareStatement(
                         "DELETE FROM usage_daily WHERE day IN (SELECT DISTINCT day FROM usage_daily WHERE day < ? ORDER BY day LIMIT ?)")) {
                records.setLong(1, SqliteDatabase.micros(recordsBefore));
                records.setInt(2, limit);
                deleted = records.executeUpdate();
                for (PreparedStatement rollups : List.of(hours, days)) {
                    rollups.setLong(1, SqliteDatabase.micros(rollupsBefore));
                    rollups.setInt(2, Math.max(1, limit / 100));
                    deleted += rollups.executeUpdate();
                }
            }
            c.commit();
            return deleted;
        } catch (SQLException | RuntimeException e) {
            dropWriter();
            throw e;
        }
    }

    private Connection writer() throws SQLException {
        if (writer != null) return writer;
        Connection c = db.openWriter();
        try {
            insert = c.prepareStatement(INSERT);
            debit = c.prepareStatement(DEBIT);
            hourly = c.prepareStatement(HOURLY);
            daily = c.prepareStatement(DAILY);
        } catch (SQLException e) {
            c.close();
            throw e;
        }
        writer = c;
        return c;
    }

    /** Rolls back what a failed batch did and closes the connection; the next batch opens another. */
    private void dropWriter() {
        Connection c = writer;
        writer = null;
        if (c == null) return;
        try {
            c.rollback();
        } catch (SQLException ignored) {
            // closing is all that is left
        }
        try {
            c.close();
        } catch (SQLException ignored) {
            // as above
        }
    }

    @Override
    public synchronized void close() {
        dropWriter();
    }

    static void bind(PreparedStatement s, UsageRecord r) throws SQLException {
        int i = 1;
        s.setString(i++, r.id());
        s.setString(i++, r.requestId());
        s.setLong(i++, SqliteDatabase.micros(r.time()));
        s.setString(i++, r.key());
        s.setString(i++, r.endpoint().wireName());
        s.setString(i++, r.alias());
        s.setString(i++, r.upstream());
        s.setString(i++, r.upstreamModel());
        s.setInt(i++, r.stream() ? 1 : 0);
        s.setInt(i++, r.status());
        s.setString(i++, r.outcome().wireName());
        s.setInt(i++, r.attempts());
        s.setLong(i++, r.promptTokens());
        s.setLong(i++, r.completionTokens());
        s.setLong(i++, r.reasoningTokens());
        s.setLong(i++, r.cachedTokens());
        s.setLong(i++, r.cacheWriteTokens());
        s.setString(i++, r.usageSource().wireName());
        s.setString(i++, decimal(r.costUsd()));
        s.setLong(i++, r.credits());
        s.setString(i++, decimal(r.upstreamCostUsd()));
        s.setString(i++, decimal(r.upstreamCredits()));
        s.setLong(i++, r.latencyMs());
        if (r.ttftMs() == null) s.setNull(i, Types.INTEGER);
        else s.setLong(i, r.ttftMs());
    }

    private static String decimal(BigDecimal d) {
        return d == null ? null : d.stripTrailingZeros().toPlainString();
    }

    private static BigDecimal decimal(String s) {
        return s == null ? null : new BigDecimal(s);
    }

    public static UsageRecord record(ResultSet row) throws SQLException {
        long ttft = row.getLong("ttft_ms");
        Long ttftMs = row.wasNull() ? null : ttft;
        return new UsageRecord(row.getString("id"), row.getString("request_id"), SqliteDatabase.instant(row.getLong("time")),
                row.getString("key_name"), ApiEndpoint.of(row.getString("endpoint")), row.getString("alias"),
                row.getString("upstream"), row.getString("upstream_model"), row.getInt("stream") != 0, row.getInt("status"),
                Outcome.of(row.getString("outcome")), row.getInt("attempts"), row.getLong("prompt_tokens"),
                row.getLong("completion_tokens"), row.getLong("reasoning_tokens"), row.getLong("cached_tokens"),
                row.getLong("cache_write_tokens"), UsageSource.of(row.getString("usage_source")), decimal(row.getString("cost_usd")),
                row.getLong("credits"), decimal(row.getString("upstream_cost_usd")), decimal(row.getString("upstream_credits")),
                row.getLong("latency_ms"), ttftMs);
    }
}
