package dev.switchboard.usage;

import java.io.IOException;
import java.math.BigDecimal;

import dev.switchboard.protocol.ApiEndpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import dev.switchboard.store.SqliteDatabase;

/**
 * What the ledger's writer pays per usage record in the embedded store, alone: batches of {@value #BATCH}
 * records like the benchmark's, through the same {@link UsageStore#write} and held connection the gateway
 * uses (records, debit and hourly rollup in one transaction), into a file that grows as the iterations go
 * on. {@code sqlite} is the shipped embedded store; {@code h2} the earlier releases' H2 write path, for the
 * record; {@code postgres-copy} and {@code postgres-insert} the server store's two write paths, into a schema
 * of their own on the database {@code SWITCHBOARD_BENCH_POSTGRES_URL} names (an {@code r2dbc:postgresql://}
 * URL). The time is the call's, on the calling thread, which for PostgreSQL includes waiting for the server;
 * H2's background threads come on top of its figure.
 * {@code src/bench/run.sh jmh} runs it with {@code -prof gc}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseSerialGC", "-Xmx96m"})
public class LedgerStoreBenchmark {
    static final int BATCH = 500;

    @Param({"sqlite", "h2", "postgres-copy", "postgres-insert"})
    public String store;

    private Path directory;
    private SqliteUsageStore sqlite;
    private H2LedgerWrites h2;
    private PostgresUsageStore postgres;
    private String schema;
    private final HexFormat hex = HexFormat.of();

    @Setup
    public void open() throws IOException, SQLException {
        directory = Files.createTempDirectory("ledger-bench");
        if (store.equals("sqlite")) {
            sqlite = new SqliteUsageStore(SqliteDatabase.open(directory.resolve("ledger.db"), SqliteDatabase.Synchronous.NORMAL));
        } else if (store.equals("h2")) {
            h2 = new H2LedgerWrites(directory.resolve("ledger").toString());
        } else {
            postgres = postgres(store.equals("postgres-copy"));
        }
    }

    @TearDown
    public void close() throws IOException, SQLException {
        if (sqlite != null) {
            sqlite.close();
            sqlite.database().close();
        }
        if (h2 != null) h2.close();
        if (postgres != null) {
            postgres.close();
            try (java.sql.Connection c = java.sql.DriverManager.getConnection(jdbcUrl(), user(), password());
                 java.sql.Statement s = c.createStatement()) {
                s.execute("DROP SCHEMA " + schema + " CASCADE");
            }
        }
        try (Stream<Path> files = Files.walk(directory)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    /**
     * The records alone, as {@link #writeBatch} makes them (ids, request ids, the record objects): what to take
     * off its time and allocation for the store's own share.
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public List<UsageRecord> buildBatch() {
        List<UsageRecord> batch = new ArrayList<>(BATCH);
        for (int i = 0; i < BATCH; i++) batch.add(record());
        return batch;
    }

    /** One batch; the score is per record. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void writeBatch() throws SQLException {
        List<UsageRecord> batch = new ArrayList<>(BATCH);
        for (int i = 0; i < BATCH; i++) batch.add(record());
        if (sqlite != null) sqlite.writeNew(batch);
        else if (h2 != null) h2.write(batch);
        else postgres.write(batch).block();
    }

    private static String url() {
        String url = System.getenv("SWITCHBOARD_BENCH_POSTGRES_URL");
        if (url == null || url.isBlank()) throw new IllegalStateException("set SWITCHBOARD_BENCH_POSTGRES_URL for the PostgreSQL paths");
        return url;
    }

    private static String jdbcUrl() {
        return dev.switchboard.store.PostgresDatabase.jdbcUrl(url());
    }

    private static String user() {
        return (String) io.r2dbc.spi.ConnectionFactoryOptions.parse(url()).getValue(io.r2dbc.spi.ConnectionFactoryOptions.USER);
    }

    private static String password() {
        Object p = io.r2dbc.spi.ConnectionFactoryOptions.parse(url()).getValue(io.r2dbc.spi.ConnectionFactoryOptions.PASSWORD);
        return p == null ? null : p.toString();
    }

    /** The server store in a schema of its own, as the gateway wires it: a pool beside the writer's own connection. */
    private PostgresUsageStore postgres(boolean copy) throws SQLException {
        schema = "ledger_bench_" + Long.toHexString(System.nanoTime());
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(jdbcUrl(), user(), password()); java.sql.Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA " + schema);
        }
        io.r2dbc.spi.ConnectionFactory connections = io.r2dbc.spi.ConnectionFactories.get(io.r2dbc.spi.ConnectionFactoryOptions.parse(url())
                .mutate().option(io.r2dbc.spi.Option.valueOf("schema"), schema).build());
        PostgresUsageStore s = new PostgresUsageStore(new dev.switchboard.store.PostgresDatabase(connections, connections,
                jdbcUrl() + (jdbcUrl().contains("?") ? "&" : "?") + "currentSchema=" + schema, user(), password()));
        s.migrate().block();
        s.writeThroughCopy(copy);
        return s;
    }

    /** A plain chat answer's record, as the benchmark's requests make them (a gateway-made request id). */
    private UsageRecord record() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        String requestId = "req_" + hex.toHexDigits(System.currentTimeMillis()).substring(4)
                + hex.toHexDigits((short) random.nextInt()) + hex.toHexDigits(random.nextLong());
        return new UsageRecord(RecordId.next(), requestId, Instant.now(), "bench-key", ApiEndpoint.CHAT_COMPLETIONS, "bench",
                "mock", "MiniMax-M2", false, 200, Outcome.OK, 1, 250, 42, 0, 0, 0, UsageSource.UPSTREAM,
                new BigDecimal("0.000123450000000"), 12, null, null, 3, null);
    }
}
