package dev.switchboard.usage;

import java.io.IOException;
import java.math.BigDecimal;

import dev.switchboard.protocol.ApiEndpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
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
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import io.r2dbc.spi.ConnectionFactories;

/**
 * What the ledger's writer pays per usage record on embedded H2, alone: batches of {@value #BATCH} records
 * like the benchmark's, through the same {@link UsageStore#write} and session the gateway uses, into a file
 * database with the shipped settings that grows as the iterations go on. The time is the call's, on the
 * calling thread; H2's own background threads (page serialization, the file writer) come on top, and show in
 * the gateway's CPU per request (README, Benchmark). In the {@code usage} package, as the embedded write path
 * is package-private. {@code src/bench/run.sh jmh} runs it with {@code -prof gc}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseSerialGC", "-Xmx96m"})
public class LedgerStoreBenchmark {
    static final int BATCH = 500;

    private Path directory;
    private UsageStore store;
    private final HexFormat hex = HexFormat.of();

    @Setup
    public void open() throws IOException {
        directory = Files.createTempDirectory("ledger-bench");
        String url = "r2dbc:h2:file:///" + directory.resolve("ledger") + ";MODE=PostgreSQL;DB_CLOSE_DELAY=-1;CACHE_SIZE=2048";
        store = new UsageStore(ConnectionFactories.get(url), EmbeddedLedgerWrites.forUrl(url, null, null, Map.of()));
        store.migrate().block();
    }

    @TearDown
    public void close() throws IOException {
        store.close();
        try (Stream<Path> files = Files.walk(directory)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    /** One batch; the score is per record. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void writeBatch() {
        List<UsageRecord> batch = new ArrayList<>(BATCH);
        for (int i = 0; i < BATCH; i++) batch.add(record());
        store.write(batch).block();
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
