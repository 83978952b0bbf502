package dev.switchboard.responses;

import java.time.Duration;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.switchboard.store.LedgerDatabase;
import dev.switchboard.store.PostgresDatabase;
import dev.switchboard.store.SqliteDatabase;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;

/** The stored responses, in the ledger's database, and their upkeep: what expired deleted. */
@Configuration(proxyBeanMethods = false)
class ResponsesConfiguration {
    private static final Logger log = LoggerFactory.getLogger(ResponsesConfiguration.class);

    /**
     * @param retention    how long a stored response can be continued or read
     * @param purgeEvery   how often what passed its retention is deleted
     */
    @ConfigurationProperties("switchboard.responses")
    record ResponsesProperties(@DefaultValue("30d") Duration retention, @DefaultValue("10m") Duration purgeEvery) {}

    @Bean
    StoredResponses storedResponses(LedgerDatabase database, ResponsesProperties properties) {
        StoredResponses.Table table = switch (database) {
            case SqliteDatabase sqlite -> new SqliteResponseTable(sqlite);
            case PostgresDatabase postgres -> new PostgresResponseTable(postgres.pool());
        };
        return new StoredResponses(table, properties.retention());
    }

    @Bean
    SmartLifecycle storedResponsesUpkeep(StoredResponses stored, ResponsesProperties properties) {
        return new SmartLifecycle() {
            private volatile Disposable purging;

            @Override
            public void start() {
                // the schema is the ledger's: migrated when its database is opened or first reached
                purging = Flux.interval(properties.purgeEvery()).concatMap(tick -> stored.purge()
                                .onErrorResume(e -> {
                                    log.warn("Could not delete expired stored responses: {}", e.toString());
                                    return reactor.core.publisher.Mono.empty();
                                }))
                        .subscribe();
            }

            @Override
            public void stop() {
                Disposable p = purging;
                if (p != null) p.dispose();
                purging = null;
            }

            @Override
            public boolean isRunning() {
                return purging != null;
            }
        };
    }
}
