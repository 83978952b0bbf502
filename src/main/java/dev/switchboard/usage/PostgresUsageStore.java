package dev.switchboard.usage;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.springframework.r2dbc.core.DatabaseClient;

import dev.switchboard.protocol.ApiEndpoint;
import dev.switchboard.store.PostgresDatabase;
import io.r2dbc.spi.Readable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The ledger in PostgreSQL, shared by every replica: reads and grants through the pool, the writer's batches
 * on a connection of its own ({@link ServerLedgerWrites}).
 */
public final class PostgresUsageStore implements UsageStore {
    private final PostgresDatabase database;
    private final DatabaseClient db;
    private final ServerLedgerWrites writes;

    public PostgresUsageStore(PostgresDatabase database) {
        this.database = database;
        this.db = DatabaseClient.create(database.pool());
        this.writes = new ServerLedgerWrites(database.writerConnections(), ServerLedgerWrites.DEADLINE);
    }

    @Override
    public Mono<Void> migrate() {
        return database.migrated();
    }

    /** Migrates first if no migration has succeeded yet (the database was away at start). */
    @Override
    public Mono<Void> write(List<UsageRecord> records) {
        return database.migrated().then(writes.write(records));
    }

    @Override
    public Mono<Map<String, Balance>> balances() {
        return writes.balances();
    }

    @Override
    public Mono<Void> grant(String key, long credits) {
        return database.migrated().then(db.sql("INSERT INTO key_credits (key_name, granted, used) VALUES (:key, :credits, 0) "
                        + "ON CONFLICT (key_name) DO UPDATE SET granted = key_credits.granted + excluded.granted")
                .bind("key", key).bind("credits", credits).then());
    }

    @Override
    public Flux<UsageRecord> find(RecordQuery query, int limit) {
        StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM usage_records WHERE 1 = 1");
        Map<String, Object> binds = new HashMap<>();
        filter(sql, binds, "key_name", "key", query.key());
        filter(sql, binds, "alias", "alias", query.alias());
        filter(sql, binds, "upstream", "upstream", query.upstream());
        filter(sql, binds, "outcome", "outcome", query.outcome() == null ? null : query.outcome().wireName());
        if (query.from() != null) {
            sql.append(" AND time >= :from");
            binds.put("from", query.from().atOffset(ZoneOffset.UTC));
        }
        if (query.to() != null) {
            sql.append(" AND time < :to");
            binds.put("to", query.to().atOffset(ZoneOffset.UTC));
        }
        if (query.before() != null) {
            sql.append(" AND (time, id) < (:beforeTime, :beforeId)");
            binds.put("beforeTime", query.before().time().atOffset(ZoneOffset.UTC));
            binds.put("beforeId", query.before().id());
        }
        sql.append(" ORDER BY time DESC, id DESC LIMIT ").append(UsageStore.findLimit(limit));
        DatabaseClient.GenericExecuteSpec spec = db.sql(sql.toString());
        for (Map.Entry<String, Object> b : binds.entrySet()) spec = spec.bind(b.getKey(), b.getValue());
        return spec.map(PostgresUsageStore::record).all();
    }

    @Override
    public Mono<Map<Outcome, Long>> count(Set<Outcome> outcomes, Instant from, Instant to) {
        Instant start = from == null ? Instant.EPOCH : from;
        Instant end = to == null ? Instant.parse("9999-01-01T00:00:00Z") : to;
        return Flux.fromIterable(outcomes)
                .concatMap(outcome -> db.sql("SELECT COUNT(*) AS n FROM usage_records WHERE outcome = :outcome AND time >= :from AND time < :to")
                        .bind("outcome", outcome.wireName()).bind("from", start.atOffset(ZoneOffset.UTC)).bind("to", end.atOffset(ZoneOffset.UTC))
                        .map(row -> number(row, "n")).one().map(n -> Map.entry(outcome, n)))
                .collectMap(Map.Entry::getKey, Map.Entry::getValue, () -> new EnumMap<>(Outcome.class));
    }

    @Override
    public Flux<UsageRecord> byRequestId(String requestId) {
        return db.sql("SELECT " + COLUMNS + " FROM usage_records WHERE request_id = :id ORDER BY time")
                .bind("id", requestId).map(PostgresUsageStore::record).all();
    }

    private static final String ROLLUP_COLUMNS = "key_name, alias, upstream, requests, prompt_tokens, completion_tokens, reasoning_tokens, "
            + "cached_tokens, cache_write_tokens, cost_usd, credits";

    /** Whole days from the daily rollups, the hours at either end from the hourly ones (see {@link UsageRollup.Span}). */
    @Override
    public Flux<Summary> summary(Grouping by, Instant from, Instant to) {
        String sql = "SELECT " + by.column + " AS grp, SUM(requests) AS requests, SUM(prompt_tokens) AS prompt, "
                + "SUM(completion_tokens) AS completion, SUM(reasoning_tokens) AS reasoning, SUM(cached_tokens) AS cached, "
                + "SUM(cache_write_tokens) AS cache_write, SUM(cost_usd) AS cost, SUM(credits) AS credits FROM ("
                + "SELECT " + ROLLUP_COLUMNS + " FROM usage_daily WHERE day >= :daysFrom AND day < :daysTo UNION ALL "
                + "SELECT " + ROLLUP_COLUMNS + " FROM usage_hourly WHERE hour >= :hoursFrom AND hour < :daysFrom UNION ALL "
                + "SELECT " + ROLLUP_COLUMNS + " FROM usage_hourly WHERE hour >= :daysTo AND hour < :hoursTo"
                + ") AS sums GROUP BY " + by.column + " ORDER BY " + by.column;
        UsageRollup.Span span = UsageRollup.Span.of(from, to);
        return db.sql(sql)
                .bind("hoursFrom", span.hoursFrom().atOffset(ZoneOffset.UTC)).bind("daysFrom", span.daysFrom().atOffset(ZoneOffset.UTC))
                .bind("daysTo", span.daysTo().atOffset(ZoneOffset.UTC)).bind("hoursTo", span.hoursTo().atOffset(ZoneOffset.UTC))
                .map(row -> new Summary(row.get("grp", String.class), number(row, "requests"), number(row, "prompt"),
                        number(row, "completion"), number(row, "reasoning"), number(row, "cached"), number(row, "cache_write"),
                        decimal(row, "cost"), number(row, "credits")))
                .all();
    }

