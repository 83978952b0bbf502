package dev.switchboard.usage;

import java.nio.file.Path;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import io.micrometer.core.instrument.MeterRegistry;
import io.r2dbc.spi.ConnectionFactory;

/**
 * The ledger's parts. The store is whatever {@code spring.r2dbc.url} names: by default an H2 file under
 * {@code ./data/}; {@code r2dbc:postgresql://...} for several replicas sharing balances.
 */
@Configuration(proxyBeanMethods = false)
class UsageConfiguration {

    /** @param journal where records wait while the store is away */
    @ConfigurationProperties("switchboard.usage")
    record UsageProperties(@DefaultValue("data/usage-journal.jsonl") Path journal) {}

    @Bean
    UsageStore usageStore(ConnectionFactory connections) {
        return new UsageStore(connections);
    }

    @Bean
    UsageLedger usageLedger(UsageStore store, UsageProperties properties, MeterRegistry meters) {
        // at start-up, not in the first request that needs an estimate: an event loop must not read a jar
        TokenEstimator.load();
        return new UsageLedger(store, new UsageJournal(properties.journal()), meters);
    }
}
