package dev.switchboard.usage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import reactor.core.publisher.Mono;
import dev.switchboard.protocol.ApiEndpoint;

/**
 * A store slower than the traffic: the heap keeps at most the bound's worth of queued records, the rest wait
 * in the journal, and once the store catches up every record is stored once and debited once, even when a
 * replay of the journal fails halfway.
 */
class UsageBacklogTest {
    private static final int BOUND = 100;
    private static final int RECORDS = 1_501;
    private static final long CREDITS = 10;

    @TempDir
    Path dir;
    private UsageLedger ledger;

    @AfterEach
    void stop() {
        if (ledger != null) ledger.stop();
    }

    @Test
    void recordsPastTheBoundWaitInTheJournalWhileTheStoreIsBehind() throws Exception {
        GatedStore store = new GatedStore(dir);
        Path journal = dir.resolve("journal.jsonl");
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        ledger = TestStores.ledger(store, dir, meters, BOUND);
        ledger.start();
        await().atMost(Duration.ofSeconds(10)).until(store::ready);

        ledger.record(record());
        await().atMost(Duration.ofSeconds(10)).until(() -> store.waiting() == 1); // the writer is held in its first write
        for (int i = 1; i < RECORDS; i++) ledger.record(record());
        // the writer is held, and the queue comes back within its bound all the same: the rest wait in the journal
        // (a spill takes records off the queue before its append is on disk: the two are checked together)
        await().atMost(Duration.ofSeconds(10)).until(() -> queued(meters) <= BOUND && Files.exists(journal)
                && lines(journal) == RECORDS - 1 - (int) queued(meters));
        assertThat(store.waiting()).as("the writer is still held in its first write").isEqualTo(1);
        assertThat(ledger.used("team-a")).as("spilled records still count against the budget").isEqualTo(RECORDS * CREDITS);

        // the replay's first batch (write 2) lands and its second (write 3) fails: the retry reads on from there
        store.failWrite(3);
        store.allow(1_000);
        await().atMost(Duration.ofSeconds(20)).until(() -> count(store) == RECORDS && !Files.exists(journal));
        assertThat(store.written()).as("records handed to the store in writes that landed: none twice").isEqualTo(RECORDS);
        assertThat(queued(meters)).isZero();
        assertThat(ledger.used("team-a")).as("each record debited once").isEqualTo(RECORDS * CREDITS);
        assertThat(store.balances().block(Duration.ofSeconds(10)).get("team-a").used()).isEqualTo(RECORDS * CREDITS);
    }

    /**
     * A long journal is replayed a pass at a time, and what queues meanwhile goes to the store straight: had it
     * waited for the whole file, or gone to the file's end, the traffic of a busy gateway would queue behind the
     * replay, spill to the journal again, and reach the store only through the file for as long as the load lasts.
     */
    @Test
    void whileALongJournalIsReplayedTheTrafficGoesToTheStoreStraight() throws Exception {
        int journaled = 20_000;
        List<UsageRecord> earlier = new ArrayList<>();
        for (int i = 0; i < journaled; i++) earlier.add(record());
        new UsageJournal(dir.resolve("journal.jsonl")).append(earlier); // left by a run that could not store them
        GatedStore store = new GatedStore(dir);
        ledger = TestStores.ledger(store, dir, new SimpleMeterRegistry(), BOUND);
        ledger.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> store.waiting() == 1); // held in the replay's first write

        UsageRecord live = record();
        store.watchFor(live.requestId());
        ledger.record(live);
        store.allow(1_000);
        await().atMost(Duration.ofSeconds(20)).until(() -> count(store) == journaled + 1 && !Files.exists(dir.resolve("journal.jsonl")));
        assertThat(store.writtenBeforeWatched())
                .as("journal records stored before the record that queued as the replay began")
                .isPositive().isLessThan(journaled);
        assertThat(store.written()).as("none twice").isEqualTo(journaled + 1);
    }

    @Test
    void aReplayCutShortGoesOnWhereItStopped() {
        UsageJournal journal = new UsageJournal(dir.resolve("journal.jsonl"));
        List<UsageRecord> written = new ArrayList<>();
        for (int i = 0; i < 5; i++) written.add(record());
        journal.append(written);

        List<UsageRecord> stored = new ArrayList<>();
        AtomicInteger calls = new AtomicInteger();
        UsageJournal.Replay first = journal.replay(0, 2, chunk -> {
            if (calls.incrementAndGet() > 1) return false; // the store goes away after one chunk
            return stored.addAll(chunk);
        });
        assertThat(first.complete()).isFalse();

        List<Integer> sizes = new ArrayList<>();
        UsageJournal.Replay second = journal.replay(first.offset(), 2, chunk -> {
            sizes.add(chunk.size());
            return stored.addAll(chunk);
        });
        assertThat(second.complete()).isTrue();
        assertThat(second.offset()).isEqualTo(dir.resolve("journal.jsonl").toFile().length());
        assertThat(sizes).containsExactly(2, 1);
        assertThat(stored).isEqualTo(written);
    }

    private static double queued(SimpleMeterRegistry meters) {
        return meters.get("switchboard.usage.queued").gauge().value();
    }

    private static int lines(Path file) throws Exception {
        return Files.readAllLines(file).size();
    }

    private static long count(UsageStore store) {
        return store.summary(UsageStore.Grouping.KEY, null, null).map(UsageStore.Summary::requests).reduce(0L, Long::sum)
                .blockOptional(Duration.ofSeconds(10)).orElse(0L);
    }

    private static UsageRecord record() {
        return new UsageRecord(RecordId.next(), "req-" + UUID.randomUUID(), Instant.now(), "team-a", ApiEndpoint.CHAT_COMPLETIONS, "m1",
                "up", "model-x", false, 200, Outcome.OK, 1, 100, 20, 0, 0, 0, UsageSource.UPSTREAM, new BigDecimal("0.0001"),
                CREDITS, null, null, 12, null);
    }

    /** An embedded store whose writes each wait for a permit the test hands out. */
    private static final class GatedStore extends TestStores.Forwarding {
        private final Semaphore permits = new Semaphore(0);
        private final AtomicInteger writes = new AtomicInteger();
        private final AtomicInteger written = new AtomicInteger();
        private volatile int failAt;
        private volatile boolean migrated;
        private volatile String watched;
        private volatile int writtenBeforeWatched = -1;

        GatedStore(Path dir) {
            super(TestStores.sqlite(dir));
        }

        @Override
        public Mono<Void> migrate() {
            return super.migrate().doOnSuccess(ignored -> migrated = true);
        }

        @Override
        public Mono<Void> write(List<UsageRecord> records) {
            return Mono.defer(() -> {
                permits.acquireUninterruptibly();
                if (writes.incrementAndGet() == failAt) return Mono.error(new IllegalStateException("the store went away"));
                return super.write(records).doOnSuccess(ignored -> {
                    if (records.stream().anyMatch(r -> r.requestId().equals(watched))) writtenBeforeWatched = written.get();
                    written.addAndGet(records.size());
                });
            });
        }

        void watchFor(String requestId) {
            watched = requestId;
        }

        /** How many records had been written before the write that held the watched one; -1 until then. */
        int writtenBeforeWatched() {
            return writtenBeforeWatched;
        }

        void failWrite(int n) {
            failAt = n;
        }

        int written() {
            return written.get();
        }

        boolean ready() {
            return migrated;
        }

        int waiting() {
            return permits.getQueueLength();
        }

        void allow(int writes) {
            permits.release(writes);
        }
    }
}
