package dev.switchboard.usage;

import java.nio.file.Path;
import java.time.Duration;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.switchboard.store.LedgerDatabase;
import dev.switchboard.store.PostgresDatabase;
import dev.switchboard.store.SqliteDatabase;
import dev.switchboard.store.StoreConfiguration;
import org.springframework.boot.r2dbc.autoconfigure.R2dbcProperties;
import io.micrometer.core.instrument.MeterRegistry;

/** The ledger's parts, on whichever database {@code store.StoreConfiguration} chose. */
@Configuration(proxyBeanMethods = false)
class UsageConfiguration {

    /**
     * @param journal         where records wait while the store is away or behind
     * @param recordLog       the memory-mapped log that keeps queued records through a crash of the process
     * @param recordRetention how long raw records are kept
     * @param rollupRetention how long the hourly rollups are kept
     */
    @ConfigurationProperties("switchboard.usage")
    record UsageProperties(@DefaultValue("data/usage-journal.jsonl") Path journal,
                           @DefaultValue("data/usage-log") Path recordLog,
                           @DefaultValue("90d") Duration recordRetention,
                           @DefaultValue("1825d") Duration rollupRetention) {}

    /** The embedded store first takes in a ledger an earlier release kept in H2, if one is there. */
    @Bean
    UsageStore usageStore(LedgerDatabase database, StoreConfiguration.LedgerProperties ledger, R2dbcProperties r2dbc) {
        return switch (database) {
            case SqliteDatabase sqlite -> {
                H2LedgerImport.importIfPresent(ledger.h2File(r2dbc.getUrl()), sqlite);
                yield new SqliteUsageStore(sqlite);
            }
            case PostgresDatabase postgres -> new PostgresUsageStore(postgres);
        };
    }

    /** The writer's connection, then the database, once everything that writes through them has stopped. */
    @Bean
    DisposableBean ledgerConnectionsClosed(UsageStore store, LedgerDatabase database) {
        return () -> {
            store.close();
            database.close();
        };
    }

    @Bean
    UsageLedger usageLedger(UsageStore store, UsageProperties properties, MeterRegistry meters, dev.switchboard.config.BudgetCalendar calendar) {
        // at start-up, not in the first request that needs an estimate: an event loop must not read a jar
        TokenEstimator.load();
        UsageJournal journal = new UsageJournal(properties.journal());
        // records a crash left in the log go to the journal first, and from there into the store
        RecordLog log = RecordLog.open(properties.recordLog(), journal);
        return new UsageLedger(store, journal, log, new UsageLedger.Retention(properties.recordRetention(), properties.rollupRetention()), meters,
                calendar);
    }
}
