package dev.switchboard.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import reactor.core.publisher.Flux;

/** The embedded file's writes: one at a time, whoever makes them. */
class SqliteDatabaseTest {
    @Test
    void pooledWritesAndTheWritersTransactionsNeverOverlap(@TempDir Path dir) throws Exception {
        SqliteDatabase db = SqliteDatabase.open(dir.resolve("ledger.db"), SqliteDatabase.Synchronous.NORMAL);
        try (Connection setup = db.openWriter(); Statement s = setup.createStatement()) {
            s.execute("CREATE TABLE t (n INTEGER)");
            setup.commit();
        }
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        SqliteDatabase.Write<Integer> insert = () -> {
            most.accumulateAndGet(inside.incrementAndGet(), Math::max);
            try (Connection c = db.openWriter(); PreparedStatement s = c.prepareStatement("INSERT INTO t VALUES (1)")) {
                s.executeUpdate();
                c.commit();
                return 1;
            } finally {
                inside.decrementAndGet();
            }
        };
        ExecutorService writer = Executors.newSingleThreadExecutor();
        try {
            // the ledger writer's transactions on their thread, pooled writes from the bounded-elastic threads
            List<Future<Integer>> batches = new ArrayList<>();
            for (int i = 0; i < 100; i++) batches.add(writer.submit(() -> db.writing(insert)));
            Long pooled = Flux.range(0, 100)
                    .flatMap(i -> db.onPooledWrite(c -> {
                        most.accumulateAndGet(inside.incrementAndGet(), Math::max);
                        try (PreparedStatement s = c.prepareStatement("INSERT INTO t VALUES (2)")) {
                            return s.executeUpdate();
                        } finally {
                            inside.decrementAndGet();
                        }
                    }), 8)
                    .count().block(Duration.ofSeconds(30));
            for (Future<Integer> batch : batches) batch.get(30, TimeUnit.SECONDS);
            assertThat(pooled).isEqualTo(100);
            assertThat(most.get()).as("writes under way at once").isEqualTo(1);
        } finally {
            writer.shutdownNow();
            db.close();
        }
    }
}
