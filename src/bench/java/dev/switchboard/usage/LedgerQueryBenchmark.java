package dev.switchboard.usage;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import dev.switchboard.protocol.ApiEndpoint;
import dev.switchboard.store.SqliteDatabase;

/**
 * The admin API's three questions of the embedded ledger holding {@value #RECORDS} records over 40 days
 * (20 keys, 3 aliases, 5 upstreams): one request's record by its id, a key's newest 100, and a 30-day
 * summary by key. Through the store's own calls, the hop to the bounded-elastic scheduler included; the
 * gateway's JVM flags. {@code src/bench/run.sh jmh} runs it.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseSerialGC", "-Xmx96m"})
public class LedgerQueryBenchmark {
    static final int RECORDS = 1_000_000;
    private static final Instant END = Instant.parse("2026-12-01T00:00:00Z");

    private Path directory;
    private SqliteUsageStore store;
    private final List<String> requestIds = new ArrayList<>();
    private final SplittableRandom random = new SplittableRandom(7);

    @Setup
    public void fill() throws IOException, SQLException {
        directory = Files.createTempDirectory("ledger-query-bench");
        store = new SqliteUsageStore(SqliteDatabase.open(directory.resolve("ledger.db"), SqliteDatabase.Synchronous.NORMAL));
        long span = Duration.ofDays(40).toMillis();
        for (int b = 0; b < RECORDS / 500; b++) {
            List<UsageRecord> batch = new ArrayList<>(500);
            for (int i = 0; i < 500; i++) {
                int n = b * 500 + i;
                Instant time = END.minusMillis(span - span * n / RECORDS);
                String requestId = "req-" + n;
                if (n % 1000 == 0) requestIds.add(requestId);
                batch.add(new UsageRecord(RecordId.next(), requestId, time, "key-" + random.nextInt(20), ApiEndpoint.CHAT_COMPLETIONS,
                        "alias-" + random.nextInt(3), "upstream-" + random.nextInt(5), "model", n % 2 == 0, 200, Outcome.OK, 1,
                        250, 42, 0, 0, 0, UsageSource.UPSTREAM, new BigDecimal("0.000123450000001"), 12, null, null, 3, 1L));
            }
            store.writeNew(batch);
        }
    }

    @TearDown
    public void close() throws IOException {
        store.close();
        store.database().close();
        try (Stream<Path> files = Files.walk(directory)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    @Benchmark
    public Object byRequestId() {
        return store.byRequestId(requestIds.get(random.nextInt(requestIds.size()))).collectList().block();
    }

    @Benchmark
    public Object newest100OfAKey() {
        return store.find("key-" + random.nextInt(20), null, null, null, null, 100).collectList().block();
    }

    @Benchmark
    public Object summaryOf30DaysByKey() {
        return store.summary(UsageStore.Grouping.KEY, END.minus(Duration.ofDays(30)), END).collectList().block();
    }
}
