package dev.switchboard.usage;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.buffer.Unpooled;
import io.r2dbc.postgresql.api.PostgresqlConnection;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Result;
import io.r2dbc.spi.Statement;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The ledger's writes into a database server, and the balance read after each, on one connection the
 * writer holds across batches: opened when there is none, and discarded (closed, never used again) after
 * any failure or any call past its deadline. Through a pool, a connection whose COMMIT was lost to a network
 * dropping packets went back to the pool still inside its transaction: the server kept its locks, the next
 * batches waited on them, and the pool ran dry until a restart. Closing the connection ends its
 * transaction on the server as soon as the server hears of it; the server's own timeouts
 * ({@code idle_in_transaction_session_timeout}, set by {@link UsageConfiguration}) end it when it never does.
 * <p>
 * Writes are idempotent by record id, and a record's credits are debited in the same transaction: a batch
 * retried after a write that did land (its answer lost) stores and debits nothing twice.
 */
final class ServerLedgerWrites implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ServerLedgerWrites.class);
    /** 50 rows of 24 columns: 1,200 parameters a statement, far below PostgreSQL's 65,535. */
    private static final int ROWS_PER_INSERT = 50;
    /** The longest one call of the ledger's writer may take before its connection is discarded. */
    static final Duration DEADLINE = Duration.ofSeconds(8);
    private static final Map<Integer, String> INSERT_SQL = new ConcurrentHashMap<>();

    private final ConnectionFactory connections;
    private final Duration deadline;
    /** The writer's connection; set and cleared on whichever thread the driver answers on. */
    private final AtomicReference<Connection> held = new AtomicReference<>();

    /**
     * @param connections unpooled: the connection is the writer's alone
     * @param deadline    the longest one call (a batch's transaction, a balance read, opening a connection) may take
     */
    ServerLedgerWrites(ConnectionFactory connections, Duration deadline) {
        this.connections = connections;
        this.deadline = deadline;
    }

    /**
     * Stores the records not stored yet, debits their credits and adds them to their rollups, in one
     * transaction: through COPY where the driver offers it, else through multi-row INSERTs.
     */
    Mono<Void> write(List<UsageRecord> records) {
        return onHeldConnection(c -> c instanceof PostgresqlConnection pg && copy ? inTransaction(c, copyThenStore(pg, records))
                : insertRows(c, records));
    }

    /** Whether batches go through COPY; the benchmark turns it off to measure the INSERT path beside it. */
    volatile boolean copy = true;

    private static final String STAGING = "CREATE TEMP TABLE IF NOT EXISTS usage_staging "
            + "(LIKE usage_records INCLUDING DEFAULTS) ON COMMIT DELETE ROWS";
    private static final String COPY = "COPY usage_staging (" + UsageStore.COLUMNS + ") FROM STDIN";
    /**
     * One statement, all on the server: what is new of the staged records is stored, debited per key and added
     * per hour, key, alias and upstream. Keys and groups in a fixed order, so replicas writing at once take
     * their row locks in the same order and never deadlock.
     */
    private static final String STORE_STAGED = "WITH inserted AS (INSERT INTO usage_records SELECT * FROM usage_staging "
            + "ON CONFLICT DO NOTHING RETURNING key_name, alias, upstream, time, prompt_tokens, completion_tokens, reasoning_tokens, "
            + "cached_tokens, cache_write_tokens, cost_usd, credits), "
            + "debited AS (INSERT INTO key_credits (key_name, granted, used) SELECT key_name, 0, SUM(credits) FROM inserted "
            + "WHERE credits > 0 GROUP BY key_name ORDER BY key_name "
            + "ON CONFLICT (key_name) DO UPDATE SET used = key_credits.used + excluded.used RETURNING 1), "
            + "hours AS (" + rollUpInserted("usage_hourly", "hour") + "), days AS (" + rollUpInserted("usage_daily", "day") + ") "
            + "SELECT (SELECT COUNT(*) FROM inserted) AS stored, (SELECT COUNT(*) FROM debited) AS debited, "
            + "(SELECT COUNT(*) FROM hours) AS hours, (SELECT COUNT(*) FROM days) AS days";

    /** The {@code inserted} records summed into a rollup table, per {@code period} (hour or day), in a fixed order. */
    private static String rollUpInserted(String table, String period) {
        return "INSERT INTO " + table + " SELECT date_trunc('" + period + "', time, 'UTC'), key_name, alias, upstream, COUNT(*), "
                + "SUM(prompt_tokens), SUM(completion_tokens), SUM(reasoning_tokens), SUM(cached_tokens), SUM(cache_write_tokens), "
                + "SUM(cost_usd), SUM(credits) FROM inserted GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4 "
                + "ON CONFLICT (" + period + ", key_name, alias, upstream) DO UPDATE SET " + addExcluded(table) + " RETURNING 1";
    }

    /** Each sum of a rollup row plus the conflicting row's. */
    private static String addExcluded(String table) {
        StringBuilder set = new StringBuilder();
        for (String column : List.of("requests", "prompt_tokens", "completion_tokens", "reasoning_tokens", "cached_tokens",
                "cache_write_tokens", "cost_usd", "credits")) {
            if (!set.isEmpty()) set.append(", ");
            set.append(column).append(" = ").append(table).append('.').append(column).append(" + excluded.").append(column);
        }
        return set.toString();
    }

    /** The staging table is per session: made once on each connection the writer holds. */
    private volatile Connection stagingOn;

    /**
     * The batch into a temporary staging table through COPY (one message of text rows, no parameters to bind),
     * then {@link #STORE_STAGED}. Idempotent as the INSERT path is: a replay stores and debits only what is new.
     */
    private Mono<Void> copyThenStore(PostgresqlConnection c, List<UsageRecord> records) {
        Mono<Void> staging = stagingOn == c ? Mono.empty()
                : Flux.from(c.createStatement(STAGING).execute()).flatMap(Result::getRowsUpdated).then()
                        .doOnSuccess(ignored -> stagingOn = c);
        return staging
                .then(Mono.defer(() -> c.copyIn(COPY, Mono.fromSupplier(() -> Unpooled.wrappedBuffer(CopyRows.text(records))))))
                .then(Flux.from(c.createStatement(STORE_STAGED).execute()).flatMap(r -> r.map((row, meta) -> 1)).then());
    }

    /** The INSERT path: all new in the usual batch, one record at a time when some were stored before. */
    private Mono<Void> insertRows(Connection c, List<UsageRecord> records) {
        return inTransaction(c, writeAllNew(c, records))
                .onErrorResume(AlreadyStored.class, e -> Mono.from(c.rollbackTransaction())
                        .then(inTransaction(c, writeEachOnce(c, records))));
    }

    Mono<Map<String, UsageStore.Balance>> balances() {
        return onHeldConnection(c -> Flux.from(c.createStatement("SELECT key_name, granted, used FROM key_credits").execute())
                .flatMap(result -> result.map((row, meta) -> Map.entry(row.get("key_name", String.class),
                        new UsageStore.Balance(number(row.get("granted", Number.class)), number(row.get("used", Number.class))))))
                .collectMap(Map.Entry::getKey, Map.Entry::getValue, HashMap::new));
    }

    /**
     * The work on the held connection, bounded by the deadline; the connection is discarded if the work fails,
     * passes the deadline or is cancelled (the caller gave up waiting).
     */
    private <T> Mono<T> onHeldConnection(Function<Connection, Mono<T>> work) {
        return Mono.defer(() -> {
            Connection current = held.get();
            Mono<Connection> connection = current != null ? Mono.just(current)
                    : Mono.<Connection>from(connections.create()).timeout(deadline).doOnNext(held::set);
            return connection.flatMap(c -> work.apply(c).timeout(deadline)
                    .doOnError(e -> discard(c))
                    .doOnCancel(() -> discard(c)));
        });
    }

    private void discard(Connection connection) {
        if (!held.compareAndSet(connection, null)) return;
        log.debug("Discarding the ledger writer's database connection after a failure or a call past its deadline");
        Mono.from(connection.close()).timeout(Duration.ofSeconds(2))
                .subscribe(ignored -> { }, e -> log.debug("Closing a discarded ledger connection: {}", e.toString()));
    }

    @Override
    public void close() {
        Connection connection = held.getAndSet(null);
        if (connection != null) Mono.from(connection.close()).timeout(Duration.ofSeconds(5)).onErrorResume(e -> Mono.empty()).block();
    }

    private static Mono<Void> inTransaction(Connection c, Mono<Void> work) {
        return Mono.from(c.beginTransaction()).then(work).then(Mono.defer(() -> Mono.from(c.commitTransaction())));
    }

    /** The usual batch: all new, one multi-row INSERT per chunk and one debit per key. */
    private Mono<Void> writeAllNew(Connection c, List<UsageRecord> records) {
        return Flux.range(0, (records.size() + ROWS_PER_INSERT - 1) / ROWS_PER_INSERT)
                .concatMap(i -> {
                    List<UsageRecord> chunk = records.subList(i * ROWS_PER_INSERT, Math.min(records.size(), (i + 1) * ROWS_PER_INSERT));
                    return insert(c, chunk).flatMap(inserted -> inserted == chunk.size() ? Mono.<Void>empty()
                            : Mono.error(new AlreadyStored()));
                })
                .then(debit(c, records))
                .then(rollUp(c, records));
    }

    /** A batch that met records stored already (a journal replayed after a write that did land): only what is new is debited. */
    private Mono<Void> writeEachOnce(Connection c, List<UsageRecord> records) {
        return Flux.fromIterable(records)
                .concatMap(r -> insert(c, List.of(r)).filter(inserted -> inserted == 1).map(ignored -> r))
                .collectList()
                .flatMap(inserted -> debit(c, inserted).then(rollUp(c, inserted)));
    }

    /** Rows inserted; a record whose id is stored already is skipped. */
    private static Mono<Long> insert(Connection c, List<UsageRecord> chunk) {
        Statement statement = c.createStatement(INSERT_SQL.computeIfAbsent(chunk.size(), ServerLedgerWrites::insertSql));
        int i = 0;
        for (UsageRecord r : chunk) {
            statement.bind(i++, r.id()).bind(i++, r.requestId()).bind(i++, r.time().atOffset(ZoneOffset.UTC))
                    .bind(i++, r.key()).bind(i++, r.endpoint().wireName()).bind(i++, r.alias()).bind(i++, r.upstream());
            bind(statement, i++, r.upstreamModel(), String.class);
            statement.bind(i++, r.stream()).bind(i++, r.status()).bind(i++, r.outcome().wireName()).bind(i++, r.attempts())
                    .bind(i++, r.promptTokens()).bind(i++, r.completionTokens()).bind(i++, r.reasoningTokens())
                    .bind(i++, r.cachedTokens()).bind(i++, r.cacheWriteTokens()).bind(i++, r.usageSource().wireName())
                    .bind(i++, r.costUsd()).bind(i++, r.credits());
            bind(statement, i++, r.upstreamCostUsd(), BigDecimal.class);
            bind(statement, i++, r.upstreamCredits(), BigDecimal.class);
            statement.bind(i++, r.latencyMs());
            bind(statement, i++, r.ttftMs(), Long.class);
        }
        return Flux.from(statement.execute()).flatMap(Result::getRowsUpdated).reduce(0L, Long::sum);
    }

    private static String insertSql(int rows) {
        StringJoiner values = new StringJoiner(", ");
        int n = 1;
        for (int row = 0; row < rows; row++) {
            StringJoiner one = new StringJoiner(", ", "(", ")");
            for (int col = 0; col < UsageStore.COLUMN_COUNT; col++) one.add("$" + n++);
            values.add(one.toString());
        }
        return "INSERT INTO usage_records (" + UsageStore.COLUMNS + ") VALUES " + values + " ON CONFLICT DO NOTHING";
    }

    private static <T> void bind(Statement statement, int index, T value, Class<T> type) {
        if (value == null) statement.bindNull(index, type);
        else statement.bind(index, value);
    }

    /** One UPDATE per key with the sum of the records' credits; a key never seen is inserted first. */
    private static Mono<Void> debit(Connection c, List<UsageRecord> inserted) {
        return Flux.fromIterable(UsageStore.creditsPerKey(inserted).entrySet())
                .concatMap(e -> addUsed(c, e.getKey(), e.getValue()).flatMap(updated -> updated > 0 ? Mono.<Void>empty()
                        : ensureKey(c, e.getKey()).then(addUsed(c, e.getKey(), e.getValue())).then()))
                .then();
    }

    private static final String HOURLY = rollup("usage_hourly", "hour");
    private static final String DAILY = rollup("usage_daily", "day");

    private static String rollup(String table, String period) {
        return "INSERT INTO " + table + " (" + period + ", key_name, alias, upstream, requests, prompt_tokens, "
                + "completion_tokens, reasoning_tokens, cached_tokens, cache_write_tokens, cost_usd, credits) "
                + "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (" + period + ", key_name, alias, upstream) "
                + "DO UPDATE SET " + addExcluded(table);
    }

    /** The stored records added to their hours' and days' rollups, one upsert per group. */
    private static Mono<Void> rollUp(Connection c, List<UsageRecord> stored) {
        List<UsageRollup> hours = UsageRollup.hourly(stored);
        return upsert(c, HOURLY, hours).then(upsert(c, DAILY, UsageRollup.daily(hours)));
    }

    private static Mono<Void> upsert(Connection c, String sql, List<UsageRollup> sums) {
        return Flux.fromIterable(sums)
                .concatMap(h -> Flux.from(c.createStatement(sql)
                        .bind(0, h.start().atOffset(ZoneOffset.UTC)).bind(1, h.key()).bind(2, h.alias()).bind(3, h.upstream())
                        .bind(4, h.requests()).bind(5, h.promptTokens()).bind(6, h.completionTokens()).bind(7, h.reasoningTokens())
                        .bind(8, h.cachedTokens()).bind(9, h.cacheWriteTokens()).bind(10, h.costUsd()).bind(11, h.credits())
                        .execute()).flatMap(Result::getRowsUpdated))
                .then();
    }

    private static Mono<Long> addUsed(Connection c, String key, long credits) {
        return Flux.from(c.createStatement("UPDATE key_credits SET used = used + $1 WHERE key_name = $2")
                        .bind(0, credits).bind(1, key).execute())
                .flatMap(Result::getRowsUpdated).reduce(0L, Long::sum);
    }

    private static Mono<Void> ensureKey(Connection c, String key) {
        return Flux.from(c.createStatement("INSERT INTO key_credits (key_name, granted, used) VALUES ($1, 0, 0) ON CONFLICT DO NOTHING")
                        .bind(0, key).execute())
                .flatMap(Result::getRowsUpdated).then();
    }

    private static long number(Number n) {
        return n == null ? 0 : n.longValue();
    }

    /** The batch holds records stored before; it is rolled back and written one record at a time. */
    private static final class AlreadyStored extends RuntimeException {
        AlreadyStored() {
            super("some records are stored already", null, false, false);
        }
    }
}
