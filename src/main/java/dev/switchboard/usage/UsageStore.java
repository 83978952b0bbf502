package dev.switchboard.usage;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.springframework.r2dbc.connection.R2dbcTransactionManager;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.transaction.reactive.TransactionalOperator;

import dev.switchboard.protocol.ApiEndpoint;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Readable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The ledger's tables through R2DBC: the same SQL on the embedded H2 file (in PostgreSQL mode) and on
 * PostgreSQL. The writer's writes and balance reads go their own way: through {@link EmbeddedLedgerWrites}
 * on embedded H2, on the writer's own connection ({@link ServerLedgerWrites}) on a database server.
 * Writes are idempotent by record id, and a record's credits are debited from its key in the same
 * transaction, so a replayed record is neither stored nor debited twice. Embedded H2 does its file I/O on
 * the subscribing thread, so what the admin API asks runs on the bounded-elastic scheduler, never on an
 * event loop; the ledger's writer calls from its own thread.
 */
public class UsageStore {
    static final String COLUMNS = "id, request_id, time, key_name, endpoint, alias, upstream, upstream_model, stream, status, "
            + "outcome, attempts, prompt_tokens, completion_tokens, reasoning_tokens, cached_tokens, cache_write_tokens, "
            + "usage_source, cost_usd, credits, upstream_cost_usd, upstream_credits, latency_ms, ttft_ms";

    static final int COLUMN_COUNT = COLUMNS.split(",").length;
    /** The longest one call of the ledger's writer may take on a database server before its connection is discarded. */
    static final Duration SERVER_CALL_DEADLINE = Duration.ofSeconds(8);

    private static final List<String> SCHEMA = List.of(
            "CREATE TABLE IF NOT EXISTS usage_records (id VARCHAR(64) PRIMARY KEY, request_id VARCHAR(128) NOT NULL, "
                    + "time TIMESTAMP WITH TIME ZONE NOT NULL, key_name VARCHAR(200) NOT NULL, endpoint VARCHAR(40) NOT NULL, "
                    + "alias VARCHAR(200) NOT NULL, upstream VARCHAR(200) NOT NULL, upstream_model VARCHAR(300), "
                    + "stream BOOLEAN NOT NULL, status INT NOT NULL, outcome VARCHAR(30) NOT NULL, attempts INT NOT NULL, "
                    + "prompt_tokens BIGINT NOT NULL, completion_tokens BIGINT NOT NULL, reasoning_tokens BIGINT NOT NULL, "
                    + "cached_tokens BIGINT NOT NULL, cache_write_tokens BIGINT NOT NULL, usage_source VARCHAR(20) NOT NULL, "
                    + "cost_usd DECIMAL(30,15) NOT NULL, credits BIGINT NOT NULL, upstream_cost_usd DECIMAL(30,15), "
                    + "upstream_credits DECIMAL(30,6), latency_ms BIGINT NOT NULL, ttft_ms BIGINT)",
            "CREATE INDEX IF NOT EXISTS usage_records_time ON usage_records (time)",
            "CREATE INDEX IF NOT EXISTS usage_records_request ON usage_records (request_id)",
            "CREATE TABLE IF NOT EXISTS key_credits (key_name VARCHAR(200) PRIMARY KEY, "
                    + "granted BIGINT NOT NULL DEFAULT 0, used BIGINT NOT NULL DEFAULT 0)");

    /** A key's shared balance: credits granted through the admin API, credits used by its records. */
    public record Balance(long granted, long used) {}

    private final DatabaseClient db;
    private final TransactionalOperator transactions;
    /** Embedded H2's writes, through JDBC; null for a database server. */
    private final EmbeddedLedgerWrites embeddedWrites;
    /** A database server's writes, on the writer's own connection; null for embedded H2. */
    private final ServerLedgerWrites serverWrites;

    /** Reads, grants and the ledger's writes all through {@code connections}. */
    public UsageStore(ConnectionFactory connections) {
        this(connections, connections);
    }

    /**
     * A database server: reads and grants through {@code connections} (pooled), the ledger's writes on one
     * connection of {@code writes} (unpooled) the writer holds.
     */
    public UsageStore(ConnectionFactory connections, ConnectionFactory writes) {
        this.db = DatabaseClient.create(connections);
        this.transactions = TransactionalOperator.create(new R2dbcTransactionManager(connections));
        this.embeddedWrites = null;
        this.serverWrites = new ServerLedgerWrites(writes, SERVER_CALL_DEADLINE);
    }

    UsageStore(ConnectionFactory connections, EmbeddedLedgerWrites embeddedWrites) {
        this.db = DatabaseClient.create(connections);
        this.transactions = TransactionalOperator.create(new R2dbcTransactionManager(connections));
        this.embeddedWrites = embeddedWrites;
        this.serverWrites = null;
    }

    /** Whether writes go through {@link EmbeddedLedgerWrites} (embedded H2) rather than R2DBC. */
    boolean writesThroughJdbc() {
        return embeddedWrites != null;
    }

