package dev.switchboard.usage;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Instant;

import dev.switchboard.protocol.ApiEndpoint;
import dev.switchboard.store.SqliteDatabase;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * The usage ledger alone, as the gateway wires it on its embedded store (record log, journal, SQLite file,
 * Prometheus meters), for {@code BareReactorNettyProxy}'s {@code --ledger} mode: the stack's floor with every
 * request recorded. Its records are the shape of the benchmark's: the usage the mock reports, priced as
 * {@code bench.yaml} prices it (250 and 12 tokens, 127 credits); nothing is parsed to get them, so what this
 * costs is the recording alone. Stopped with the JVM, as the gateway's is: what is queued is written first.
 */
public final class FloorLedger {
    private static final BigDecimal COST = new BigDecimal("0.0001264");
    private static final long CREDITS = 127;

    private final UsageLedger ledger;

    private FloorLedger(UsageLedger ledger) {
        this.ledger = ledger;
    }

    public static FloorLedger open(Path dir) {
        TokenEstimator.load();
        SqliteUsageStore store = new SqliteUsageStore(SqliteDatabase.open(dir.resolve("ledger.db"), SqliteDatabase.Synchronous.NORMAL));
        UsageJournal journal = new UsageJournal(dir.resolve("journal.jsonl"));
        UsageLedger ledger = new UsageLedger(store, journal, RecordLog.open(dir.resolve("usage-log"), journal), UsageLedger.Retention.FOREVER,
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
        ledger.start();
        Runtime.getRuntime().addShutdownHook(new Thread(ledger::stop, "floor-ledger-stop"));
        return new FloorLedger(ledger);
    }

    /** One answered chat completion, as the gateway records it. */
    public void record(String requestId, int status, long latencyMs) {
        ledger.record(new UsageRecord(RecordId.next(), requestId, Instant.now(), "bench-key", ApiEndpoint.CHAT_COMPLETIONS, "bench",
                "mock", "mock-model", false, status, Outcome.OK, 1, 250, 12, 0, 0, 0, UsageSource.UPSTREAM, COST, CREDITS, null, null,
                latencyMs, null));
    }

    /** A record made by the caller (FeatureFloor's, from the answer's own usage). */
    public void record(UsageRecord record) {
        ledger.record(record);
    }
}