    @Override
    public Flux<Point> series(Grouping by, Bucket bucket, Instant from, Instant to) {
        String table = bucket == Bucket.HOUR ? "usage_hourly" : "usage_daily";
        String time = bucket == Bucket.HOUR ? "hour" : "day";
        String sql = "SELECT " + time + " AS bucket, " + by.column + " AS grp, SUM(requests) AS requests, SUM(prompt_tokens) AS prompt, "
                + "SUM(completion_tokens) AS completion, SUM(cost_usd) AS cost, SUM(credits) AS credits FROM " + table
                + " WHERE " + time + " >= :from AND " + time + " < :to GROUP BY " + time + ", " + by.column
                + " ORDER BY " + time + ", " + by.column;
        Instant start = from == null ? Instant.EPOCH : bucket.start(from);
        Instant end = to == null ? Instant.parse("9999-01-01T00:00:00Z") : to;
        return db.sql(sql).bind("from", start.atOffset(ZoneOffset.UTC)).bind("to", end.atOffset(ZoneOffset.UTC))
                .map(row -> new Point(row.get("bucket", OffsetDateTime.class).toInstant(), row.get("grp", String.class),
                        number(row, "requests"), number(row, "prompt"), number(row, "completion"), decimal(row, "cost"), number(row, "credits")))
                .all();
    }

    @Override
    public Mono<Long> purge(Instant recordsBefore, Instant rollupsBefore, int limit) {
        Mono<Long> records = db.sql("DELETE FROM usage_records WHERE id IN (SELECT id FROM usage_records WHERE time < :before "
                        + "ORDER BY time LIMIT " + limit + ")")
                .bind("before", recordsBefore.atOffset(ZoneOffset.UTC)).fetch().rowsUpdated();
        Mono<Long> hours = db.sql("DELETE FROM usage_hourly WHERE hour IN (SELECT DISTINCT hour FROM usage_hourly WHERE hour < :before "
                        + "ORDER BY hour LIMIT " + Math.max(1, limit / 100) + ")")
                .bind("before", rollupsBefore.atOffset(ZoneOffset.UTC)).fetch().rowsUpdated();
        Mono<Long> days = db.sql("DELETE FROM usage_daily WHERE day IN (SELECT DISTINCT day FROM usage_daily WHERE day < :before "
                        + "ORDER BY day LIMIT " + Math.max(1, limit / 100) + ")")
                .bind("before", rollupsBefore.atOffset(ZoneOffset.UTC)).fetch().rowsUpdated();
        return Flux.concat(records, hours, days).reduce(0L, Long::sum);
    }

    @Override
    public void close() {
        writes.close();
    }

    /** COPY (the default) or multi-row INSERTs: for the tests and the benchmark that run both. */
    void writeThroughCopy(boolean copy) {
        writes.copy = copy;
    }

    private static void filter(StringBuilder sql, Map<String, Object> binds, String column, String name, String value) {
        if (value == null || value.isEmpty()) return;
        sql.append(" AND ").append(column).append(" = :").append(name);
        binds.put(name, value);
    }

    private static UsageRecord record(Readable row) {
        OffsetDateTime time = row.get("time", OffsetDateTime.class);
        Number ttft = row.get("ttft_ms", Number.class);
        return new UsageRecord(row.get("id", String.class), row.get("request_id", String.class), time.toInstant(),
                row.get("key_name", String.class), ApiEndpoint.of(row.get("endpoint", String.class)), row.get("alias", String.class),
                row.get("upstream", String.class), row.get("upstream_model", String.class), Boolean.TRUE.equals(row.get("stream", Boolean.class)),
                (int) number(row, "status"), Outcome.of(row.get("outcome", String.class)), (int) number(row, "attempts"),
                number(row, "prompt_tokens"), number(row, "completion_tokens"), number(row, "reasoning_tokens"),
                number(row, "cached_tokens"), number(row, "cache_write_tokens"), UsageSource.of(row.get("usage_source", String.class)),
                decimal(row, "cost_usd"), number(row, "credits"), decimal(row, "upstream_cost_usd"), decimal(row, "upstream_credits"),
                number(row, "latency_ms"), ttft == null ? null : ttft.longValue());
    }

    private static long number(Readable row, String column) {
        Number n = row.get(column, Number.class);
        return n == null ? 0 : n.longValue();
    }

    private static BigDecimal decimal(Readable row, String column) {
        Number n = row.get(column, Number.class);
        return n == null ? null : n instanceof BigDecimal d ? d.stripTrailingZeros() : new BigDecimal(n.toString()).stripTrailingZeros();
    }
}