    /** Closes the writer's session or connection, once the ledger's writer has stopped. */
    void close() {
        if (embeddedWrites != null) embeddedWrites.close();
        if (serverWrites != null) serverWrites.close();
    }

    /** Creates what is missing; safe to run on every start and from every replica. */
    public Mono<Void> migrate() {
        return Flux.fromIterable(SCHEMA).concatMap(sql -> db.sql(sql).then()).then();
    }

    /**
     * Stores the records not stored yet and debits their credits, in one transaction; idempotent by record id,
     * so a batch written again after a write that did land stores and debits nothing twice. Called by the
     * ledger's writer only; on embedded H2 it blocks that thread.
     */
    public Mono<Void> write(List<UsageRecord> records) {
        if (embeddedWrites != null) return Mono.fromCallable(() -> embeddedWrites.write(records)).then();
        return serverWrites.write(records);
    }

    /** The credits the records debit, summed per key, in the order the keys first appear. */
    static Map<String, Long> creditsPerKey(List<UsageRecord> records) {
        Map<String, Long> perKey = new LinkedHashMap<>();
        for (UsageRecord r : records) {
            if (r.credits() > 0) perKey.merge(r.key(), r.credits(), Long::sum);
        }
        return perKey;
    }

    private Mono<Void> ensureKey(String key) {
        return db.sql("INSERT INTO key_credits (key_name, granted, used) VALUES (:key, 0, 0) ON CONFLICT DO NOTHING")
                .bind("key", key).then();
    }

    /** Every key's balance, as the ledger's writer reads it after each batch (on its own session or connection). */
    public Mono<Map<String, Balance>> balances() {
        if (embeddedWrites != null) return Mono.fromCallable(embeddedWrites::balances).subscribeOn(Schedulers.boundedElastic());
        return serverWrites.balances();
    }

    public Mono<Void> grant(String key, long credits) {
        return ensureKey(key).then(db.sql("UPDATE key_credits SET granted = granted + :credits WHERE key_name = :key")
                .bind("credits", credits).bind("key", key).then()).as(transactions::transactional)
                .subscribeOn(Schedulers.boundedElastic());
    }

    /** Newest first, each filter optional. */
    public Flux<UsageRecord> find(String key, String alias, String upstream, Instant from, Instant to, int limit) {
        StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM usage_records WHERE 1 = 1");
        Map<String, Object> binds = new HashMap<>();
        filter(sql, binds, "key_name", "key", key);
        filter(sql, binds, "alias", "alias", alias);
        filter(sql, binds, "upstream", "upstream", upstream);
        if (from != null) {
            sql.append(" AND time >= :from");
            binds.put("from", from.atOffset(ZoneOffset.UTC));
        }
        if (to != null) {
            sql.append(" AND time < :to");
            binds.put("to", to.atOffset(ZoneOffset.UTC));
        }
        sql.append(" ORDER BY time DESC, id DESC LIMIT ").append(Math.max(1, Math.min(limit, 1000)));
        DatabaseClient.GenericExecuteSpec spec = db.sql(sql.toString());
        for (Map.Entry<String, Object> b : binds.entrySet()) spec = spec.bind(b.getKey(), b.getValue());
        return spec.map(UsageStore::record).all().subscribeOn(Schedulers.boundedElastic());
    }

    public Flux<UsageRecord> byRequestId(String requestId) {
        return db.sql("SELECT " + COLUMNS + " FROM usage_records WHERE request_id = :id ORDER BY time")
                .bind("id", requestId).map(UsageStore::record).all().subscribeOn(Schedulers.boundedElastic());
    }

    /** Totals per key, alias or upstream. */
    public record Summary(String group, long requests, long promptTokens, long completionTokens, long reasoningTokens,
                          long cachedTokens, long cacheWriteTokens, BigDecimal costUsd, long credits) {}

    public Flux<Summary> summary(String groupColumn, Instant from, Instant to) {
        String sql = "SELECT " + groupColumn + " AS grp, COUNT(*) AS requests, SUM(prompt_tokens) AS prompt, "
                + "SUM(completion_tokens) AS completion, SUM(reasoning_tokens) AS reasoning, SUM(cached_tokens) AS cached, "
                + "SUM(cache_write_tokens) AS cache_write, SUM(cost_usd) AS cost, SUM(credits) AS credits FROM usage_records "
                + "WHERE time >= :from AND time < :to GROUP BY " + groupColumn + " ORDER BY " + groupColumn;
        return db.sql(sql)
                .bind("from", (from == null ? Instant.EPOCH : from).atOffset(ZoneOffset.UTC))
                .bind("to", (to == null ? Instant.parse("9999-01-01T00:00:00Z") : to).atOffset(ZoneOffset.UTC))
                .map(row -> new Summary(row.get("grp", String.class), number(row, "requests"), number(row, "prompt"),
                        number(row, "completion"), number(row, "reasoning"), number(row, "cached"), number(row, "cache_write"),
                        decimal(row, "cost"), number(row, "credits")))
                .all()
                .subscribeOn(Schedulers.boundedElastic());
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
