package dev.switchboard.usage;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import dev.switchboard.store.SqliteDatabase;
import io.micrometer.core.instrument.MeterRegistry;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The embedded store and the ledger over it, as the application wires them, in a test's folder. */
final class TestStores {
    private TestStores() {}

    static SqliteUsageStore sqlite(Path dir) {
        return new SqliteUsageStore(SqliteDatabase.open(dir.resolve("ledger.db"), SqliteDatabase.Synchronous.NORMAL));
    }

    static UsageLedger ledger(UsageStore store, Path dir, MeterRegistry meters, int maxQueued) {
        UsageJournal journal = new UsageJournal(dir.resolve("journal.jsonl"));
        return new UsageLedger(store, journal, RecordLog.open(dir.resolve("log"), journal), UsageLedger.Retention.FOREVER, meters, maxQueued);
    }

    static UsageLedger ledger(UsageStore store, Path dir, MeterRegistry meters) {
        return ledger(store, dir, meters, UsageLedger.MAX_QUEUED);
    }

    /** A store that passes every call on: tests override what they script. */
    static class Forwarding implements UsageStore {
        final UsageStore target;

        Forwarding(UsageStore target) {
            this.target = target;
        }

        @Override
        public Mono<Void> migrate() {
            return target.migrate();
        }

        @Override
        public Mono<Void> write(List<UsageRecord> records) {
            return target.write(records);
        }

        @Override
        public Mono<Map<String, Balance>> balances() {
            return target.balances();
        }

        @Override
        public Mono<Void> grant(String key, long credits) {
            return target.grant(key, credits);
        }

        @Override
        public Flux<UsageRecord> find(RecordQuery query, int limit) {
            return target.find(query, limit);
        }

        @Override
        public Mono<Map<Outcome, Long>> count(java.util.Set<Outcome> outcomes, Instant from, Instant to) {
            return target.count(outcomes, from, to);
        }

        @Override
        public Flux<Point> series(Grouping by, Bucket bucket, Instant from, Instant to) {
            return target.series(by, bucket, from, to);
        }

        @Override
        public Flux<UsageRecord> byRequestId(String requestId) {
            return target.byRequestId(requestId);
        }

        @Override
        public Flux<Summary> summary(Grouping by, Instant from, Instant to) {
            return target.summary(by, from, to);
        }

        @Override
        public Mono<Long> purge(Instant recordsBefore, Instant rollupsBefore, int limit) {
            return target.purge(recordsBefore, rollupsBefore, limit);
        }

        @Override
        public void close() {
            target.close();
        }
    }
}
